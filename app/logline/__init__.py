"""Logline: summarize screenplays and documents with local LLMs through MLX.

The package is split into a Qt-free core (``documents``, ``models``, ``engine``, ``summarize``,
``chat``, ``store``) and a Qt front end (``ui``). Importing ``logline`` itself is cheap: heavy
libraries (mlx, mlx_lm, pypdf, transformers) are imported only where they are used.
"""

__version__ = "0.1.0"
APP_NAME = "Logline"
