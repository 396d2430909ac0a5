"""Qt-free SQLite persistence of documents, summaries and chats.

Empty in the foundation release. The lowest layer: it imports nothing else from Logline.
"""
