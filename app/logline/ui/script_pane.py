"""The Document pane's content: the script, its scenes and characters, and a PDF's pages.

Above the script, a compact tab strip holds the scene navigator and the characters list (it
folds away to its tabs with the splitter, and hides for documents without scenes); a
Text / Pages switch shows a PDF's original pages instead of the formatted text (disabled, with
the reason as its tooltip, when the document is not a PDF or QtPdf is missing).

Showing a scene has one path: :meth:`DocumentView.show_scene`. The navigator, citations in the
summary and notes (:meth:`ScriptPane.follow_citations`) and the chat all call it; its
``sceneShown`` signal then selects the navigator's row and moves the page view to the scene's
page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from logline.ui import pdf_pages
from logline.ui.characters_list import CharactersList
from logline.ui.document_view import DocumentView
from logline.ui.scene_navigator import SceneNavigator

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from logline.documents import Document

SCENES_TAB, CHARACTERS_TAB = 0, 1
SIDE_HEIGHT, SIDE_MIN = 170, 60  # the scenes / characters strip above the script, in pixels
TEXT_TIP = "Show the document as formatted text"
NOT_A_PDF = "Pages: only for PDFs (this document is not one)"


class ScriptPane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scriptPane")
        self._document: Document | None = None
        self.view = DocumentView()
        self.navigator = SceneNavigator()
        self.characters = CharactersList()
        self.side = QTabWidget()
        self.side.setObjectName("scriptSide")
        self.side.setDocumentMode(True)
        self.side.setAccessibleName("Scenes and characters")
        self.side.setAccessibleDescription("The script's scene navigator and characters list")
        self.side.addTab(self.navigator, "Scenes")
        self.side.addTab(self.characters, "Characters")
        self.side.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.pages = pdf_pages.PdfPages()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.pages)
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.setObjectName("scriptSplit")
        self.split.addWidget(self.side)
        self.split.addWidget(self.stack)
        self.split.setCollapsible(1, False)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([SIDE_HEIGHT, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(self._build_switch())
        layout.addWidget(self.split, 1)
        self.side.hide()
        self.view.documentShown.connect(self._on_document)
        self.view.sceneShown.connect(self._on_scene_shown)
        self.navigator.sceneChosen.connect(self.view.show_scene)
        self.characters.characterChosen.connect(self.show_character)

    def _build_switch(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setContentsMargins(8, 2, 8, 2)
        row.setSpacing(0)
        self.text_button = QToolButton()
        self.text_button.setText("Text")
        self.text_button.setObjectName("scriptTextButton")
        self.text_button.setAccessibleName("Show text")
        self.text_button.setAccessibleDescription(TEXT_TIP)
        self.text_button.setToolTip(TEXT_TIP)
        self.pages_button = QToolButton()
        self.pages_button.setText("Pages")
        self.pages_button.setObjectName("scriptPagesButton")
        self.pages_button.setAccessibleName("Show pages")
        self.pages_button.setAccessibleDescription("Show the original PDF's pages")
        self.switch = QButtonGroup(self)
        for index, button in enumerate((self.text_button, self.pages_button)):
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            self.switch.addButton(button, index)
            row.addWidget(button)
        self.text_button.setChecked(True)
        row.addStretch(1)
        self.switch.idClicked.connect(self.set_page_view)
        self._update_switch()
        return row

    # -- documents -------------------------------------------------------------------------
    @Slot(object)
    def _on_document(self, document: Document | None) -> None:
        self._document = document
        scenes = document is not None and bool(document.scenes)
        self.navigator.set_document(document if scenes else None)
        self.characters.set_document(document if scenes else None)
        self.side.setVisible(scenes)
        if scenes and self.split.sizes()[0] < SIDE_MIN:  # shown for the first time: give it room
            total = sum(self.split.sizes())
            side = min(SIDE_HEIGHT, total // 3)
            self.split.setSizes([side, total - side])
        is_pdf = document is not None and document.format == "pdf"
        self.pages.set_path(document.path if is_pdf else None)
        self._update_switch()
        if not self.pages_button.isEnabled() or not is_pdf:
            self.set_page_view(0)
        elif self.stack.currentWidget() is self.pages:
            self.pages.ensure_loaded()

    def _update_switch(self) -> None:
        document = self._document
        reason = pdf_pages.pdf_view_unavailable()
        if reason is None and (document is None or document.format != "pdf"):
            reason = NOT_A_PDF
        self.pages_button.setEnabled(reason is None)
        self.pages_button.setToolTip(reason or "Show the original PDF's pages")

    @Slot(int)
    def set_page_view(self, pages: int) -> None:
        """Show the PDF's pages (``pages`` true) or the formatted text."""
        show_pages = bool(pages) and self.pages_button.isEnabled()
        (self.pages_button if show_pages else self.text_button).setChecked(True)
        self.stack.setCurrentWidget(self.pages if show_pages else self.view)
        if show_pages:
            self.pages.ensure_loaded()
            scene = self.navigator.current_scene()
            if scene is not None:
                self._follow_page(scene)

    @property
    def showing_pages(self) -> bool:
        return self.stack.currentWidget() is self.pages

    # -- scenes ------------------------------------------------------------------------------
    def follow_citations(self, *signals: SignalInstance) -> None:
        """Show the scene each of ``signals`` (``sceneRequested(int)``) asks for."""
        for signal in signals:
            signal.connect(self.view.show_scene)

    @Slot(int)
    def _on_scene_shown(self, number: int) -> None:
        self.navigator.select_scene(number)
        self._follow_page(number)

    def _follow_page(self, number: int) -> None:
        if self._document is None or not self.showing_pages:
            return
        for scene in self._document.scenes:
            if scene.number == number and scene.page_start is not None:
                self.pages.go_to_page(scene.page_start)
                return

    @Slot(str)
    def show_character(self, name: str) -> None:
        """List only the scenes in which ``name`` speaks."""
        self.navigator.set_filter(name)
        self.side.setCurrentIndex(SCENES_TAB)
