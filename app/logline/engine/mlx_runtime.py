"""Import MLX the right way for this machine; the one place that decides how MLX is loaded.

On Linux the ``mlx[cpu]`` wheel links the *reference* BLAS, ~35x slower than OpenBLAS for the
float32 matrix products the CPU backend runs. If an OpenBLAS library is installed, it is loaded with
``RTLD_GLOBAL`` before MLX so that MLX's ``cblas_sgemm`` calls resolve to it. Nothing changes on
macOS (MLX uses Metal and Accelerate there).

Set ``LOGLINE_BLAS=off`` to keep the bundled BLAS, or ``LOGLINE_BLAS=/path/libopenblas.so`` to
choose a library.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import sys
import threading
from types import ModuleType

log = logging.getLogger(__name__)

_lock = threading.Lock()
_blas_path: str | None = None
_prepared = False

# Debian/Ubuntu (libopenblas0-pthread, libopenblas0-openmp), Fedora/RHEL, Arch, Homebrew/conda.
OPENBLAS_CANDIDATES = (
    "/usr/lib/*-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/*-linux-gnu/openblas-openmp/libopenblas.so.0",
    "/usr/lib/*-linux-gnu/libopenblas.so.0",
    "/usr/lib64/libopenblas.so.0",
    "/usr/lib64/libopenblasp.so.0",
    "/usr/lib/libopenblas.so.0",
    "/usr/local/lib/libopenblas.so.0",
    "/opt/homebrew/opt/openblas/lib/libopenblas.so.0",
    os.path.join(sys.prefix, "lib", "libopenblas.so.0"),
)


def find_openblas() -> str | None:
    """The first OpenBLAS shared library found on this Linux machine, or None."""
    choice = os.environ.get("LOGLINE_BLAS", "auto").strip()
    if choice.lower() in ("off", "0", "none", "reference"):
        return None
    if choice.lower() not in ("", "auto"):
        return choice if os.path.exists(choice) else None
    for pattern in OPENBLAS_CANDIDATES:
        for path in sorted(glob.glob(pattern)):
            return path
    return None


def prepare() -> str | None:
    """Load an optimized BLAS before MLX (Linux only). Idempotent; returns the library used."""
    global _prepared, _blas_path
    with _lock:
        if _prepared:
            return _blas_path
        _prepared = True
        if not sys.platform.startswith("linux"):
            return None
        if "mlx.core" in sys.modules:
            log.warning(
                "MLX was imported before Logline could select a BLAS; using the bundled one"
            )
            return None
        path = find_openblas()
        if path is None:
            log.info("No OpenBLAS found: MLX CPU matrix products use the slow reference BLAS")
            return None
        try:
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        except OSError as exc:
            log.warning("Could not load OpenBLAS from %s: %s", path, exc)
            return None
        _blas_path = path
        log.info("Using OpenBLAS for MLX CPU matrix products: %s", path)
        return path


def blas_library() -> str | None:
    """The optimized BLAS in use, if any (None before ``prepare`` or when none was found)."""
    return _blas_path


def import_mlx() -> ModuleType:
    """``mlx.core``, imported after ``prepare()``. Use this instead of ``import mlx.core``."""
    prepare()
    import mlx.core as mx

    return mx


def device_kind() -> str:
    """'gpu' when MLX runs on Metal or CUDA here, else 'cpu'."""
    mx = import_mlx()
    return "gpu" if mx.default_device() == mx.gpu else "cpu"
