"""The Qt front end: the only package that imports PySide6.

Entry point: :func:`logline.ui.launch.launch_gui` (``logline`` / ``logline gui``). It checks the
display before importing Qt, so importing this package itself stays free of PySide6.
Pieces: ``main_window.MainWindow``; ``engine_worker.EngineHost`` / ``EngineWorker`` (the engine
QThread); small widgets in ``document_view``, ``summary_view``, ``model_picker``, ``toolbar``,
``status_panel``, ``banner`` and ``pane``; the stylesheet in ``style``.
"""
