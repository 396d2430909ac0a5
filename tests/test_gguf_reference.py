"""Acceptance check of the GGUF import against an independent implementation.

The embedded SmolLM2 GGUF is loaded twice: by transformers' own GGUF loader (PyTorch, float32,
Hugging Face RoPE on un-permuted Q/K) and by Logline's importer + ``mlx_lm.load``. Both read the
same token ids of a real screenplay passage (one forward pass each over the whole passage, no
cache), and their top-1 next-token predictions must agree at >= 98% of positions.

On CPU the quantized MLX kernels are slow (~0.1 s per token for this model), so the quantized model
is checked on the first ``QUANTIZED_POSITIONS`` positions (causal attention: the logits there are
the same as in the full pass) and the float32-dequantized copy, what Logline runs on CPU, on all.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from logline.engine.mlx_runtime import import_mlx

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("gguf")
pytest.importorskip("accelerate")

pytestmark = pytest.mark.slow

N_TOKENS = 1024
QUANTIZED_POSITIONS = 256
MIN_AGREEMENT = 0.98
REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_PASSAGE = Path("/work/shared/corpus/scripts/fountain/big-fish.fountain")


def _passage_text() -> str:
    """A real passage: the Big Fish screenplay if present, else the repository's own texts."""
    if CORPUS_PASSAGE.is_file():
        return CORPUS_PASSAGE.read_text(encoding="utf-8")
    parts = [REPO_ROOT / "README.md"]
    for folder in (REPO_ROOT / "resources", REPO_ROOT / "docs"):
        if folder.is_dir():
            parts += sorted(
                p for p in folder.rglob("*") if p.suffix in (".md", ".txt", ".fountain")
            )
    return "\n\n".join(p.read_text(encoding="utf-8") for p in parts if p.is_file())


@pytest.fixture(scope="module")
def passage_ids(smollm2_model_dir: Path) -> list[int]:
    """``N_TOKENS`` ids of the passage, tokenized by Logline's tokenizer."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(smollm2_model_dir / "tokenizer.json"))
    ids = tokenizer.encode(_passage_text()).ids
    if len(ids) < N_TOKENS:
        pytest.skip(f"no passage of {N_TOKENS} tokens available (longest: {len(ids)})")
    return ids[:N_TOKENS]


@pytest.fixture(scope="module")
def torch_top1(embedded_gguf: Path, passage_ids: list[int]) -> Iterator[np.ndarray]:
    """transformers' top-1 next token at every position (its GGUF loader, float32)."""
    from packaging.version import Version
    from transformers import AutoModelForCausalLM

    started = time.perf_counter()
    old_api = Version(transformers.__version__) < Version("4.56")
    dtype_arg: dict[str, Any] = (
        {"torch_dtype": torch.float32} if old_api else {"dtype": torch.float32}
    )
    model = AutoModelForCausalLM.from_pretrained(
        str(embedded_gguf.parent), gguf_file=embedded_gguf.name, **dtype_arg
    )
    model.eval()
    with torch.no_grad():
        logits = model(torch.tensor([passage_ids])).logits[0]
    top1 = logits.argmax(dim=-1).numpy()
    print(f"\ntransformers reference: {time.perf_counter() - started:.1f} s")
    del model, logits
    yield top1


def _mlx_top1(model: Any, ids: list[int]) -> np.ndarray:
    mx = import_mlx()
    logits = model(mx.array([ids]))
    top1 = mx.argmax(logits[0], axis=-1)
    mx.eval(top1)
    return np.array(top1)


def _agreement(name: str, ours: np.ndarray, reference: np.ndarray, seconds: float) -> float:
    agreement = float((ours == reference).mean())
    print(
        f"\n{name}: top-1 agreement with transformers {agreement:.2%} "
        f"({int((ours != reference).sum())} of {len(reference)} positions differ), {seconds:.1f} s"
    )
    return agreement


def test_dequantized_float32_import_agrees_with_transformers(
    smollm2_model_dir: Path, passage_ids: list[int], torch_top1: np.ndarray
) -> None:
    import_mlx()
    import mlx_lm

    from logline.engine.precision import choose_cpu_precision

    started = time.perf_counter()
    model, _, config = mlx_lm.load(str(smollm2_model_dir), return_config=True)
    # Exactly what Logline's engine runs on CPU.
    precision = choose_cpu_precision(model, config)
    assert precision is not None and precision.startswith("float32 (dequantized")
    ours = _mlx_top1(model, passage_ids)
    agreement = _agreement(
        "MLX float32 (dequantized)", ours, torch_top1, time.perf_counter() - started
    )
    assert len(ours) == len(passage_ids) >= 1000
    assert agreement >= MIN_AGREEMENT


def test_quantized_import_agrees_with_transformers(
    smollm2_model_dir: Path, passage_ids: list[int], torch_top1: np.ndarray
) -> None:
    import mlx_lm

    started = time.perf_counter()
    model, _ = mlx_lm.load(str(smollm2_model_dir))
    ours = _mlx_top1(model, passage_ids[:QUANTIZED_POSITIONS])
    agreement = _agreement(
        "MLX quantized (as imported)",
        ours,
        torch_top1[:QUANTIZED_POSITIONS],
        time.perf_counter() - started,
    )
    assert agreement >= MIN_AGREEMENT
