"""What ``logline summarize`` reports about a summary: its stats line, its sidecar's account,
a warning for one that ended early, and keeping it in the store (for a later chat)."""

from __future__ import annotations

import logging
from typing import Any

from logline.units import format_bytes

log = logging.getLogger(__name__)


def keep_summary(document: Any, result: Any, model_id: str, options: Any) -> None:
    """Keep the summary in the store (a later chat reuses its notes); a store that cannot be
    opened is a warning, never a failed summary."""
    from logline.store import Store, StoreError
    from logline.summarize.stored import register, save_summary

    try:
        store = Store.open()
    except StoreError as exc:
        log.warning("The summary is not kept in the store: %s", exc)
        return
    try:
        record = register(store, document)
        parameters = {"instruction": options.instruction, "max_context": options.max_context}
        save_summary(store, record.id, result, model_id, parameters)
    finally:
        store.close()


FINISH_WARNINGS = {
    "length": "the summary reached its length limit and may be cut off (raise --max-tokens)",
    "repetition": "the model began repeating itself; the summary ends where it did",
}


def finish_warning(reason: str) -> str | None:
    """What to tell the user about a summary that ended early (None when it ended by itself;
    a stop or an error is reported on its own)."""
    return FINISH_WARNINGS.get(reason)


def stats_line(result: Any, server: str | None = None) -> str:
    """One line of figures; for a summary made on a server (``server``: its entry's name) it
    says so, and whether the token counts are estimates, instead of this machine's memory."""
    generated = sum(p.generated_tokens for p in result.phases)
    prompt = sum(p.prompt_tokens for p in result.phases)
    plan = result.plan.describe() if result.plan is not None else "no plan"
    rate = generated / result.seconds if result.seconds > 0 else 0.0
    stats = result.stats
    if stats is not None and stats.on_server:
        about = "about " if stats.counts_from == "estimate" else ""
        where = f"on server {server}" if server else "on the server"
        estimated = ", token counts estimated" if about else ""
        return (
            f"{plan}; {about}{prompt:,} prompt tokens, {about}{generated:,} generated "
            f"({rate:.1f} tok/s overall) in {result.seconds:.1f} s, {where}{estimated}"
        )
    peak = format_bytes(result.peak_memory_bytes, memory=True)
    return (
        f"{plan}; {prompt:,} prompt tokens, {generated:,} generated ({rate:.1f} tok/s overall) "
        f"in {result.seconds:.1f} s, peak memory {peak}"
    )


def plan_lines(result: Any) -> list[str]:
    """How the summary ran, for ``--verbose``: the model's precision (and why, where Logline
    measured it) and each phase's batch, memory budget, tokens and speed."""
    lines = []
    if result.precision:
        why = f" ({result.precision_reason})" if result.precision_reason else ""
        lines.append(f"precision: {result.precision}{why}")
    for phase in result.phases:
        budget = (
            f", memory budget {format_bytes(phase.budget_bytes, memory=True)}"
            if phase.budget_bytes
            else ""
        )
        rate = phase.generated_tokens / phase.seconds if phase.seconds > 0 else 0.0
        peak = (
            f", peak memory {format_bytes(phase.peak_memory_bytes, memory=True)}"
            if phase.peak_memory_bytes
            else ""
        )
        lines.append(
            f"{phase.phase}: {phase.items} item(s), up to {phase.batch_size} at once{budget}; "
            f"{phase.prompt_tokens:,} prompt tokens, {phase.generated_tokens:,} generated in "
            f"{phase.seconds:.1f} s ({rate:.1f} tok/s){peak}"
        )
    return lines


def details(result: Any) -> dict[str, Any]:
    """The sidecar's account of one summary."""
    from logline.summarize.batch import names_json

    plan = result.plan
    citations = result.citations
    return {
        "reason": result.reason,
        "plan": None
        if plan is None
        else {
            "strategy": plan.strategy,
            "chunks": len(plan.chunks),
            "document_tokens": plan.document_tokens,
            "usable_context": plan.usable_context,
            "chunk_budget": plan.chunk_budget,
            "description": plan.describe(),
        },
        "seconds": round(result.seconds, 3),
        "peak_memory_bytes": result.peak_memory_bytes,
        **({"precision": result.precision} if result.precision else {}),
        **({"precision_reason": result.precision_reason} if result.precision_reason else {}),
        "phases": [p.to_json() for p in result.phases],
        "citations": None if citations is None else citations.to_json(),
        "unknown_names": names_json(result.names),
        "copied_notes": list(result.copied_notes),
        **({"verdict": result.verdict} if result.verdict else {}),
        # On a server: where its token counts come from (its own, the model's tokenizer here,
        # or an estimate); the key's "model" names the server ("llama-3.3-70b on render-01").
        **(
            {"on_server": True, "token_counts": result.stats.counts_from}
            if result.stats is not None and result.stats.on_server
            else {}
        ),
    }
