"""Conversations over one document on the tiny model: cached turns, branches, stop, overflow.

Greedy decoding, so an answer with every cache in play can be compared with the same prompt
read from scratch. The store is real (SQLite under the test's LOGLINE_HOME).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chat_helpers import Events, install_tiny, write_script
from logline.chat.events import AnswerText, ContextUse, Notice, Reading, TurnFinished, TurnStarted
from logline.chat.session import QUESTION_ROOM, ChatOptions, ChatSession
from logline.documents import load
from logline.engine import CancelToken, Finished, Generated
from logline.engine.requests import GenerationRequest
from logline.engine.runtime import Engine
from logline.store import Store

APP = Path(__file__).resolve().parents[1] / "app"
OPTIONS = ChatOptions(answer_tokens=10, facts_answers=False)


@pytest.fixture()
def setup(tiny_model_dir: Path, tmp_path: Path):
    model = install_tiny(tiny_model_dir)
    document = load(write_script(tmp_path))
    store = Store.open()
    yield model, document, store
    store.close()


def _ask(session: ChatSession, engine: Engine, model, question: str, cancel=None):
    events = Events()
    result = session.ask(engine, model, question, cancel or CancelToken(), events.append)
    return result, events


def test_a_follow_up_reads_only_its_own_tokens_and_answers_as_from_scratch(setup) -> None:
    model, document, store = setup
    engine = Engine(prefill_step=64)
    session = ChatSession.open(store, document, options=OPTIONS, model_id=model.model_id)
    first, events = _ask(session, engine, model, "Who follows Edward?")
    assert first.reason in ("done", "length") and first.stats is not None
    assert any(r.script for r in events.of(Reading))  # the script part was read, with progress
    script = events.of(ContextUse)[0].script
    assert first.stats.cached_tokens == script  # the question came after the cached script
    second, events = _ask(session, engine, model, "Where is the print shop?")
    assert not any(r.script for r in events.of(Reading))
    use = events.of(ContextUse)[0]
    assert use.history > 0 and use.dropped_turns == 0
    # Only the new turn is read: all of the first turn's prompt comes from its checkpoint.
    # (The tiny model writes stray bytes, whose text re-encodes differently, so some of its
    # answer may be read again; the embedded model's test below holds it to the question.)
    assert second.stats.cached_tokens >= first.stats.prompt_tokens
    assert second.stats.prefilled_tokens <= use.question + use.history
    # The same prompt, read from scratch by a fresh engine, gives the same greedy answer.
    fresh = Engine(prefill_step=64)
    fresh.load(model.model_id, model.path)
    request = GenerationRequest(
        prompt_tokens=session.last_prompt_tokens, sampling=OPTIONS.sampling()
    )
    out: list = []
    fresh.generate(request, CancelToken(), out.append)
    assert next(e for e in out if isinstance(e, Finished)).stats.cached_tokens == 0
    assert "".join(e.text for e in out if isinstance(e, Generated)) == second.raw_text
    # Everything is in the store, in order, with per-message stats.
    thread = session.thread()
    assert [m.role for m in thread] == ["user", "assistant", "user", "assistant"]
    assert thread[-1].stats["cached_tokens"] == second.stats.cached_tokens
    assert thread[-1].model == model.model_id and thread[-1].finish_reason == second.reason


def test_regenerate_and_edit_keep_the_earlier_branch_and_reuse_the_cache(setup) -> None:
    model, document, store = setup
    engine = Engine(prefill_step=64)
    session = ChatSession.open(store, document, options=OPTIONS, model_id=model.model_id)
    _, events = _ask(session, engine, model, "Who follows Edward?")
    script = events.of(ContextUse)[0].script
    second, _ = _ask(session, engine, model, "Where is the print shop?")
    regenerated = session.regenerate(
        engine, model, second.message_id, CancelToken(), Events().append
    )
    assert regenerated.message_id != second.message_id
    assert store.messages.get(second.message_id) is not None  # the old branch is kept
    siblings = store.messages.siblings(second.message_id)
    assert [m.id for m in siblings] == [second.message_id, regenerated.message_id]
    # Restored from the checkpoint: only the prompt's last token is read again.
    assert regenerated.stats.prefilled_tokens <= 1
    assert regenerated.raw_text == second.raw_text  # greedy: the same answer
    user_id = store.messages.get(second.message_id).parent_id
    edited = session.edit(
        engine, model, user_id, "Where is the diner?", CancelToken(), Events().append
    )
    thread = session.thread()
    assert thread[-1].id == edited.message_id and thread[-2].content == "Where is the diner?"
    assert len(store.messages.siblings(user_id)) == 2
    assert store.messages.get(user_id).content == "Where is the print shop?"
    # The shared turns (script and the first exchange) come from the checkpoint.
    assert edited.stats.cached_tokens > script and edited.stats.prefilled_tokens < 30


def test_stop_keeps_the_partial_answer_in_the_store(setup) -> None:
    model, document, store = setup
    engine = Engine(prefill_step=64)
    options = ChatOptions(answer_tokens=200, facts_answers=False)
    session = ChatSession.open(store, document, options=options, model_id=model.model_id)
    cancel = CancelToken()
    seen = Events()

    def emit(event: object) -> None:
        seen.append(event)
        if isinstance(event, AnswerText) and len(seen.of(AnswerText)) == 3:
            cancel.cancel()

    result = session.ask(engine, model, "Tell me everything about Mavis.", cancel, emit)
    assert result.reason == "stopped" and result.raw_text
    stored = store.messages.get(result.message_id)
    assert stored.finish_reason == "stopped" and stored.content == result.text
    assert isinstance(seen[-1], TurnFinished)


def test_history_that_no_longer_fits_is_dropped_oldest_first_never_the_script(setup) -> None:
    model, document, store = setup
    engine = Engine(prefill_step=64)
    probe = ChatSession.open(store, document, options=OPTIONS, model_id=model.model_id)
    _, events = _ask(probe, engine, model, "Who follows Edward?")
    first = events.of(ContextUse)[0]
    # Room for the script read whole, the answer and a few short turns.
    cap = first.script + first.reserve + QUESTION_ROOM + 10
    options = ChatOptions(answer_tokens=10, facts_answers=False, max_context=cap)
    session = ChatSession.open(store, document, options=options, model_id=model.model_id)
    notices = []
    questions = ["Who is Mavis?", "Where is the river?", "What jams?", "Who wades in?"]
    for question in questions * 2:
        _, events = _ask(session, engine, model, question)
        use = events.of(ContextUse)[0]
        assert use.script == first.script and use.fits
        notices += [n.message for n in events.of(Notice) if "no longer fit" in n.message]
    assert use.dropped_turns >= 1 and notices
    assert f"The {use.dropped_turns} earliest" in notices[-1]


def test_parser_questions_are_answered_from_the_facts_without_a_model(setup) -> None:
    model, document, store = setup
    engine = Engine()
    session = ChatSession.open(store, document, model_id=model.model_id)
    result, events = _ask(session, engine, model, "How many scenes are there?")
    assert result.source == "facts" and "4" in result.text
    assert engine.loaded is None  # no model was needed
    assert events.of(TurnStarted)[0].model == "script facts"


def test_a_saved_script_cache_answers_the_first_question_in_a_new_process(
    setup, tmp_path: Path
) -> None:
    model, document, store = setup
    engine = Engine(prefill_step=64)
    session = ChatSession.open(store, document, options=OPTIONS, model_id=model.model_id)
    first, events = _ask(session, engine, model, "Who follows Edward?")
    question_tokens = events.of(ContextUse)[0].question
    files = list(Path(os.environ["LOGLINE_HOME"]).rglob("prompt-caches/*.safetensors"))
    assert len(files) == 1 and oct(files[0].stat().st_mode & 0o777) == "0o600"
    child = textwrap.dedent(
        f"""
        import json, logline
        from pathlib import Path
        logline.__path__.append({str(APP.parent)!r})
        from logline.chat.events import Reading
        from logline.chat.session import QUESTION_ROOM, ChatOptions, ChatSession
        from logline.documents import load
        from logline.engine import CancelToken
        from logline.engine.runtime import Engine
        from logline.models.registry import find_model
        from logline.store import Store
        store = Store.open()
        session = ChatSession.open(store, load(Path({str(document.path)!r})),
            options=ChatOptions(answer_tokens=10, facts_answers=False), model_id="tiny")
        events = []
        result = session.ask(Engine(prefill_step=64), find_model("tiny"), "Who follows Edward?",
                             CancelToken(), events.append)
        print(json.dumps({{"text": result.raw_text, "cached": result.stats.cached_tokens,
            "prefilled": result.stats.prefilled_tokens,
            "script_read": any(isinstance(e, Reading) and e.script for e in events)}}))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(APP)}
    out = subprocess.run(
        [sys.executable, "-c", child], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert answer["script_read"] is False
    assert answer["text"] == first.raw_text
    assert answer["prefilled"] == question_tokens  # only the question is read


def test_a_script_too_long_to_read_whole_is_read_as_notes_and_matching_scenes(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    model = install_tiny(tiny_model_dir)
    document = load(write_script(tmp_path, repeats=12, name="long.fountain"))
    store = Store.open()
    try:
        engine = Engine(prefill_step=64)
        options = ChatOptions(answer_tokens=10, facts_answers=False, max_context=1400)
        session = ChatSession.open(store, document, options=options, model_id=model.model_id)
        result, events = _ask(session, engine, model, "What happens at the diner?")
        use = events.of(ContextUse)[0]
        assert use.script_mode == "digest" and use.fits
        assert any("does not fit" in n.message for n in events.of(Notice))
        # The notes came from a summary, which is kept for the user (and the next chat).
        record = store.documents.by_hash(session.document_hash)
        summary = store.summaries.latest(record.id, model=model.model_id)
        assert summary is not None and summary.notes
        # The question's turn carries the scenes set at the diner, under their markers.
        prompt = engine_text(engine, session.last_prompt_tokens)
        assert "Scenes from the script that may help" in prompt and "INT. DINER" in prompt
        assert result.reason in ("done", "length", "repetition")
        # A second chat reuses the stored notes: no new summary.
        again = ChatSession.open(store, document, options=options, model_id=model.model_id)
        _ask(again, engine, model, "Who is Mavis?")
        assert len(store.summaries.list(record.id)) == 1
    finally:
        store.close()


def engine_text(engine: Engine, tokens: list[int]) -> str:
    return engine.loaded.tokenizer.decode(tokens)


def test_the_meter_before_sending_equals_what_the_turn_then_uses(setup) -> None:
    model, document, store = setup
    engine = Engine(prefill_step=64)
    session = ChatSession.open(store, document, options=OPTIONS, model_id=model.model_id)
    assert session.measure(engine, "Who?") is None  # nothing prepared yet
    _ask(session, engine, model, "Who follows Edward?")
    before = session.measure(engine, "Where is the diner?")
    _, events = _ask(session, engine, model, "Where is the diner?")
    assert before == events.of(ContextUse)[0]
    empty = session.measure(engine, "")  # the next turn: this exchange is history now
    assert empty.script == before.script and empty.history > before.history
