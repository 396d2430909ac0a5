"""The model to use instead of the built-in one, and what to say about the built-in one.

The embedded SmolLM2-135M (see :mod:`logline.models.embedded`) makes Logline work offline from
the first start, but it is far too small for coverage anyone relies on: it invents names and
plot, and repeats itself. Wherever it is offered or used, Logline says so and names a catalog
model that suits this machine.

The recommendation is the largest catalog entry marked ``recommend`` whose memory fit, as the fit
advisor (:mod:`logline.models.fit`) judges it at an 8k context, is "ok". When none is, the
smallest marked entry that fits tightly; when nothing fits, none (the built-in model is then the
only one this machine can run, and the notice says that instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from logline.models import catalog, fit
from logline.models.catalog import CatalogEntry
from logline.models.embedded import EMBEDDED_SHORT_NAME
from logline.units import format_bytes

__all__ = [
    "RECOMMEND_CONTEXT",
    "Recommendation",
    "embedded_notice",
    "embedded_summary_note",
    "recommended_model",
]

RECOMMEND_CONTEXT = 8192  # the context the fit is judged at (the catalog's ram_bytes assume it)


@dataclass(frozen=True)
class Recommendation:
    """A catalog model for a machine with ``total_memory_bytes`` of RAM (``entry`` None: none
    fits), the fit advisor's ``verdict`` on it, and ``reason``: why, in plain words."""

    entry: CatalogEntry | None
    total_memory_bytes: int
    verdict: fit.FitVerdict | None
    reason: str

    @property
    def name(self) -> str:
        return self.entry.display_name if self.entry is not None else ""

    @property
    def download_size(self) -> str:
        """The download's size on disk, e.g. "4.5 GB" ("" without an entry)."""
        return format_bytes(self.entry.download_bytes) if self.entry is not None else ""

    @property
    def memory(self) -> str:
        """The machine's RAM as "About This Mac" says it, e.g. "16 GB"."""
        return format_bytes(self.total_memory_bytes, memory=True)

    @property
    def tight(self) -> bool:
        return self.verdict is not None and self.verdict.level == "warn"

    @property
    def fit_advice(self) -> str:
        """The fit advisor's message for the recommended model ("" without one)."""
        return self.verdict.message if self.verdict is not None else ""


def recommended_model(
    total_memory_bytes: int | None = None, entries: Sequence[CatalogEntry] | None = None
) -> Recommendation:
    """The catalog model to recommend for a machine with ``total_memory_bytes`` of RAM (None:
    this machine, as the fit advisor measures it). ``entries`` replaces the shipped catalog."""
    total, usable = fit.usable_memory(total_memory_bytes)
    pool = catalog.load_catalog() if entries is None else entries
    candidates = [entry for entry in pool if entry.recommend]
    judged = [
        (entry, fit.advise_for_catalog(entry, RECOMMEND_CONTEXT, ram=total, usable=usable))
        for entry in sorted(candidates, key=lambda e: e.ram_bytes)
    ]
    machine = fit.machine_name()
    memory = format_bytes(total, memory=True)
    comfortable = [(e, v) for e, v in judged if v.level == "ok"]
    if comfortable:
        entry, verdict = comfortable[-1]
        reason = (
            f"{entry.display_name} is the largest recommended model that fits comfortably in "
            f"{machine}'s {memory}."
        )
        return Recommendation(entry, total, verdict, reason)
    tight = [(e, v) for e, v in judged if v.level == "warn"]
    if tight:
        entry, verdict = tight[0]
        reason = (
            f"{entry.display_name} is the only recommended model that fits in {machine}'s "
            f"{memory}, and only just: other apps may slow down while it runs."
        )
        return Recommendation(entry, total, verdict, reason)
    reason = f"None of the catalog models fits in {machine}'s {memory}."
    return Recommendation(None, total, None, reason)


def _use_instead(recommendation: Recommendation) -> str:
    """The sentence naming the model to use for real work."""
    rec = recommendation
    machine = fit.machine_name()
    if rec.entry is None:
        return (
            f"{machine.capitalize()}'s {rec.memory} is too little for the catalog models, so "
            "check everything it writes against the script."
        )
    fits = "a tight fit on" if rec.tight else "fits"
    return (
        f"For real work use {rec.name} ({rec.download_size} download, {fits} {machine}'s "
        f"{rec.memory}): download it when online, or import it from a drive when offline."
    )


def embedded_notice(recommendation: Recommendation | None = None) -> str:
    """What to tell someone about to use (or using) the built-in model, in plain words."""
    rec = recommendation or recommended_model()
    return (
        f"The built-in model ({EMBEDDED_SHORT_NAME}) is tiny: good for trying Logline offline, "
        "not for coverage you rely on. It often invents names and repeats itself. "
        + _use_instead(rec)
    )


def embedded_summary_note(recommendation: Recommendation | None = None) -> str:
    """One line to show with a summary the built-in model wrote."""
    rec = recommendation or recommended_model()
    text = (
        f"Written by the built-in model ({EMBEDDED_SHORT_NAME}), which is for trying Logline: "
        "it often invents names and repeats itself."
    )
    return f"{text} For real work use {rec.name}." if rec.entry is not None else text
