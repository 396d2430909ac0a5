"""The loop guard on plain text and the no-repeat n-gram processor on plain token lists."""

from __future__ import annotations

import random

import pytest

from logline.engine.loop_guard import LoopGuard, normalise
from logline.engine.mlx_runtime import import_mlx
from logline.engine.ngram import NoRepeatNGram
from logline.engine.sampling import SamplingParams, build_sampler

mx = import_mlx()  # before anything imports mlx.core: Logline picks the BLAS


def guarded(pieces: list[str]) -> tuple[bool, str, str]:
    """Feed ``pieces`` as a stream would: (fired, text as a consumer applying retractions
    ends up with, the guard's kept text)."""
    guard = LoopGuard()
    received = ""
    for piece in pieces:
        shown, retract = guard.take(piece)
        received = received[: len(received) - retract] + shown
    retract = guard.finish()
    received = received[: len(received) - retract]
    return guard.fired, received, guard.kept


def check(text: str) -> tuple[bool, str]:
    """The guard on ``text`` whole, char by char and in 5-character pieces: the same result."""
    results = {
        guarded(pieces)
        for pieces in ([text], list(text), [text[i : i + 5] for i in range(0, len(text), 5)])
    }
    assert len(results) == 1, results
    fired, received, kept = results.pop()
    assert received == kept
    return fired, kept


PAIR = "Scott meets Baxter at the motel. They argue about the money. "


def test_a_repeated_pair_of_sentences_fires_and_its_second_occurrence_is_cut() -> None:
    text = PAIR + "Nak waits in the car. " + PAIR + "Then they"
    fired, kept = check(text)
    assert fired
    assert kept == (PAIR + "Nak waits in the car.")


def test_a_loop_of_two_sentences_keeps_one_of_them() -> None:
    fired, kept = check(PAIR * 6)
    assert fired and kept == PAIR.strip()


def test_a_repeat_at_the_very_end_is_caught_when_the_text_ends() -> None:
    fired, kept = check("It opens at night. " + PAIR + PAIR.strip())
    assert fired and kept == "It opens at night. " + PAIR.strip()


def test_repeated_bullet_lines_without_full_stops_fire() -> None:
    lines = ["- Scott takes the job", "- Baxter drives", "- Nak counts the money"]
    text = "\n".join(lines + lines[:2] + ["- more"])
    fired, kept = check(text)
    assert fired and kept == "\n".join(lines)


def test_a_long_run_of_words_repeated_back_to_back_fires() -> None:
    span = "the man walks into the bar and orders a drink for his old friend "
    fired, kept = check("Notes: " + span * 3)
    assert fired and kept == "Notes: " + span.strip()
    fired, kept = check("Then " + "in " * 30)
    assert fired and kept == "Then in"


def test_one_repeated_short_sentence_does_not_fire_but_four_in_a_row_do() -> None:
    assert check("The end. They're all happy. The end.") == (
        False,
        "The end. They're all happy. The end.",
    )
    assert check("The end. The end.")[0] is False
    fired, kept = check("The end. The end. The end. The end. The end.")
    assert fired and kept == "The end. The end."


PROSE = (
    "Scott, a tired hit man, takes one last job (Sc. 1, p. 1). Baxter, his partner, "
    "wants out (Sc. 2, p. 3). Dr. Nak hides the money in the motel (Sc. 12, p. 34), "
    "e.g. under the bed. INT. MOTEL - NIGHT: Scott finds it (Sc. 13, p. 35).\n"
    "- Scott: the lead, in Sc. 1, Sc. 2, Sc. 3, Sc. 4, Sc. 5, Sc. 6, Sc. 7, Sc. 8.\n"
    "- Baxter: his partner.\n"
    "- Nak: the client.\n\n"
    "The story is tight. The story is tight, and the ending works. The end."
)


def test_normal_prose_with_citations_lists_and_numbers_does_not_fire() -> None:
    assert check(PROSE) == (False, PROSE)


def test_scene_headings_with_different_numbers_repeat_only_with_their_content() -> None:
    entries = "Sc. 3 INT. KITCHEN - NIGHT\nScott eats.\nSc. 7 INT. KITCHEN - NIGHT\nBaxter cooks.\n"
    assert check(entries)[0] is False
    # The same heading and the same sentence again (digits aside): a loop.
    looped = "Sc. 3 INT. KITCHEN - NIGHT\nScott eats.\nSc. 4 INT. KITCHEN - NIGHT\nScott eats."
    fired, kept = check(looped)
    assert fired and kept == "Sc. 3 INT. KITCHEN - NIGHT\nScott eats."


def test_sentences_are_compared_normalised() -> None:
    assert normalise("  Scene 12:  SCOTT'S   gun!! ") == "scene 0 scott s gun"
    text = "Scott runs. He hides. BAXTER laughs.\n* scott runs!\n*  HE  hides…\n"
    fired, kept = check(text)
    assert fired and kept == "Scott runs. He hides. BAXTER laughs."


def test_after_firing_nothing_more_is_passed_on() -> None:
    guard = LoopGuard()
    assert guard.take(PAIR + PAIR + "Next") == (PAIR.strip(), 0)
    assert guard.fired
    assert guard.take("more text. ") == ("", 0)
    assert guard.finish() == 0


def test_retract_withdraws_text_already_passed_on() -> None:
    guard = LoopGuard()
    shown, retract = guard.take(PAIR + PAIR)  # the second pair is not yet known to be complete
    assert (shown, retract, guard.fired) == (PAIR + PAIR, 0, False)
    shown, retract = guard.take("Next")
    assert guard.fired and shown == "" and retract == len(PAIR) + 1  # the pair and its space


# -- the no-repeat n-gram processor ------------------------------------------------------------

VOCAB = 16


def step(processor: NoRepeatNGram, tokens: list[int]) -> set[int]:
    """The tokens ``processor`` bans after ``tokens`` (as a decode loop passes them)."""
    logits = processor(mx.array(tokens), mx.zeros((1, VOCAB)))
    return {i for i, value in enumerate(logits[0].tolist()) if value == float("-inf")}


def test_ngram_bans_exactly_the_token_completing_a_generated_ngram() -> None:
    processor = NoRepeatNGram(3)
    prompt = [9]  # the engine passes the prompt's last token first
    generated = [1, 2, 3, 1, 2]
    bans = [step(processor, prompt + generated[:k]) for k in range(len(generated) + 1)]
    assert bans[:5] == [set(), set(), set(), set(), set()]
    assert bans[5] == {3}  # "1 2" was followed by 3: "1 2 3" may not come again
    assert step(processor, [*prompt, *generated, 4]) == set()  # "2 4": never seen


def test_ngram_ignores_the_prompt() -> None:
    """A citation or a name in the prompt may be copied: only generated n-grams count."""
    processor = NoRepeatNGram(2)
    prompt = [5, 6, 7, 5, 6]  # mlx-lm passes the whole prompt on the first call
    assert step(processor, prompt) == set()
    assert step(processor, [*prompt, 5]) == set()  # "6 5" is in the prompt, not generated
    assert step(processor, [*prompt, 5, 6]) == set()  # "5 6" repeats the prompt: allowed
    assert step(processor, [*prompt, 5, 6, 5]) == {6}  # generated "5 6" may not come again


@pytest.mark.parametrize("size", [2, 4, 12])
def test_ngram_never_lets_a_generated_ngram_repeat(size: int) -> None:
    """Greedy on logits that always prefer a short loop: with the processor, no n-gram of the
    generated tokens appears twice, for any n."""
    processor = NoRepeatNGram(size)
    tokens = [0]
    preference = mx.array([[float(VOCAB - ((i * 7) % VOCAB)) for i in range(VOCAB)]])
    for _ in range(60):
        logits = processor(mx.array(tokens), mx.array(preference))
        if mx.max(logits).item() == float("-inf"):
            break
        tokens.append(int(mx.argmax(logits[0]).item()))
    generated = tokens[1:]
    grams = [tuple(generated[i : i + size]) for i in range(len(generated) - size + 1)]
    assert len(grams) == len(set(grams)) and len(generated) > size


def test_ngram_processor_is_built_per_sequence_from_sampling_params() -> None:
    _, processors = build_sampler(SamplingParams(no_repeat_ngram=10, repetition_penalty=1.1))
    assert isinstance(processors[-1], NoRepeatNGram) and processors[-1].size == 10
    _, again = build_sampler(SamplingParams(no_repeat_ngram=10))
    assert again[-1] is not processors[-1]
    assert build_sampler(SamplingParams())[1] == []
    with pytest.raises(ValueError):
        SamplingParams(no_repeat_ngram=1)
    with pytest.raises(ValueError):
        SamplingParams(no_repeat_ngram=-2)


def test_the_result_does_not_depend_on_how_the_text_is_split() -> None:
    """Texts built from a few sentences, bullets and numbers, split at random points: the
    guard fires at the same place as on the whole text."""
    import random

    parts = [
        "Scott runs. ",
        "He hides (Sc. 3, p. 4). ",
        "Baxter laughs!\n",
        "- Nak counts the money\n",
        "e.g. the end. ",
        "INT. MOTEL - NIGHT\n",
        "word ",
        "1. Scott.\n",
        '"Go." ',
    ]
    rng = random.Random(14)
    fired = 0
    for _ in range(300):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(1, 14)))
        cuts = sorted(rng.sample(range(1, len(text)), min(len(text) - 1, rng.randint(0, 8))))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        whole = guarded([text])
        assert guarded(pieces) == whole, (text, pieces)
        assert whole[1] == whole[2]
        fired += whole[0]
    assert 0 < fired < 300


def _host_bans(generated: list[int], size: int) -> set[int]:
    """The n-gram rule written out on the host: every token that followed an earlier
    occurrence of the last ``size - 1`` generated tokens."""
    context = tuple(generated[len(generated) - size + 1 :])
    return {
        generated[j + size - 1]
        for j in range(len(generated) - size + 1)
        if tuple(generated[j : j + size - 1]) == context
    }


@pytest.mark.parametrize("size", [2, 3, 5])
def test_ngram_on_the_device_bans_what_the_rule_says(size: int) -> None:
    """Random streams over a tiny alphabet (n-grams repeat all the time): the processor's bans
    at every step equal the rule computed on the host, and it never reads tokens back."""
    rng = random.Random(size)
    for _ in range(5):
        prompt = [rng.randrange(VOCAB) for _ in range(rng.randrange(1, 4))]
        generated = [rng.randrange(4) for _ in range(40)]
        processor = NoRepeatNGram(size)
        for k in range(len(generated) + 1):
            expected = _host_bans(generated[:k], size) if k >= size else set()
            assert step(processor, prompt + generated[:k]) == expected, (prompt, k)
