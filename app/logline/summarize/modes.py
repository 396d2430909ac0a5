"""Summary modes (logline, synopsis, character arcs, scene breakdown, coverage, custom) and the
chat messages each sends to the model.

Every mode has prompt templates in ``resources/prompts/`` (the user may override them, see
:mod:`logline.summarize.prompt_files`):

- ``system.txt``: the analyst's standing orders, shared by every mode and role (constant fields
  only: no variable part);
- ``<mode>.single.txt``: the whole document in one prompt, answered directly;
- ``map.txt`` (or ``<mode>.map.txt`` where a mode needs its own): notes on one chunk, cited;
- ``merge.txt`` (or ``<mode>.merge.txt``): shorter notes from several notes, citations kept;
- ``<mode>.reduce.txt``: the final answer from the notes.

Templates are ``str.format`` text with the fields ``{title}``, ``{kind}``, ``{cite}`` (how to cite,
e.g. ``(Sc. 12, p. 34)``), ``{marker}`` (how the text is marked, e.g. ``[Sc. 12, p. 34]``),
``{instruction}`` (custom mode) and one variable part, ``{document}``, ``{chunk}`` or ``{notes}``,
which comes LAST: every prompt of one batch then shares its prefix, which the engine's prompt cache
computes once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from logline.engine.sampling import SamplingParams
from logline.summarize.prompt_files import has_template, load_template

Message = dict[str, str]
Role = Literal["single", "map", "merge", "reduce"]
Combine = Literal["reduce", "concat"]

# The variable part of each role's user message (required, and last in the template).
ROLE_FIELD: dict[Role, str] = {
    "single": "document",
    "map": "chunk",
    "merge": "notes",
    "reduce": "notes",
}
COMMON_FIELDS = frozenset({"title", "kind", "cite", "marker"})
# What the parser knows about the document (cast, locations...), as ground truth for the model.
# Optional in a template (a user's older copy without it stays valid); before the variable part.
FACTS_FIELD = "facts"
SCREENPLAY_KIND = "screenplay"


def _sampling(
    max_tokens: int, repetition_penalty: float = 1.1, no_repeat: int = 16
) -> SamplingParams:
    """Greedy, with the loop guard on: no run of ``no_repeat`` tokens is written twice (runs
    copied from the prompt stay allowed) and a text that repeats itself ends (``repetition``).
    ``no_repeat`` stays well above a citation's length (13 to 19 tokens with SmolLM2's
    digit-by-digit tokenizer) less what two citations of one scene share."""
    return SamplingParams(
        temperature=0.0,
        repetition_penalty=repetition_penalty,
        repetition_context_size=64,
        max_tokens=max_tokens,
        no_repeat_ngram=no_repeat,
        loop_guard=True,
    )


# Notes on one chunk or a merge of notes: bullets with citations, a few hundred tokens.
NOTES_SAMPLING = _sampling(450, 1.05, no_repeat=20)


@dataclass(frozen=True)
class Mode:
    """One kind of summary.

    ``sampling`` drives the final answer (single or reduce); ``map_sampling`` the notes on each
    chunk. ``combine`` says how a long document's chunk outputs become the answer: ``"reduce"``
    (merge notes, then write the answer from them) or ``"concat"`` (the chunk outputs, in order,
    ARE the answer, e.g. a scene-by-scene breakdown that would not fit one answer).
    Repetition penalties stay modest (lists of citations repeat tokens by design).
    """

    id: str
    title: str
    description: str
    sampling: SamplingParams
    needs_citations: bool = True
    needs_instruction: bool = False
    combine: Combine = "reduce"
    map_sampling: SamplingParams = field(default=NOTES_SAMPLING)


MODES: dict[str, Mode] = {
    mode.id: mode
    for mode in (
        Mode(
            "logline",
            "Logline",
            "One sentence: protagonist, goal, obstacle, stakes.",
            _sampling(80, no_repeat=12),
            needs_citations=False,
        ),
        Mode(
            "synopsis",
            "Synopsis",
            "A one-page synopsis of the whole story, ending included.",
            _sampling(700),
        ),
        Mode(
            "characters",
            "Character arcs",
            "Bullet points per major character: want, turning points, change.",
            _sampling(1000, 1.05, no_repeat=20),
        ),
        Mode(
            "scenes",
            "Scene-by-scene breakdown",
            "One line per scene: place, what happens, why it matters.",
            _sampling(1500, 1.05, no_repeat=24),
            combine="concat",
            map_sampling=_sampling(1500, 1.05, no_repeat=24),
        ),
        Mode(
            "coverage",
            "Coverage report",
            "Studio coverage: logline, synopsis, characters, strengths, weaknesses, verdict.",
            _sampling(1500, 1.05, no_repeat=20),
        ),
        Mode(
            "custom",
            "Custom instruction",
            "Your own request about the document.",
            _sampling(1000, 1.05),
            needs_instruction=True,
        ),
    )
}
DEFAULT_MODE = "synopsis"


def get_mode(mode_id: str) -> Mode:
    """The mode called ``mode_id``; ``ValueError`` naming the known ones otherwise."""
    try:
        return MODES[mode_id]
    except KeyError:
        raise ValueError(
            f"Unknown summary mode {mode_id!r}; choose one of: {', '.join(MODES)}"
        ) from None


def citation_style(kind: str) -> tuple[str, str]:
    """``(cite, marker)`` examples for a document kind (see docs: shared formats)."""
    if kind == SCREENPLAY_KIND:
        return "(Sc. 12, p. 34)", "[Sc. 12, p. 34]"
    return "(p. 7)", "[p. 7]"


def template_name(mode: Mode, role: Role) -> str:
    """The template file (without ``.txt``) for ``role`` in ``mode``."""
    if role in ("single", "reduce"):
        return f"{mode.id}.{role}"
    own = f"{mode.id}.{role}"
    return own if has_template(own) else role


def _messages(
    mode: Mode | str,
    role: Role,
    *,
    title: str,
    kind: str,
    value: str,
    instruction: str | None,
    facts: str = "",
    template: str | None = None,
) -> list[Message]:
    mode = get_mode(mode) if isinstance(mode, str) else mode
    cite, marker = citation_style(kind)
    fields = {"title": title, "kind": kind, "cite": cite, "marker": marker, ROLE_FIELD[role]: value}
    fields[FACTS_FIELD] = facts.strip()
    required = {ROLE_FIELD[role]}
    allowed = set(COMMON_FIELDS) | {FACTS_FIELD}
    if mode.needs_instruction:
        if instruction is None or not instruction.strip():
            raise ValueError(f"The {mode.title.lower()} mode needs an instruction")
        fields["instruction"] = instruction.strip()
        allowed.add("instruction")
        if role != "merge":
            required.add("instruction")
    system = load_template("system", allowed=COMMON_FIELDS)
    name = template or template_name(mode, role)
    user = load_template(name, required=required, allowed=allowed)
    common = {name: fields[name] for name in COMMON_FIELDS}
    return [
        {"role": "system", "content": system.format(**common)},
        {
            "role": "user",
            "content": _without_empty_facts(user, fields[FACTS_FIELD]).format(**fields),
        },
    ]


def _without_empty_facts(template: str, facts: str) -> str:
    """The template with its ``{facts}`` paragraph dropped when there are no facts (no run of
    blank lines where it was; the document itself is never touched)."""
    return template if facts else _FACTS_PARAGRAPH.sub("\n\n", template).strip()


_FACTS_PARAGRAPH = re.compile(r"\s*\{" + FACTS_FIELD + r"\}\s*")


def turn_text(template_name: str, /, *, title: str, kind: str, **extra: str) -> str:
    """A follow-up instruction of a structured answer (``coverage.synopsis``, ``characters.arc``
    ...): common fields plus ``extra`` ones, each of which the template must use."""
    cite, marker = citation_style(kind)
    fields = {"title": title, "kind": kind, "cite": cite, "marker": marker, **extra}
    template = load_template(template_name, required=set(extra), allowed=COMMON_FIELDS | set(extra))
    return template.format(**fields).strip()


def single_messages(
    mode: Mode | str, *, title: str, kind: str, document: str, **options: str | None
) -> list[Message]:
    """The whole document (with scene/page markers) in one prompt, answered in ``mode``.

    ``options``: ``instruction`` (custom mode), ``facts`` (ground truth from the parser) and
    ``template`` (another template for this role, e.g. ``map.strict``)."""
    return _messages(mode, "single", title=title, kind=kind, value=document, **_opts(options))


def map_messages(
    mode: Mode | str, *, title: str, kind: str, chunk: str, **options: str | None
) -> list[Message]:
    """Notes (with citations) on one chunk of the document."""
    return _messages(mode, "map", title=title, kind=kind, value=chunk, **_opts(options))


def merge_messages(
    mode: Mode | str, *, title: str, kind: str, notes: str, **options: str | None
) -> list[Message]:
    """Shorter notes from several chunks' notes (an intermediate reduce), citations kept."""
    return _messages(mode, "merge", title=title, kind=kind, value=notes, **_opts(options))


def reduce_messages(
    mode: Mode | str, *, title: str, kind: str, notes: str, **options: str | None
) -> list[Message]:
    """The final answer in ``mode`` from the notes on the whole document."""
    return _messages(mode, "reduce", title=title, kind=kind, value=notes, **_opts(options))


def _opts(options: dict[str, str | None]) -> dict[str, Any]:
    unknown = set(options) - {"instruction", "facts", "template"}
    if unknown:
        raise TypeError(f"Unknown prompt options: {', '.join(sorted(unknown))}")
    return {
        "instruction": options.get("instruction"),
        "facts": options.get("facts") or "",
        "template": options.get("template"),
    }
