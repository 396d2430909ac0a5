"""Check a model's chat template before it counts as installed: size, syntax, and a bounded render.

A chat template is Jinja code that came with the model. transformers renders it in a sandbox (no
attribute tricks, no I/O), but the sandbox does not bound work: a template can loop for hours,
double a string until memory runs out, recurse, or raise. Logline renders the template once at
import time, with the conversation shapes it sends (system + user, then a follow-up), in a
stricter sandbox:

* the source is at most :data:`MAX_TEMPLATE_CHARS` long;
* every loop iteration, call, filter and operator spends one step of a shared budget
  (:data:`MAX_STEPS`), and the render stops at :data:`MAX_SECONDS`;
* numbers handed to calls and filters, and sequences built by ``*``, ``+`` and ``~``, stay below
  :data:`MAX_SIZE`; the output below :data:`MAX_OUTPUT_CHARS`.

Any failure is a :class:`ChatTemplateError` with one sentence. Jinja is imported lazily.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from logline.models.errors import ChatTemplateError

log = logging.getLogger(__name__)

MAX_TEMPLATE_CHARS = 100_000  # the longest real templates (tool use, reasoning) are ~20k
MAX_STEPS = 200_000
MAX_SECONDS = 2.0
MAX_SIZE = 100_000  # characters or items of any value the template builds
MAX_OUTPUT_CHARS = 200_000
_WIDTH = re.compile(r"%[-+ #0]*(\d+)|\{[^{}]*:[^{}]*?(\d{4,})[^{}]*\}")

SAMPLE_CONVERSATIONS: tuple[list[dict[str, str]], ...] = (
    [
        {"role": "system", "content": "You read screenplays and answer briefly."},
        {"role": "user", "content": "Summarize the scene in one sentence."},
    ],
    [
        {"role": "system", "content": "You read screenplays and answer briefly."},
        {"role": "user", "content": "Who is the lead?"},
        {"role": "assistant", "content": "The writer."},
        {"role": "user", "content": "And the setting?"},
    ],
)


class _Stop(Exception):
    """The render ran past its budget (steps, time or size)."""


class _Refused(Exception):
    """The template called raise_exception (a refusal written by the template's author)."""


def _too_big(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) > MAX_SIZE
    if isinstance(value, (str, bytes, list, tuple, dict, set)):
        return len(value) > MAX_SIZE
    return False


def _environment() -> Any:
    from jinja2 import nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Guarded(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

        def __init__(self) -> None:
            super().__init__(
                trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
            )
            self.steps = 0
            self.deadline = time.monotonic() + MAX_SECONDS
            self.filters = {name: self.guard(f) for name, f in self.filters.items()}
            self.filters["tojson"] = self.guard(_tojson)
            self.filters["_guard_iter"] = self.guard_iter
            self.filters["_guard_size"] = self.guard_size
            self.globals.pop("lipsum", None)
            self.globals.update(
                range=self.guard(range),
                raise_exception=_raise,
                strftime_now=lambda fmt: datetime.now().strftime(str(fmt)[:100]),
            )

        def tick(self) -> None:
            self.steps += 1
            if self.steps > MAX_STEPS or time.monotonic() > self.deadline:
                raise _Stop("it runs too long")

        def guard_size(self, value: Any) -> Any:
            self.tick()
            if _too_big(value):
                raise _Stop("it builds values that are too large")
            return value

        def guard_iter(self, value: Any) -> Iterator[Any]:
            self.guard_size(value)
            for item in value if isinstance(value, Iterable) else ():
                self.tick()
                yield item

        def guard(self, function: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(function)
            def guarded(*args: Any, **kwargs: Any) -> Any:
                for value in (*args, *kwargs.values()):
                    self.guard_size(value)
                return self.guard_size(function(*args, **kwargs))

            return guarded

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            for value in (*args, *kwargs.values()):
                __self.guard_size(value)
            result = super().call(__context, __obj, *args, **kwargs)
            return __self.guard_size(result)

        def getattr(self, obj: Any, attribute: str) -> Any:
            if isinstance(obj, str) and attribute in ("format", "format_map"):
                self.check_format(obj)
            return super().getattr(obj, attribute)

        def check_format(self, text: str) -> None:
            for match in _WIDTH.finditer(text):
                width = match.group(1) or match.group(2)
                if width and int(width) > MAX_SIZE:
                    raise _Stop("it formats values too wide")

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            self.tick()
            if operator == "**" and (_too_big(left) or not -64 <= _number(right) <= 64):
                raise _Stop("it computes numbers that are too large")
            if operator == "*":
                for seq, times in ((left, right), (right, left)):
                    sized = isinstance(seq, (str, list, tuple)) and isinstance(times, int)
                    if sized and len(seq) * max(times, 0) > MAX_SIZE:
                        raise _Stop("it builds values that are too large")
            if operator == "%" and isinstance(left, str):
                self.check_format(left)
            return self.guard_size(super().call_binop(context, operator, left, right))

    def guard_tree(tree: Any) -> Any:
        """Send every loop's iterable and every ``~`` result through the guards."""
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "_guard_iter", [], [], None, None)
        for concat in list(tree.find_all(nodes.Concat)):
            concat.nodes = [
                nodes.Filter(n, "_guard_size", [], [], None, None) for n in concat.nodes
            ]
        return tree

    return Guarded(), guard_tree


def _number(value: Any) -> float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _raise(message: Any = "") -> None:
    raise _Refused(str(message)[:200])


def _tojson(value: Any, indent: int | None = None, **_ignored: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=indent if isinstance(indent, int) else None)


def _one_line(text: str) -> str:
    text = " ".join(str(text).split()).rstrip(".")
    return text if len(text) <= 160 else text[:157] + "..."


def check_chat_template(template: Any, where: str, *, refusals_ok: bool = False) -> None:
    """Refuse ``template`` (``where``: e.g. 'The chat template of "x"') unless it renders Logline's
    conversations within the limits; :class:`ChatTemplateError` with one sentence.

    ``refusals_ok`` lets a template that calls ``raise_exception`` on Logline's conversations pass
    (logged): loading an installed model checks for hostile templates, not for unsupported ones."""
    from jinja2 import TemplateError

    if not isinstance(template, str):
        raise ChatTemplateError(f"{where} is not text.")
    if len(template) > MAX_TEMPLATE_CHARS:
        raise ChatTemplateError(
            f"{where} is {len(template):,} characters long, more than the {MAX_TEMPLATE_CHARS:,} "
            "Logline accepts."
        )
    environment, guard_tree = _environment()
    try:
        tree = guard_tree(environment.parse(template))
        compiled = environment.template_class.from_code(
            environment, environment.compile(tree), environment.make_globals(None)
        )
        for messages in SAMPLE_CONVERSATIONS:
            size = 0
            for chunk in compiled.generate(
                messages=messages,
                add_generation_prompt=True,
                bos_token="<s>",  # noqa: S106 (a template variable, not a password)
                eos_token="</s>",  # noqa: S106
                tools=None,
                documents=None,
            ):
                size += len(chunk)
                environment.tick()
                if size > MAX_OUTPUT_CHARS:
                    raise _Stop("its output is too large")
    except _Refused as exc:
        if refusals_ok:
            log.warning("%s refuses Logline's conversations: %s", where, _one_line(str(exc)))
            return
        raise ChatTemplateError(
            f"{where} refuses the conversations Logline sends ({_one_line(str(exc))})."
        ) from None
    except _Stop as exc:
        raise ChatTemplateError(f"{where} was stopped: {exc}.") from None
    except RecursionError:
        raise ChatTemplateError(f"{where} recurses without end.") from None
    except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        raise ChatTemplateError(
            f"{where} does not work: {_one_line(str(exc) or type(exc).__name__)}."
        ) from None
    except MemoryError:
        raise ChatTemplateError(f"{where} uses too much memory.") from None
