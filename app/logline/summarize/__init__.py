"""Qt-free summarization: turn a Document into prompts and run them on the engine thread."""

from logline.summarize.single_pass import SummaryPlan, plan_summary, run_summary

__all__ = ["SummaryPlan", "plan_summary", "run_summary"]
