"""Qt-free chat over a document: conversations and context-window management.

Empty in the foundation release; the chat pane builds on ``logline.engine`` like summaries do.
"""
