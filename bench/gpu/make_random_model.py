"""Write a random-weight MLX model folder with a real Llama architecture, for GPU benchmarks.

Random weights run at exactly the speed of trained ones (same shapes, same kernels), so the
benchmark needs no downloaded checkpoint::

    python bench/gpu/make_random_model.py --arch llama-3-8b --precision 4bit --out /tmp/m/8b-4bit \\
        --tokenizer-from .gpudata/tokenizer.json

The folder holds ``config.json`` (the real Llama-3.2-1B / Meta-Llama-3-8B hyper-parameters: sizes,
heads, KV heads, RoPE theta and scaling, 128,256-token vocabulary, context length), safetensors
weights (bf16, or affine 4-bit with group size 64 through ``mlx_lm.utils.quantize_model``) and a
byte-level BPE tokenizer padded to 128,256 ids with Llama-3's special tokens and chat template
(eos ``<|eot_id|>``). The regular tokens come from ``--tokenizer-from`` (any byte-level BPE
``tokenizer.json``, e.g. SmolLM2's) or are learned from ``--train-text``; the ids above them, up
to Llama 3's specials, are plain added tokens (``{r49135}``...), which decode to text and
re-encode to one id each, so generated notes keep their token count through a merge as a real
model's would. (They were ``<|reserved_special_token_N|>`` specials until Logline's prompts began
to keep control-token text as plain text: a random note then re-read as ~14 tokens a token, and
the merges grew to twice the map phase's tokens.)

Weights are drawn on the default device (the GPU under MLX's CUDA backend) with a small scale so
that bf16 activations stay finite; one forward pass checks the logits for NaN/inf.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("make_random_model")

VOCAB_SIZE = 128256
FIRST_SPECIAL = 128000  # Llama 3: ids 0..127999 are regular BPE tokens, the last 256 special
BOS, EOT = "<|begin_of_text|>", "<|eot_id|>"
LLAMA3_SPECIALS = {
    128000: BOS,
    128001: "<|end_of_text|>",
    128006: "<|start_header_id|>",
    128007: "<|end_header_id|>",
    128008: "<|eom_id|>",
    128009: EOT,
}
EOS_IDS = [128001, 128008, 128009]

# Llama 3's chat format (system/user/assistant headers, <|eot_id|> after each turn).
CHAT_TEMPLATE = (
    "{{- bos_token }}"
    "{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}"
    "{{- message['content'] | trim }}{{- '<|eot_id|>' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{%- endif %}"
)

_COMMON = {
    "model_type": "llama",
    "architectures": ["LlamaForCausalLM"],
    "vocab_size": VOCAB_SIZE,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "rms_norm_eps": 1e-5,
    "rope_theta": 500000.0,
    "hidden_act": "silu",
    "attention_bias": False,
    "mlp_bias": False,
    "bos_token_id": 128000,
    "eos_token_id": EOS_IDS,
    "torch_dtype": "bfloat16",
}

# The published configs of meta-llama/Llama-3.2-1B(-Instruct) and Meta-Llama-3-8B(-Instruct).
ARCHS: dict[str, dict[str, Any]] = {
    "llama-3.2-1b": {
        **_COMMON,
        "hidden_size": 2048,
        "intermediate_size": 8192,
        "num_hidden_layers": 16,
        "head_dim": 64,
        "max_position_embeddings": 131072,
        "rope_scaling": {
            "factor": 32.0,
            "high_freq_factor": 4.0,
            "low_freq_factor": 1.0,
            "original_max_position_embeddings": 8192,
            "rope_type": "llama3",
        },
        "tie_word_embeddings": True,
    },
    "llama-3-8b": {
        **_COMMON,
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "head_dim": 128,
        "max_position_embeddings": 8192,
        "rope_scaling": None,
        "tie_word_embeddings": False,
    },
}

# ``--tiny``: the same vocabulary, template and attention layout at a width a CPU runs quickly.
TINY = {
    "hidden_size": 256,
    "intermediate_size": 512,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 64,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=sorted(ARCHS), required=True)
    parser.add_argument("--precision", choices=("bf16", "4bit"), required=True)
    parser.add_argument("--out", type=Path, required=True, help="the model folder to write")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--tokenizer-from", type=Path, help="a byte-level BPE tokenizer.json")
    source.add_argument("--train-text", type=Path, help="learn a byte-level BPE from this text")
    parser.add_argument("--layers", type=int, help="fewer layers (quick local checks only)")
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="the arch's vocabulary and template at a toy width (hidden 256, 2 layers): fast on a "
        "CPU, for checking a run's phases and token counts here before a GPU lease",
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


# --- tokenizer ---------------------------------------------------------------------------------


def regular_vocab_from(path: Path) -> tuple[list[str], list[tuple[str, str]], dict[str, Any]]:
    """The regular tokens (in id order, the source's special tokens dropped), merges, and the
    pre-tokenizer of a byte-level BPE ``tokenizer.json``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    model = data["model"]
    if model.get("type") != "BPE":
        raise SystemExit(f"{path}: not a BPE tokenizer")
    specials = {t["content"] for t in data.get("added_tokens", [])}
    ordered = sorted(model["vocab"].items(), key=lambda item: item[1])
    tokens = [token for token, _ in ordered if token not in specials]
    merges = [
        tuple(m.split(" ", 1)) if isinstance(m, str) else (m[0], m[1]) for m in model["merges"]
    ]
    return tokens, merges, data["pre_tokenizer"]


def regular_vocab_trained(text_path: Path, size: int = 32000) -> tuple[list[str], list, None]:
    """Learn a byte-level BPE (at most ``size`` tokens) from one text file."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=size,
        min_frequency=2,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train([str(text_path)], trainer)
    data = json.loads(tokenizer.to_str())
    ordered = sorted(data["model"]["vocab"].items(), key=lambda item: item[1])
    merges = [
        tuple(m.split(" ", 1)) if isinstance(m, str) else (m[0], m[1])
        for m in data["model"]["merges"]
    ]
    return [t for t, _ in ordered], merges, None


def filler_text(token_id: int) -> str:
    """The text of a filler id (between the regular tokens and Llama 3's specials): plain
    printable ASCII that is not markup, so it decodes to itself (mlx-lm's byte-level detokenizer
    maps those characters to themselves), re-encodes to its one id, and Logline's prompts keep
    it as text (``logline.engine.prompt_tokens`` breaks only control tokens and ``<...>``)."""
    return f"{{r{token_id}}}"


def write_tokenizer(folder: Path, tokens: list[str], merges: list, pre_tokenizer: Any) -> None:
    """``tokenizer.json`` + ``tokenizer_config.json`` + ``special_tokens_map.json`` with exactly
    ``VOCAB_SIZE`` ids: the regular tokens first, then specials up to the Llama-3 ones."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    if len(tokens) > FIRST_SPECIAL:
        raise SystemExit(f"{len(tokens)} regular tokens: more than Llama 3's {FIRST_SPECIAL}")
    vocab = {token: i for i, token in enumerate(tokens)}
    merges = [m for m in merges if m[0] in vocab and m[1] in vocab and m[0] + m[1] in vocab]
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    # Ids are assigned in the order tokens are added: fillers up to Llama 3's specials, then
    # those (its reserved ones included, special as in Llama 3).
    tokenizer.add_tokens(
        [
            AddedToken(filler_text(token_id), special=False, normalized=False)
            for token_id in range(len(tokens), FIRST_SPECIAL)
        ]
    )
    reserved = 0
    specials = []
    for token_id in range(FIRST_SPECIAL, VOCAB_SIZE):
        name = LLAMA3_SPECIALS.get(token_id)
        if name is None:
            name = f"<|reserved_special_token_{reserved}|>"
            reserved += 1
        specials.append(AddedToken(name, special=True, normalized=False))
    tokenizer.add_special_tokens(specials)
    if tokenizer.get_vocab_size() != VOCAB_SIZE:
        raise SystemExit(f"tokenizer has {tokenizer.get_vocab_size()} ids, not {VOCAB_SIZE}")
    data = json.loads(tokenizer.to_str())
    if pre_tokenizer is not None:
        data["pre_tokenizer"] = pre_tokenizer  # the source's own (e.g. digits split first)
    (folder / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": BOS,
        "eos_token": EOT,
        "clean_up_tokenization_spaces": True,
        "model_input_names": ["input_ids", "attention_mask"],
        "model_max_length": 131072,
        "chat_template": CHAT_TEMPLATE,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    special_map = {"bos_token": BOS, "eos_token": EOT}
    (folder / "special_tokens_map.json").write_text(json.dumps(special_map), encoding="utf-8")


# --- weights -----------------------------------------------------------------------------------


def random_model(config: dict[str, Any], seed: int) -> Any:
    """An mlx-lm Llama model with every parameter drawn as bf16 N(0, 0.02²) (norms at 1).

    0.02 is the initializer range of the Llama configs; with RMS norms before every block the
    residual stream grows slowly and the logits stay finite in bf16."""
    import mlx.core as mx
    from mlx.utils import tree_flatten, tree_unflatten
    from mlx_lm.models.llama import Model, ModelArgs

    mx.random.seed(seed)
    model = Model(ModelArgs.from_dict(config))
    fresh = []
    for name, array in tree_flatten(model.parameters()):
        if name.endswith("norm.weight"):
            fresh.append((name, mx.ones(array.shape, dtype=mx.bfloat16)))
        else:
            fresh.append((name, 0.02 * mx.random.normal(array.shape, dtype=mx.bfloat16)))
    model.update(tree_unflatten(fresh))
    mx.eval(model.parameters())
    return model


def check_finite(model: Any, vocab: int) -> float:
    """One forward pass over a few tokens; the largest |logit| (raises on NaN/inf)."""
    import mlx.core as mx

    tokens = mx.array([[128000, 791, 3446, 13, 578, 1938, 11, 220]]) % vocab
    logits = model(tokens).astype(mx.float32)
    if not bool(mx.all(mx.isfinite(logits)).item()):
        raise SystemExit("the random model's logits hold NaN or inf")
    return float(mx.max(mx.abs(logits)).item())


def build(args: argparse.Namespace) -> dict[str, Any]:
    import mlx.core as mx
    from mlx_lm.utils import quantize_model, save_config, save_model

    config = json.loads(json.dumps(ARCHS[args.arch]))
    if config["rope_scaling"] is None:
        del config["rope_scaling"]
    if args.tiny:
        config.update(TINY)
    if args.layers:
        config["num_hidden_layers"] = args.layers
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.tokenizer_from:
        tokens, merges, pre = regular_vocab_from(args.tokenizer_from)
    else:
        tokens, merges, pre = regular_vocab_trained(args.train_text)
    write_tokenizer(out, tokens, merges, pre)
    tokenizer_s = time.perf_counter() - started

    started = time.perf_counter()
    model = random_model(config, args.seed)
    max_logit = check_finite(model, config["vocab_size"])
    if args.precision == "4bit":
        model, config = quantize_model(model, config, group_size=64, bits=4)
        max_logit = check_finite(model, config["vocab_size"])
    mx.eval(model.parameters())
    made_s = time.perf_counter() - started
    started = time.perf_counter()
    save_model(out, model, donate_model=True)
    save_config(config, out / "config.json")
    saved_s = time.perf_counter() - started
    size = sum(p.stat().st_size for p in out.glob("*.safetensors"))
    summary = {
        "arch": args.arch,
        "precision": args.precision,
        "folder": str(out),
        "device": str(mx.default_device()),
        "regular_tokens": len(tokens),
        "weights_bytes_on_disk": size,
        "max_abs_logit": round(max_logit, 3),
        "seconds": {
            "tokenizer": round(tokenizer_s, 2),
            "weights": round(made_s, 2),
            "save": round(saved_s, 2),
        },
    }
    (out / "random_model.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    summary = build(parse_args(argv))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
