"""The summary planner: single pass vs. map-reduce, chunks along scenes, exact coverage.

Token counts come from the tiny model's real byte-level BPE tokenizer (``tokenizer.json`` as
``tests/tiny_models.py`` writes it; its small vocabulary makes about 2.3 tokens of a SmolLM2
token). Scripts come from ``../shared/corpus`` (tests skip cleanly when it is absent).

Timing, for the record (not a timed test; 2-core Linux box, SmolLM2's own tokenizer): planning
big-fish.fountain (45,800 tokens, 192 scenes) takes about 0.3 s at any context from 1k to 32k.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from itertools import accumulate, pairwise
from pathlib import Path

import pytest

from logline.documents import Document, load
from logline.summarize.chunks import document_units, marker, pack, unit_tokens
from logline.summarize.planner import (
    MIN_CHUNK_TOKENS,
    PlanError,
    SummaryPlan,
    plan_reduce,
    plan_summary,
    reduce_levels,
)

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "scripts"
BIG_FISH = "fountain/big-fish.fountain"
BIG_FISH_PDF = "pdf/big-fish.finaldraft11.pdf"

# Prompt frames and answers of a typical run (tokens).
FRAMES = dict(frame_tokens=200, answer_tokens=320, map_frame_tokens=150, map_answer_tokens=256)
MARKER_LINE = re.compile(
    r"^\[(?:Sc\. (\d+)( \(continued\))?)?(?:, )?(?:pp?\. ([^–\]]+)(?:–([^\]]+))?)?\]$"
)

Count = Callable[[str], int]


@pytest.fixture(scope="module")
def count(tmp_path_factory: pytest.TempPathFactory) -> Count:
    """The tiny model's tokenizer (the real ``tokenizers`` BPE, no model needed)."""
    from tokenizers import Tokenizer

    from tiny_models import write_tiny_tokenizer_files

    folder = tmp_path_factory.mktemp("tokenizer")
    write_tiny_tokenizer_files(folder)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)


_documents: dict[str, Document] = {}


def corpus(name: str) -> Document:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"corpus file {name} is not present")
    if name not in _documents:
        _documents[name] = load(path)
    return _documents[name]


_plans: dict[tuple[str, int], SummaryPlan] = {}


def corpus_plan(name: str, context: int, count: Count) -> SummaryPlan:
    """Plans are cached: several tests look at the same one."""
    key = (name, context)
    if key not in _plans:
        _plans[key] = plan_summary(
            corpus(name), count_tokens=count, usable_context=context, **FRAMES
        )
    return _plans[key]


def write(tmp_path: Path, name: str, text: str) -> Document:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load(path)


def strip_markers(text: str) -> list[str]:
    """The words of a chunk without its marker lines."""
    return [
        word for line in text.split("\n") if not MARKER_LINE.match(line) for word in line.split()
    ]


def markers(text: str) -> list[re.Match[str]]:
    return [m for line in text.split("\n") if (m := MARKER_LINE.match(line))]


def check_plan(document: Document, plan: SummaryPlan, count: Count) -> None:
    """Everything every plan must satisfy."""
    chunks = plan.chunks
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    # Exact counts, within budget.
    for chunk in chunks:
        assert chunk.tokens == count(chunk.text)
        assert chunk.tokens <= plan.chunk_budget
    # The chunks' text, markers removed, is the document's text word for word: nothing is
    # missing (preamble included), nothing is there twice, no word is cut.
    words = [word for chunk in chunks for word in strip_markers(chunk.text)]
    assert words == document.text.split()
    if not document.is_screenplay:
        return
    # Every scene is in exactly one chunk, or in consecutive chunks holding its parts in order.
    seen: dict[int, list[int]] = {}
    for chunk in chunks:
        for number in chunk.scenes:
            seen.setdefault(number, []).append(chunk.index)
    assert sorted(seen) == [scene.number for scene in document.scenes]
    for number, where in seen.items():
        if len(where) > 1:
            assert where == list(range(where[0], where[0] + len(where)))
            assert [chunks[i].part for i in where] == [
                (k, len(where)) for k in range(1, len(where) + 1)
            ]
            assert all(chunks[i].scenes == (number,) for i in where)
        else:
            assert chunks[where[0]].part is None
    # Markers: one per scene (plus continuations), in order, with the scene's page labels.
    scenes = {scene.number: scene for scene in document.scenes}
    page_numbers = {page.label: page.number for page in document.pages}
    order: list[int] = []
    for chunk in chunks:
        for match in markers(chunk.text):
            if match.group(1) is None:  # the preamble: before any scene
                assert not order and chunk.preamble
                continue
            number = int(match.group(1))
            scene = scenes[number]
            if match.group(2):  # a continuation: pages inside the scene's
                assert order[-1] == number
                assert scene.page_start is not None and scene.page_end is not None
                for label in filter(None, match.group(3, 4)):
                    assert scene.page_start <= page_numbers[label] <= scene.page_end
                continue
            order.append(number)
            first = document.page_label(scene.page_start)
            last = document.page_label(scene.page_end)
            if first is not None:
                assert match.group(3) == first
                if chunk.part is None:  # a first part may end before the scene's last page
                    assert match.group(4) == (last if last != first else None)
    assert order == sorted(scenes)


# ------------------------------------------------------------------ plan selection


@pytest.mark.parametrize(
    ("context", "strategy", "chunks"),
    [
        (2048, "map_reduce", (70, 95)),
        (4096, "map_reduce", (28, 36)),
        (8192, "map_reduce", (12, 16)),
        (32768, "map_reduce", (3, 5)),
        (131072, "single", (1, 1)),
    ],
)
def test_big_fish_plan_at_several_contexts(
    count: Count, context: int, strategy: str, chunks: tuple[int, int]
) -> None:
    document = corpus(BIG_FISH)
    plan = corpus_plan(BIG_FISH, context, count)
    assert plan.strategy == strategy
    assert chunks[0] <= len(plan.chunks) <= chunks[1]
    assert plan.usable_context == context
    check_plan(document, plan, count)


def test_chunk_counts_fall_as_the_context_grows(count: Count) -> None:
    counts = [len(corpus_plan(BIG_FISH, c, count).chunks) for c in (2048, 4096, 8192, 32768)]
    assert counts == sorted(counts, reverse=True) and len(set(counts)) == 4


def test_single_pass_exactly_when_it_fits(tmp_path: Path, count: Count) -> None:
    document = write(tmp_path, "short.fountain", SHORT_SCRIPT)
    tokens = plan_summary(document, count_tokens=count, usable_context=100_000, **FRAMES)
    assert tokens.strategy == "single"
    need = tokens.document_tokens + 200 + 320 + 32  # frame, answer, margin
    assert tokens.document_tokens == count(tokens.chunks[0].text)
    at_edge = plan_summary(document, count_tokens=count, usable_context=need, **FRAMES)
    assert at_edge.strategy == "single"
    below = plan_summary(document, count_tokens=count, usable_context=need - 1, **FRAMES)
    assert below.strategy == "map_reduce"
    check_plan(document, at_edge, count)
    check_plan(document, below, count)
    assert "single pass" in at_edge.describe()
    assert below.describe().startswith(f"map-reduce: {len(below.chunks)} chunk")


def test_single_pass_text_has_a_marker_per_scene(tmp_path: Path, count: Count) -> None:
    document = write(tmp_path, "short.fountain", SHORT_SCRIPT)
    plan = plan_summary(document, count_tokens=count, usable_context=8192, **FRAMES)
    (chunk,) = plan.chunks
    assert chunk.text.startswith("[p. 1]\nA lighthouse beam sweeps the sea.")
    assert "\n\n[Sc. 1, p. 1]\nEXT. LIGHTHOUSE - NIGHT\n" in chunk.text
    assert chunk.scenes == (1, 2, 3) and chunk.preamble and chunk.part is None
    assert (chunk.first_page, chunk.last_page) == ("1", "1")


# ------------------------------------------------------------------ chunks along scenes


@pytest.mark.parametrize("name", [BIG_FISH, BIG_FISH_PDF, "fdx/big-fish.finaldraft11.fdx"])
@pytest.mark.parametrize("context", [1024, 4096])
def test_every_scene_is_covered_once(name: str, context: int, count: Count) -> None:
    document = corpus(name)
    plan = corpus_plan(name, context, count)
    assert plan.strategy == "map_reduce"
    check_plan(document, plan, count)
    assert plan.chunks[0].preamble  # big fish opens on narration before its first heading
    assert "This is a Southern story" in plan.chunks[0].text


@pytest.mark.parametrize("context", [1024, 2048, 4096])
def test_a_scene_is_split_only_when_it_alone_exceeds_the_budget(context: int, count: Count) -> None:
    document = corpus(BIG_FISH)
    plan = corpus_plan(BIG_FISH, context, count)
    units = document_units(document)
    sizes = dict(zip([u.scene for u in units], unit_tokens(document, units, count), strict=True))
    split = {n for chunk in plan.chunks if chunk.part for n in chunk.scenes}
    oversized = {n for n, size in sizes.items() if n is not None and size > plan.chunk_budget}
    assert split == oversized
    if context >= 4096:
        assert not split


def test_printed_page_labels_appear_in_markers(count: Count) -> None:
    document = corpus(BIG_FISH_PDF)
    plan = corpus_plan(BIG_FISH_PDF, 4096, count)
    for chunk in plan.chunks:
        first = document.scenes[chunk.scenes[0] - 1]
        last = document.scenes[chunk.scenes[-1] - 1]
        if not chunk.preamble:
            assert chunk.first_page == document.page_label(first.page_start)
        assert chunk.last_page == document.page_label(last.page_end)


@pytest.mark.parametrize("context", [2048, 4096, 8192])
def test_chunks_are_balanced(context: int, count: Count) -> None:
    plan = corpus_plan(BIG_FISH, context, count)
    # Split scenes' parts are chunks of their own, so the scenes between two split ones are
    # packed on their own: compare chunks within each run of whole scenes.
    runs: list[list[int]] = [[]]
    for chunk in plan.chunks:
        if chunk.part is None:
            runs[-1].append(chunk.tokens)
        elif runs[-1]:
            runs.append([])
    for sizes in runs:
        if len(sizes) > 1:
            assert max(sizes) / min(sizes) < 2.0, sizes
    if context < 4096:
        return
    # No scene is split at these sizes, and no more chunks than greedy filling would make.
    assert len(runs) == 1
    document = corpus(BIG_FISH)
    greedy, used = 1, 0
    for size in unit_tokens(document, document_units(document), count):
        if used + size > plan.chunk_budget:
            greedy, used = greedy + 1, 0
        used += size
    assert len(plan.chunks) <= greedy


def test_max_chunk_tokens_caps_the_budget(count: Count) -> None:
    plan = plan_summary(
        corpus(BIG_FISH), count_tokens=count, usable_context=32768, max_chunk_tokens=3000, **FRAMES
    )
    assert plan.chunk_budget == 3000
    assert max(chunk.tokens for chunk in plan.chunks) <= 3000
    assert plan.describe().startswith(f"map-reduce: {len(plan.chunks)} chunks of ≤ 3,000 tokens")


def test_too_small_a_context_is_a_clear_error(count: Count) -> None:
    with pytest.raises(PlanError, match="at least 256"):
        plan_summary(corpus(BIG_FISH), count_tokens=count, usable_context=650, **FRAMES)
    assert MIN_CHUNK_TOKENS == 256


def many_scenes_script(scenes: int = 40) -> str:
    return "\n\n".join(
        f"INT. ROOM {i} - DAY\n\nSomeone walks in and looks around the room number {i}.\n\n"
        f"ANNA\nI have been waiting here for {i} hours, and nobody told me why."
        for i in range(1, scenes + 1)
    )


def test_budget_holds_when_joined_text_counts_longer_than_its_pieces(tmp_path: Path) -> None:
    """A tokenizer whose count of a concatenation exceeds the sum of its parts' (merges across
    the joins) must not push a chunk over budget: the planner re-cuts against a lower one."""

    def superadditive(text: str) -> int:
        words = len(text.split())
        return words + (words // 20) ** 2

    document = write(tmp_path, "many.fountain", many_scenes_script())
    plan = plan_summary(
        document,
        count_tokens=superadditive,
        usable_context=2000,
        max_chunk_tokens=300,
        **FRAMES,
    )
    assert plan.strategy == "map_reduce" and len(plan.chunks) > 3
    check_plan(document, plan, superadditive)


# ------------------------------------------------------------------ long scenes


SHORT_SCRIPT = """\
Title: The Keeper

A lighthouse beam sweeps the sea.

EXT. LIGHTHOUSE - NIGHT

Waves crash against the rocks.

INT. LAMP ROOM - CONTINUOUS

MARA
(quietly)
The light has to stay on.

EXT. SHORE - DAWN

A boat drifts in.
"""


def long_scene_script() -> str:
    speech = "\n\n".join(
        f"MARA\nLine {i} of the long night: the keeper counts the ships and waits.\n\n"
        f"Sea spray hits the glass, beat {i}, and the lamp keeps turning."
        for i in range(60)
    )
    run_on = " ".join(
        f"The storm grows louder with each passing minute number {i}." for i in range(80)
    )
    return (
        "EXT. HARBOUR - DAY\n\nGulls.\n\n"
        f"INT. LAMP ROOM - NIGHT\n\n{speech}\n\n{run_on}\n\n"
        "EXT. SHORE - DAWN\n\nCalm water.\n"
    )


def test_a_long_scene_is_split_into_consecutive_parts(tmp_path: Path, count: Count) -> None:
    document = write(tmp_path, "long.fountain", long_scene_script())
    assert [scene.number for scene in document.scenes] == [1, 2, 3]
    plan = plan_summary(
        document, count_tokens=count, usable_context=1024, max_chunk_tokens=400, **FRAMES
    )
    check_plan(document, plan, count)
    parts = [chunk for chunk in plan.chunks if chunk.scenes == (2,)]
    assert len(parts) >= 4 and all(chunk.part for chunk in parts)
    # The parts are the scene's text, cut between elements or words, never inside a word.
    joined = [word for chunk in parts for word in strip_markers(chunk.text)]
    assert joined == document.scene_text(document.scenes[1]).split()
    assert parts[0].text.startswith("[Sc. 2, p") and "INT. LAMP ROOM" in parts[0].text
    for chunk in parts[1:]:
        assert chunk.text.startswith("[Sc. 2 (continued), p")
    # A speech stays with its cue.
    for chunk in parts:
        body = chunk.text.split("\n", 1)[1]
        assert not body.startswith("Line ")
    # Balanced parts: no runt at the end.
    sizes = [chunk.tokens for chunk in parts]
    assert max(sizes) / min(sizes) < 2.0
    # The neighbours are whole.
    assert [chunk.part for chunk in plan.chunks if 2 not in chunk.scenes] == [None, None]


def test_a_paragraph_with_no_line_breaks_is_cut_between_sentences(
    tmp_path: Path, count: Count
) -> None:
    document = write(tmp_path, "long.fountain", long_scene_script())
    plan = plan_summary(
        document, count_tokens=count, usable_context=1024, max_chunk_tokens=300, **FRAMES
    )
    check_plan(document, plan, count)
    run_on = [c for c in plan.chunks if "The storm grows louder" in c.text]
    assert len(run_on) >= 2
    for chunk in run_on:
        last_line = chunk.text.rstrip().split("\n")[-1]
        if last_line.startswith("The storm"):
            assert last_line.endswith(".")


def test_a_single_enormous_word_is_cut_as_a_last_resort(tmp_path: Path, count: Count) -> None:
    blob = "x" * 3000
    document = write(
        tmp_path, "blob.fountain", f"INT. ROOM - DAY\n\n{blob}\n\nEXT. YARD - DAY\n\nA.\n"
    )
    plan = plan_summary(
        document, count_tokens=count, usable_context=1024, max_chunk_tokens=300, **FRAMES
    )
    assert all(chunk.tokens <= 300 for chunk in plan.chunks)
    assert "".join("".join(strip_markers(c.text)) for c in plan.chunks if c.scenes == (1,)) == (
        "INT.ROOM-DAY" + blob
    )


def test_a_long_preamble_is_split_and_covered(tmp_path: Path, count: Count) -> None:
    opening = "\n\n".join(
        f"Narration paragraph {i}, once upon a time, far away." for i in range(80)
    )
    document = write(tmp_path, "open.fountain", f"{opening}\n\nEXT. ROAD - DAY\n\nA car.\n")
    plan = plan_summary(
        document, count_tokens=count, usable_context=1024, max_chunk_tokens=300, **FRAMES
    )
    check_plan(document, plan, count)
    opening_chunks = [chunk for chunk in plan.chunks if chunk.preamble]
    assert len(opening_chunks) > 1 and all(chunk.scenes == () for chunk in opening_chunks)
    assert opening_chunks[0].text.startswith(("[p. 1]", "[pp. 1–"))
    assert plan.chunks[-1].scenes == (1,) and plan.chunks[-1].part is None


# ------------------------------------------------------------------ generic documents


def report_pdf(tmp_path: Path, pages: int = 12, first_label: int = 7) -> Path:
    from pdf_factory import CHAR, PAGE_WIDTH, Placed, build_pdf

    content = []
    for page in range(pages):
        lines, y = [], 72.0
        for paragraph in range(6):
            for line in range(4):
                text = f"Item {paragraph}.{line} on sheet {page} reports steady progress today."
                lines.append(Placed(72, y, text))
                y += 14
            y += 14
        lines.append(Placed(PAGE_WIDTH / 2 - CHAR, 750, str(page + first_label)))
        content.append(lines)
    path = tmp_path / "report.pdf"
    path.write_bytes(build_pdf(content))
    return path


def test_a_generic_pdf_is_chunked_by_pages(tmp_path: Path, count: Count) -> None:
    document = load(report_pdf(tmp_path))
    assert document.kind == "generic" and document.pages[0].label == "7"
    plan = plan_summary(
        document, count_tokens=count, usable_context=4096, max_chunk_tokens=1200, **FRAMES
    )
    assert plan.strategy == "map_reduce" and len(plan.chunks) > 2
    check_plan(document, plan, count)
    labels = [m.group(3) for chunk in plan.chunks for m in markers(chunk.text)]
    assert labels == [page.label for page in document.pages]  # one marker per page, in order
    assert all(chunk.scenes == () and not chunk.preamble for chunk in plan.chunks)
    assert plan.chunks[0].first_page == "7" and plan.chunks[-1].last_page == "18"


def test_a_long_text_page_is_split_at_paragraphs(tmp_path: Path, count: Count) -> None:
    page = "\n\n".join(f"Paragraph {i} is a plain sentence about the weather." for i in range(60))
    document = write(tmp_path, "notes.txt", f"Short first page.\f{page}\fLast page.")
    assert document.kind == "generic" and len(document.pages) == 3
    plan = plan_summary(
        document, count_tokens=count, usable_context=1024, max_chunk_tokens=300, **FRAMES
    )
    check_plan(document, plan, count)
    middle = [chunk for chunk in plan.chunks if chunk.part is not None]
    assert len(middle) >= 3
    for chunk in middle:
        assert chunk.text.startswith("[p. 2]\nParagraph ")
        assert chunk.first_page == chunk.last_page == "2"
        assert chunk.text.rstrip().endswith("weather.")


# ------------------------------------------------------------------ markers


@pytest.mark.parametrize(
    ("scene", "first", "last", "continued", "expected"),
    [
        (12, "34", "34", False, "[Sc. 12, p. 34]"),
        (12, "34", "36", False, "[Sc. 12, pp. 34–36]"),
        (12, None, None, False, "[Sc. 12]"),
        (12, "35", None, True, "[Sc. 12 (continued), p. 35]"),
        (None, "7", "7", False, "[p. 7]"),
        (None, "12A", "13", False, "[pp. 12A–13]"),
        (None, None, None, False, ""),
    ],
)
def test_marker_format(
    scene: int | None, first: str | None, last: str | None, continued: bool, expected: str
) -> None:
    assert marker(scene, first, last, continued=continued) == expected


# ------------------------------------------------------------------ reduce


@pytest.mark.parametrize(
    ("notes", "budget", "groups"),
    [
        ([], 100, []),
        ([50], 100, [[0]]),
        ([50, 50], 100, [[0, 1]]),
        ([50, 50, 50], 100, [[0], [1, 2]]),
        ([5, 5, 5, 5], 10, [[0, 1], [2, 3]]),
        ([90, 10, 10, 10, 90], 100, [[0], [1, 2, 3], [4]]),  # greedy: [0, 1], [2, 3], [4]
    ],
)
def test_plan_reduce_groups(notes: list[int], budget: int, groups: list[list[int]]) -> None:
    assert plan_reduce(notes, budget=budget) == groups


def test_plan_reduce_evens_out_groups() -> None:
    groups = plan_reduce([10] * 10, budget=40)  # greedy would make 4, 4, 2
    assert sorted(len(group) for group in groups) == [3, 3, 4]
    assert [i for group in groups for i in group] == list(range(10))


def test_plan_reduce_refuses_a_note_over_budget() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        plan_reduce([10, 120, 10], budget=100)


def test_plan_reduce_loop_terminates_with_one_group() -> None:
    notes = [300] * 40
    levels = 0
    while len(notes) > 1:
        groups = plan_reduce(notes, budget=1000)
        assert len(groups) < len(notes)
        notes = [300] * len(groups)  # each group merges into a note as long as one
        levels += 1
    assert levels == len(reduce_levels(40, note_tokens=300, budget=1000)) == 4  # 14, 5, 2, 1


@pytest.mark.parametrize(
    ("count", "note", "budget", "levels"),
    [
        (1, 300, 1000, [1]),
        (3, 300, 1000, [1]),
        (14, 300, 1500, [3, 1]),
        (83, 256, 1500, [17, 4, 1]),
    ],
)
def test_reduce_levels(count: int, note: int, budget: int, levels: list[int]) -> None:
    assert reduce_levels(count, note_tokens=note, budget=budget) == levels


def test_reduce_levels_needs_room_for_two_notes() -> None:
    with pytest.raises(ValueError, match="fewer than two"):
        reduce_levels(5, note_tokens=300, budget=500)


def test_describe_names_the_merge_levels(count: Count) -> None:
    plan = corpus_plan(BIG_FISH, 2048, count)
    levels = " → ".join(str(n) for n in (len(plan.chunks), *plan.reduce_levels))
    assert plan.describe() == (
        f"map-reduce: {len(plan.chunks)} chunks of ≤ {plan.chunk_budget:,} tokens, merged {levels}"
    )


# ------------------------------------------------------------------ packing


def test_pack_is_minimal_within_budget_and_contiguous() -> None:
    rng = random.Random(5)
    for _ in range(500):
        budget = rng.randint(5, 200)
        sizes = [rng.randint(1, budget) for _ in range(rng.randint(1, 50))]
        bounds = pack(sizes, budget)
        prefix = list(accumulate(sizes, initial=0))
        assert bounds[0][0] == 0 and bounds[-1][1] == len(sizes)
        assert all(a[1] == b[0] for a, b in pairwise(bounds))
        assert all(prefix[end] - prefix[start] <= budget for start, end in bounds)
        greedy, used = 1, 0
        for size in sizes:
            if used + size > budget:
                greedy, used = greedy + 1, 0
            used += size
        assert len(bounds) == greedy


def test_pack_many_small_items_stays_fast_and_even() -> None:
    sizes = [7] * 30_000  # too many for the exact even packing: the near-shares path
    bounds = pack(sizes, 1000)
    lengths = [end - start for start, end in bounds]
    assert len(bounds) == math.ceil(30_000 / (1000 // 7))
    assert max(lengths) - min(lengths) <= 1
