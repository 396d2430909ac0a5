"""The window's stylesheet: a quiet, neutral look on top of Qt's Fusion style."""

from __future__ import annotations

ACCENT = "#2f6fde"

STYLESHEET = f"""
QMainWindow {{ background: #f4f5f7; }}
QToolBar#mainToolBar {{
    background: #ffffff; border: none; border-bottom: 1px solid #dcdfe4;
    padding: 6px 10px; spacing: 8px;
}}
QToolBar#mainToolBar QToolButton {{
    padding: 5px 12px; border: 1px solid #cfd3da; border-radius: 5px; background: #ffffff;
}}
QToolBar#mainToolBar QToolButton:hover {{ background: #eef1f5; }}
QToolBar#mainToolBar QToolButton:disabled {{ color: #a2a7b0; border-color: #e2e5ea; }}
QToolBar#mainToolBar QToolButton#summarizeButton {{
    background: {ACCENT}; color: #ffffff; border-color: {ACCENT}; font-weight: 600;
    padding: 5px 18px;
}}
QToolBar#mainToolBar QToolButton#summarizeButton:hover {{ background: #2860c4; }}
QToolBar#mainToolBar QToolButton#summarizeButton:disabled {{
    background: #b9c9ea; border-color: #b9c9ea; color: #f4f6fb;
}}
QLabel#modelLabel, QLabel#modeLabel {{ color: #5b616b; padding-left: 8px; }}
QComboBox#modeCombo {{ padding: 4px 8px; }}
QComboBox#modelPicker {{ padding: 4px 8px; min-width: 220px; }}
QWidget#pane {{
    background: #ffffff; border: 1px solid #dcdfe4; border-radius: 6px;
}}
QLabel#paneTitle {{
    color: #5b616b; font-weight: 600; letter-spacing: 0.5px; padding: 8px 12px 2px 12px;
}}
QLabel#paneDetail {{ color: #8a9099; padding: 0 12px 6px 12px; }}
QPlainTextEdit#documentView, QTextBrowser#summaryView, QTextBrowser#notesView {{
    border: none; border-top: 1px solid #eceef1; background: #ffffff; color: #1d2127;
    padding: 8px 10px; selection-background-color: #cfe0fb; selection-color: #111;
}}
QWidget#chatPane {{ background: palette(base); }}
QTextBrowser#chatView {{
    border: none; border-top: 1px solid palette(midlight); background: palette(base);
    color: palette(text); padding: 6px 8px;
}}
QPlainTextEdit#chatComposer {{
    border: 1px solid palette(mid); border-radius: 5px; background: palette(base);
    color: palette(text); padding: 4px 6px;
}}
QLabel#contextLabel, QLabel#chatEditNote, QLabel#chatModelLabel {{
    color: palette(window-text); padding: 0 2px;
}}
QPlainTextEdit#chatComposer:focus {{ border-color: {ACCENT}; }}
QSplitter::handle {{ background: transparent; }}
QFrame#banner {{ border-radius: 6px; margin: 0 0 8px 0; }}
QFrame#banner[kind="error"] {{ background: #fdecec; border: 1px solid #f1b5b5; }}
QFrame#banner[kind="error"] QLabel {{ color: #8a1c1c; }}
QFrame#banner[kind="notice"] {{ background: #fff6e0; border: 1px solid #f0d9a0; }}
QFrame#banner[kind="notice"] QLabel {{ color: #6b4e00; }}
QFrame#builtInNotice {{
    background: #eef3fc; border: 1px solid #c5d5f2; border-radius: 6px; margin: 0 0 8px 0;
}}
QLabel#builtInNoticeText {{ color: #23395d; }}
QLabel#summaryModelNote {{
    color: #6b4e00; background: #fff6e0; border-top: 1px solid #f0d9a0; padding: 4px 12px;
}}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 2px 2px 2px 0; }}
QScrollBar::handle:vertical {{ background: #cdd2d9; border-radius: 3px; min-height: 32px; }}
QScrollBar::handle:vertical:hover {{ background: #aeb4bd; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical {{ background: none; }}
QStatusBar {{ background: #ffffff; border-top: 1px solid #dcdfe4; color: #4a4f57; }}
QStatusBar::item {{ border: none; }}
QLabel#statsLabel {{ color: #6b717b; padding: 0 8px; }}
QProgressBar#promptProgress {{
    border: 1px solid #cfd3da; border-radius: 4px; background: #f0f2f5; text-align: center;
    min-width: 320px; max-height: 16px;
}}
QProgressBar#promptProgress::chunk {{ background: #8fb2ef; border-radius: 3px; }}
"""
