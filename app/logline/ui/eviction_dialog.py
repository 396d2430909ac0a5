"""Ask before deleting models to make room for a download: which ones, and how much it frees.

Open it with :meth:`QDialog.open` (window-modal, non-blocking) and act on ``accepted`` /
``rejected``; the caller applies the plan only on accept, so No deletes nothing.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from logline.units import format_bytes

if TYPE_CHECKING:
    from logline.models.cache import CachedModel, EvictionPlan


def format_last_used(stamp: float | None, now: float | None = None) -> str:
    if stamp is None:
        return "never"
    days = ((now if now is not None else time.time()) - stamp) / 86400
    if days < 1:
        return "today"
    if days < 2:
        return "yesterday"
    if days < 60:
        return f"{days:.0f} days ago"
    return time.strftime("%b %Y", time.localtime(stamp))


def _model_line(model: CachedModel) -> str:
    return f"{model.display_name} — {format_bytes(model.size_bytes)}, last used " + (
        format_last_used(model.last_used)
    )


class EvictionDialog(QDialog):
    """Lists the models (and unfinished files) ``plan`` deletes so ``model_name`` fits."""

    def __init__(self, plan: EvictionPlan, model_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.setObjectName("evictionDialog")
        self.setWindowTitle("Make room for the download?")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"{model_name} needs {format_bytes(plan.needed_bytes)}. The model cache holds "
            f"{format_bytes(plan.used_bytes)} of its {format_bytes(plan.budget_bytes)} budget, so "
            "Logline has to delete the models used least recently:"
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.items = QListWidget(self)
        self.items.setObjectName("evictionList")
        for model in plan.evict:
            self.items.addItem(_model_line(model))
        if plan.orphans:
            size = format_bytes(sum(o.size_bytes for o in plan.orphans))
            count = len(plan.orphans)
            self.items.addItem(f"{count} unfinished download{'s' if count != 1 else ''} — {size}")
        self.items.setMaximumHeight(22 * max(3, min(8, self.items.count())) + 8)
        layout.addWidget(self.items)
        self.summary = QLabel(
            f"This frees {format_bytes(plan.freed_bytes)}. Pinned models and the default model "
            "are never deleted. Deleted models can be downloaded again."
        )
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        buttons = QDialogButtonBox(self)
        self.delete_button = buttons.addButton(
            "Delete and Download", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.keep_button = buttons.addButton("Keep Models", QDialogButtonBox.ButtonRole.RejectRole)
        self.keep_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(460, self.sizeHint().height())
