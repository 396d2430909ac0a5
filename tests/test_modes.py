"""Summary modes: their prompt templates, the shared-prefix layout, user overrides and export."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from logline import paths
from logline.summarize import modes, prompt_files
from logline.summarize.modes import (
    MODES,
    get_mode,
    map_messages,
    merge_messages,
    reduce_messages,
    single_messages,
)
from logline.summarize.prompt_files import (
    TemplateError,
    check_template,
    export_prompts,
    shipped_names,
    shipped_template,
    template_fields,
)

BUILDERS = {
    "single": (single_messages, "document"),
    "map": (map_messages, "chunk"),
    "merge": (merge_messages, "notes"),
    "reduce": (reduce_messages, "notes"),
}
INSTRUCTION = "List every location where Edward meets someone new."
CHUNK_A = "[Sc. 1, p. 2]\nINT. WILL'S BEDROOM - NIGHT\n\nEdward tells a story."
CHUNK_B = "[Sc. 7, p. 9]\nEXT. RIVER - DAY\n\nThe catfish {escapes} (braces in text)."


def build(mode: str, role: str, value: str, kind: str = "screenplay") -> list[dict[str, str]]:
    builder, key = BUILDERS[role]
    instruction = INSTRUCTION if get_mode(mode).needs_instruction else None
    return builder(mode, title="Big Fish", kind=kind, instruction=instruction, **{key: value})


def user_file(name: str) -> Path:
    folder = paths.data_dir() / "prompts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.txt"


def test_the_modes_users_asked_for_exist_with_sane_sampling() -> None:
    assert list(MODES) == ["logline", "synopsis", "characters", "scenes", "coverage", "custom"]
    for mode in MODES.values():
        assert mode.sampling.temperature == 0.0
        assert 1.0 <= mode.sampling.repetition_penalty <= 1.15
        assert mode.title and mode.description
    assert get_mode("logline").sampling.max_tokens <= 100
    assert not get_mode("logline").needs_citations
    assert get_mode("synopsis").sampling.max_tokens < get_mode("coverage").sampling.max_tokens
    assert get_mode("custom").needs_instruction
    with pytest.raises(ValueError, match="synopsis"):
        get_mode("haiku")


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("role", list(BUILDERS))
def test_every_template_loads_formats_and_ends_with_its_variable_part(mode: str, role: str) -> None:
    messages = build(mode, role, CHUNK_B)
    assert [m["role"] for m in messages] == ["system", "user"]
    system, user = messages[0]["content"], messages[1]["content"]
    assert "never invent" in system
    assert user.endswith(CHUNK_B)  # the chunk is inserted verbatim, braces and all
    assert '"Big Fish"' in user
    assert "{" not in user.removesuffix(CHUNK_B)  # every field was filled
    if role != "merge" and get_mode(mode).needs_instruction:
        assert INSTRUCTION in user
    if get_mode(mode).needs_citations or role in ("map", "merge"):
        assert "(Sc. 12, p. 34)" in user  # how to cite
    if role in ("single", "map") and get_mode(mode).needs_citations:
        assert "[Sc. 12, p. 34]" in user  # how the text is marked


@pytest.mark.parametrize("mode", list(MODES))
def test_a_generic_document_is_cited_by_page_only(mode: str) -> None:
    user = build(mode, "map", "[p. 7]\nSome report text.", kind="document")[1]["content"]
    assert "(p. 7)" in user
    assert "Sc. 12" not in user


@pytest.mark.parametrize("role", ["map", "merge", "single", "reduce"])
def test_prompts_of_one_batch_share_everything_before_the_chunk(role: str) -> None:
    first = build("coverage", role, CHUNK_A)
    second = build("coverage", role, CHUNK_B)

    def rendered(messages: list[dict[str, str]]) -> str:
        return "".join(f"<|{m['role']}|>\n{m['content']}<|end|>\n" for m in messages)

    a, b = rendered(first), rendered(second)
    shared = len(a) - len(CHUNK_A) - len("<|end|>\n")
    assert a[:shared] == b[:shared]
    assert a[shared:].startswith(CHUNK_A) and b[shared:].startswith(CHUNK_B)


def test_the_custom_mode_needs_an_instruction() -> None:
    with pytest.raises(ValueError, match="instruction"):
        single_messages("custom", title="T", kind="screenplay", document="x")
    with pytest.raises(ValueError, match="instruction"):
        reduce_messages("custom", title="T", kind="screenplay", notes="x", instruction="  ")
    user = build("custom", "single", "DOC")[1]["content"]
    assert user.index(INSTRUCTION) < user.index("DOC")


def test_the_character_and_scene_modes_take_their_own_notes() -> None:
    generic = build("synopsis", "map", "X")[1]["content"]
    assert build("characters", "map", "X")[1]["content"] != generic
    assert "scene by scene" in build("scenes", "map", "X")[1]["content"]
    assert get_mode("scenes").combine == "concat"
    assert build("coverage", "map", "X")[1]["content"] == generic


def test_a_user_copy_overrides_the_shipped_template() -> None:
    user_file("synopsis.single").write_text(
        "Summarise {title} for a producer, with citations like {cite}.\n\n{document}\n"
    )
    user_file("system").write_text("You are a careful reader of {kind}s.")
    messages = build("synopsis", "single", "DOC")
    assert messages[0]["content"] == "You are a careful reader of screenplays."
    assert messages[1]["content"] == (
        "Summarise Big Fish for a producer, with citations like (Sc. 12, p. 34).\n\nDOC"
    )
    # A mode-specific map template the user adds is picked up too.
    user_file("coverage.map").write_text("Coverage notes on {title}:\n\n{chunk}")
    assert build("coverage", "map", "X")[1]["content"] == "Coverage notes on Big Fish:\n\nX"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Summarise {title}.", "missing {document}"),
        ("Summarise {title} for {audience}.\n\n{document}", "unknown {audience}"),
        ("Summarise {title.upper}.\n\n{document}", "plain field"),
        ("A brace { alone.\n\n{document}", "unbalanced"),
        ("   \n", "empty"),
    ],
)
def test_an_invalid_user_copy_falls_back_with_a_warning(
    text: str, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = user_file("synopsis.single")
    path.write_text(text)
    with caplog.at_level(logging.WARNING, logger="logline.summarize.prompt_files"):
        user = build("synopsis", "single", "DOC")[1]["content"]
    # Without facts, the template's {facts} paragraph is left out.
    assert user == shipped_template("synopsis.single").replace("\n\n{facts}", "").format(
        title="Big Fish",
        kind="screenplay",
        cite="(Sc. 12, p. 34)",
        marker="[Sc. 12, p. 34]",
        document="DOC",
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(path) in warnings[0] and problem in warnings[0]


def test_export_writes_every_template_and_keeps_the_users_edits() -> None:
    folder = export_prompts()
    assert folder == paths.data_dir() / "prompts"
    names = shipped_names()
    assert {"system", "map", "merge", "coverage.single", "coverage.reduce"} <= set(names)
    assert sorted(p.stem for p in folder.glob("*.txt")) == names
    for name in names:
        assert (folder / f"{name}.txt").read_text().strip() == shipped_template(name)
    # The exported copies are valid overrides: the messages do not change.
    assert build("coverage", "reduce", "N")[1]["content"].endswith("N")

    edited = folder / "logline.single.txt"
    edited.write_text("My logline prompt.\n\n{document}")
    export_prompts()
    assert edited.read_text() == "My logline prompt.\n\n{document}"
    export_prompts(overwrite=True)
    assert edited.read_text().strip() == shipped_template("logline.single")


def test_template_fields_accepts_only_plain_names() -> None:
    assert template_fields("{title} and {{literal}} and {document}") == {"title", "document"}
    for bad in ("{0}", "{}", "{document[0]}", "{document!r}", "{document:>10}", "}"):
        with pytest.raises(TemplateError):
            template_fields(bad)
    check_template("{notes}", required={"notes"}, allowed={"title"})
    with pytest.raises(TemplateError, match="usable fields"):
        check_template("{notes} {chunk}", required={"notes"}, allowed={"title"})


def test_warnings_are_not_repeated_for_the_same_file(caplog: pytest.LogCaptureFixture) -> None:
    user_file("merge").write_text("no notes field")
    with caplog.at_level(logging.WARNING, logger=prompt_files.__name__):
        for _ in range(3):
            build("synopsis", "merge", "N")
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_facts_come_before_the_variable_part_and_vanish_when_empty() -> None:
    kw = {"title": "Big Fish", "kind": "screenplay", "chunk": "CHUNK TEXT"}
    with_facts = modes.map_messages("synopsis", facts="Characters: EDWARD, WILL.", **kw)
    content = with_facts[1]["content"]
    assert "Characters: EDWARD, WILL." in content
    assert content.index("Characters: EDWARD") < content.index("CHUNK TEXT")
    assert content.endswith("CHUNK TEXT")
    without = modes.map_messages("synopsis", **kw)[1]["content"]
    assert "{facts}" not in without and "\n\n\n" not in without
    # The prompts of one batch still share everything before the chunk.
    other = modes.map_messages("synopsis", facts="Characters: EDWARD, WILL.", **kw | {"chunk": "X"})
    assert other[1]["content"][: -len("X")] == content[: -len("CHUNK TEXT")]


def test_a_users_older_template_without_facts_stays_valid() -> None:
    user_file("map").write_text("Notes on {title}:\n\n{chunk}")
    messages = modes.map_messages(
        "synopsis", title="Big Fish", kind="screenplay", chunk="X", facts="Characters: A."
    )
    assert messages[1]["content"] == "Notes on Big Fish:\n\nX"


def test_turn_text_fills_its_own_fields() -> None:
    text = modes.turn_text("characters.arc", title="T", kind="screenplay", name="WILL")
    assert "WILL" in text and "{" not in text
    with pytest.raises(TypeError):
        modes.map_messages("synopsis", title="T", kind="screenplay", chunk="X", audience="kids")
