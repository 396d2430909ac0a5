"""Qt-free summarization: plan a document into prompts and run them on the engine thread.

:func:`~logline.summarize.runner.summarize` is the entry point (single pass or map-reduce, any
length); :mod:`~logline.summarize.modes` holds the kinds of summary and their prompts,
:mod:`~logline.summarize.planner` the chunking, :mod:`~logline.summarize.citations` the checks.
"""

from logline.summarize.planner import PlanError, SummaryPlan, plan_reduce, plan_summary
from logline.summarize.result import SummaryResult
from logline.summarize.runner import SummaryOptions, summarize

__all__ = [
    "PlanError",
    "SummaryOptions",
    "SummaryPlan",
    "SummaryResult",
    "plan_reduce",
    "plan_summary",
    "summarize",
]
