"""The summary mode picker: the six modes of :data:`logline.summarize.modes.MODES`, and for the
custom mode a line edit beside the combo box that asks for the instruction."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QWidget

from logline.summarize.modes import DEFAULT_MODE, MODES

CUSTOM_MODE = "custom"
INSTRUCTION_HINT = "Your instruction…"

# Shorter titles than the modes' own where the toolbar would otherwise grow too wide.
_MENU_TITLES = {CUSTOM_MODE: "Custom…", "scenes": "Scene breakdown"}


def menu_title(mode_id: str) -> str:
    """The title the picker shows for ``mode_id``."""
    return _MENU_TITLES.get(mode_id, MODES[mode_id].title)


class ModePicker(QWidget):
    """A combo box of summary modes (tooltips: their descriptions) plus the custom instruction."""

    modeChanged = Signal(str)  # the mode id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modePicker")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.combo = QComboBox(self)
        self.combo.setObjectName("modeCombo")
        self.combo.setAccessibleName("Summary mode")
        self.combo.setAccessibleDescription("What kind of summary Summarize writes")
        for row, mode in enumerate(MODES.values()):
            self.combo.addItem(menu_title(mode.id), mode.id)
            self.combo.setItemData(row, mode.description, Qt.ItemDataRole.ToolTipRole)
        self.instruction_edit = QLineEdit(self)
        self.instruction_edit.setObjectName("customInstruction")
        self.instruction_edit.setAccessibleName("Custom summary instruction")
        self.instruction_edit.setAccessibleDescription(
            "What the custom summary should answer; Enter summarizes"
        )
        self.instruction_edit.setPlaceholderText(INSTRUCTION_HINT)
        self.instruction_edit.setClearButtonEnabled(True)
        self.instruction_edit.setMinimumWidth(140)  # room for Summarize and Stop at 1024 px
        self.instruction_edit.setToolTip(
            "What the custom summary should answer, e.g. “Who betrays whom, and where?”"
        )
        self.instruction_edit.hide()
        layout.addWidget(self.combo)
        layout.addWidget(self.instruction_edit)
        self.combo.currentIndexChanged.connect(self._on_index_changed)
        self.set_mode(DEFAULT_MODE)
        self._on_index_changed(self.combo.currentIndex())

    def mode(self) -> str:
        """The chosen mode's id."""
        return str(self.combo.currentData())

    def set_mode(self, mode_id: str) -> None:
        row = self.combo.findData(mode_id)
        if row < 0:
            raise ValueError(f"Unknown summary mode {mode_id!r}")
        self.combo.setCurrentIndex(row)

    def instruction(self) -> str | None:
        """The custom instruction (stripped), or None for the other modes or when empty."""
        if not MODES[self.mode()].needs_instruction:
            return None
        return self.instruction_edit.text().strip() or None

    def set_instruction(self, text: str) -> None:
        self.instruction_edit.setText(text)

    @property
    def ready(self) -> bool:
        """False while the custom mode has no instruction yet."""
        return not MODES[self.mode()].needs_instruction or self.instruction() is not None

    def ask_for_instruction(self) -> None:
        """Point the user at the instruction field (it is visible in the custom mode)."""
        self.instruction_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.instruction_edit.selectAll()

    @Slot(int)
    def _on_index_changed(self, row: int) -> None:
        mode = MODES[str(self.combo.itemData(row))]
        self.combo.setToolTip(f"Summary mode: {mode.description}")
        self.instruction_edit.setVisible(mode.needs_instruction)
        if mode.needs_instruction and not self.instruction_edit.text().strip():
            self.ask_for_instruction()
        self.modeChanged.emit(mode.id)
