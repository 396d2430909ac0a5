"""Generate tiny, random llama-family models for tests (plain functions, no fixtures).

``write_tiny_llama_gguf`` writes a GGUF file the way llama.cpp's converter lays one out: the
``llama`` architecture, every metadata key Logline's importer reads, a small byte-level BPE
vocabulary (the 256 GPT-2 byte tokens, merges learned from a short English text, ChatML control
tokens) and random weights in the requested ggml tensor type. ``make_tiny_mlx_model`` imports such a
file with Logline's own importer: the fast path most tests use.

Weights are stored in GGUF layout: Q and K rows already carry llama.cpp's permutation, so the model
they describe applies RoPE to adjacent pairs ("traditional" RoPE), as llama.cpp does.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
ENDOFTEXT_ID, IM_START_ID, IM_END_ID = 0, 1, 2
BOS_ID, EOS_ID = IM_START_ID, IM_END_ID

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

TRAINING_TEXT = """\
The writer sat at the kitchen table and read the script again. Every scene had a reason to be
there, and every line of dialogue had to earn its place on the page. She wrote notes in the margin:
the opening is slow, the second act loses the thread, the ending works. Then she read it one more
time, out loud, the way an actor would, and she heard where the words were wrong.
A logline is one sentence that tells the story: who wants what, and what stands in the way. It is
the first thing a reader sees and the last thing they remember. Writing a good one is harder than it
looks, because the writer has to know what the story is about before the story is finished.
In 2024 the studio read 1,250 scripts and bought 3 of them. The readers wrote a summary of each one,
with the characters, the setting and the themes, and they gave every script a score from 1 to 10.
The best stories were simple: a father and a son, a town by the river, a promise that was broken.
"""

GGUF_TENSOR_TYPES = ("F32", "F16", "Q4_0", "Q4_1", "Q8_0")
OUTPUT_NORM_GAIN = 0.2


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map used by byte-level BPE vocabularies."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {byte: chr(char) for byte, char in zip(printable, chars, strict=True)}


def byte_level(text: str) -> str:
    """``text`` spelled in the byte-level alphabet (e.g. "\\n" -> "Ċ", " " -> "Ġ")."""
    table = bytes_to_unicode()
    return "".join(table[b] for b in text.encode("utf-8"))


def _pretokenize(text: str) -> list[str]:
    """Pieces as SmolLM's pre-tokenizer cuts them (digits alone, then the GPT-2 split)."""
    from tokenizers import Regex, pre_tokenizers

    splitter = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(r"\p{N}"), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    return [piece for piece, _ in splitter.pre_tokenize_str(text)]


def learn_bpe_merges(text: str, n_merges: int) -> list[tuple[str, str]]:
    """Greedy BPE training (most frequent pair first, ties broken by the pair itself)."""
    words: Counter[tuple[str, ...]] = Counter(tuple(piece) for piece in _pretokenize(text))
    merges: list[tuple[str, str]] = []
    for _ in range(n_merges):
        pairs: Counter[tuple[str, str]] = Counter()
        for word, freq in words.items():
            for pair in pairwise(word):
                pairs[pair] += freq
        if not pairs:
            break
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        merges.append(best)
        merged: Counter[tuple[str, ...]] = Counter()
        for word, freq in words.items():
            out: list[str] = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += freq
        words = merged
    return merges


@lru_cache(maxsize=4)
def tiny_vocab(n_merges: int = 300) -> tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]:
    """``(tokens, token_types, merges)``: specials, then the 256 byte tokens, then merge results."""
    tokens: list[str] = list(SPECIAL_TOKENS)
    types: list[int] = [3] * len(SPECIAL_TOKENS)  # 3: CONTROL
    table = bytes_to_unicode()
    for byte in range(256):
        tokens.append(table[byte])
        types.append(1)  # 1: NORMAL
    known = set(tokens)
    merges = learn_bpe_merges(TRAINING_TEXT, n_merges)
    for left, right in merges:
        if left + right not in known:
            known.add(left + right)
            tokens.append(left + right)
            types.append(1)
    return tuple(tokens), tuple(types), tuple(f"{a} {b}" for a, b in merges)


def tiny_llama_weights(
    *,
    vocab_size: int,
    n_layers: int,
    hidden: int,
    heads: int,
    kv_heads: int,
    ff: int,
    seed: int,
    tied: bool,
) -> dict[str, np.ndarray]:
    """Random float32 weights, GGUF names, numpy layout ``(out_features, in_features)``.

    Scales are chosen so that attention is far from uniform, which makes the logits sensitive to
    RoPE and to every weight; the layers' outputs outweigh the token's own embedding in the residual
    stream (with tied embeddings the model would otherwise just repeat its input), and the logits'
    spread stays near 1.6, so the next-token distribution is broad (~7% on the top token) and seeded
    sampling at temperature 1 really samples.
    """
    rng = np.random.default_rng(seed)
    head_dim = hidden // heads

    def dense(rows: int, cols: int, gain: float = 1.0) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * gain / np.sqrt(cols)).astype(np.float32)

    def norm(size: int) -> np.ndarray:
        return (1.0 + 0.1 * rng.standard_normal(size)).astype(np.float32)

    weights: dict[str, np.ndarray] = {
        "token_embd.weight": rng.standard_normal((vocab_size, hidden)).astype(np.float32),
    }
    for layer in range(n_layers):
        prefix = f"blk.{layer}"
        weights[f"{prefix}.attn_norm.weight"] = norm(hidden)
        weights[f"{prefix}.attn_q.weight"] = dense(heads * head_dim, hidden, 2.0)
        weights[f"{prefix}.attn_k.weight"] = dense(kv_heads * head_dim, hidden, 2.0)
        weights[f"{prefix}.attn_v.weight"] = dense(kv_heads * head_dim, hidden)
        weights[f"{prefix}.attn_output.weight"] = dense(hidden, heads * head_dim, 3.0)
        weights[f"{prefix}.ffn_norm.weight"] = norm(hidden)
        weights[f"{prefix}.ffn_gate.weight"] = dense(ff, hidden)
        weights[f"{prefix}.ffn_up.weight"] = dense(ff, hidden)
        weights[f"{prefix}.ffn_down.weight"] = dense(hidden, ff, 3.0)
    # A small final norm keeps the logits' spread near 1.5: sampling at temperature 1 stays random.
    weights["output_norm.weight"] = OUTPUT_NORM_GAIN * norm(hidden)
    if not tied:
        weights["output.weight"] = dense(vocab_size, hidden, 8.0)
    return weights


def _raw_blocks(rows: int, cols: int, type_name: str, seed: int) -> np.ndarray:
    """Bytes of a ``(rows, cols)`` tensor in a ggml type gguf-py cannot quantize (e.g. Q4_K).

    Zero scales and random quants: a well-formed tensor that dequantizes to zeros.
    """
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    block, size = GGML_QUANT_SIZES[GGMLQuantizationType[type_name]]
    if cols % block:
        raise ValueError(f"{type_name} needs rows that are a multiple of {block} long, not {cols}")
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(rows, cols // block, size), dtype=np.uint8)
    data[:, :, :4] = 0  # K-quants and most others start with their fp16 scale(s)
    return data.reshape(rows, cols // block * size)


def write_tiny_llama_gguf(
    path: str | Path,
    *,
    tensor_type: str = "Q4_0",
    n_layers: int = 2,
    hidden: int = 64,
    heads: int = 4,
    kv_heads: int = 2,
    ff: int = 128,
    seed: int = 0,
    extra_unsupported_type: str | None = None,
    tied: bool = True,
    context_length: int = 8192,
    arch: str = "llama",
    name: str = "Tiny Llama",
) -> Path:
    """Write a tiny random llama GGUF (2-D tensors in ``tensor_type``, norms F32); return its path.

    ``extra_unsupported_type`` (e.g. ``"Q4_K"``) writes the last layer's ``ffn_down`` in that type
    instead; ``ff`` is then rounded up to a multiple of the type's block size (256 for K-quants) so
    the tensor is well formed. ``context_length`` defaults to SmolLM2's 8192 (room for long prompts
    plus long answers in engine and CLI tests). ``arch`` other than ``"llama"`` writes the same
    tensors under that architecture's metadata keys (for rejection tests).
    """
    from gguf import GGMLQuantizationType, GGUFWriter, quants

    if tensor_type not in GGUF_TENSOR_TYPES:
        raise ValueError(f"tensor_type must be one of {GGUF_TENSOR_TYPES}, not {tensor_type!r}")
    qtype = GGMLQuantizationType[tensor_type]
    if extra_unsupported_type is not None:
        from gguf import GGML_QUANT_SIZES

        block = GGML_QUANT_SIZES[GGMLQuantizationType[extra_unsupported_type]][0]
        ff = -(-ff // block) * block
    if hidden % heads or heads % kv_heads:
        raise ValueError("hidden must be a multiple of heads, and heads of kv_heads")
    if qtype not in (GGMLQuantizationType.F32, GGMLQuantizationType.F16) and (
        hidden % 32 or ff % 32
    ):
        raise ValueError("quantized tensors need rows that are a multiple of 32 long")

    tokens, token_types, merges = tiny_vocab()
    head_dim = hidden // heads
    weights = tiny_llama_weights(
        vocab_size=len(tokens),
        n_layers=n_layers,
        hidden=hidden,
        heads=heads,
        kv_heads=kv_heads,
        ff=ff,
        seed=seed,
        tied=tied,
    )

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = GGUFWriter(str(path), arch)
    writer.add_name(name)
    writer.add_context_length(context_length)
    writer.add_embedding_length(hidden)
    writer.add_block_count(n_layers)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(tokens))
    writer.add_rope_dimension_count(head_dim)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(list(tokens))
    writer.add_token_types(list(token_types))
    writer.add_token_merges(list(merges))
    writer.add_bos_token_id(BOS_ID)
    writer.add_eos_token_id(EOS_ID)
    writer.add_unk_token_id(ENDOFTEXT_ID)
    writer.add_pad_token_id(EOS_ID)
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHATML_TEMPLATE)
    if qtype not in (GGMLQuantizationType.F32, GGMLQuantizationType.F16):
        writer.add_quantization_version(2)

    odd_one = f"blk.{n_layers - 1}.ffn_down.weight" if extra_unsupported_type else None
    for tensor_name, array in weights.items():
        if tensor_name == odd_one:
            assert extra_unsupported_type is not None
            raw = _raw_blocks(*array.shape, extra_unsupported_type, seed)
            writer.add_tensor(
                tensor_name, raw, raw_dtype=GGMLQuantizationType[extra_unsupported_type]
            )
        elif array.ndim == 1 or qtype == GGMLQuantizationType.F32:
            writer.add_tensor(tensor_name, array.astype(np.float32))
        elif qtype == GGMLQuantizationType.F16:
            writer.add_tensor(tensor_name, array.astype(np.float16))
        else:
            writer.add_tensor(tensor_name, quants.quantize(array, qtype), raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def make_tiny_mlx_model(
    folder: str | Path, *, tensor_type: str = "Q4_0", **gguf_options: Any
) -> Path:
    """Write a tiny GGUF in ``folder`` and import it with Logline into ``folder/models``.

    Returns the imported model folder (``folder/models/tiny-<type>``).
    """
    from logline.models.gguf_import import import_gguf

    folder = Path(folder)
    gguf_path = write_tiny_llama_gguf(
        folder / f"tiny-{tensor_type.lower()}.gguf", tensor_type=tensor_type, **gguf_options
    )
    models_root = folder / "models"
    manifest = import_gguf(gguf_path, models_root, model_id=f"tiny-{tensor_type.lower()}")
    return models_root / manifest.model_id


def write_tiny_tokenizer_files(folder: str | Path, *, context_length: int = 8192) -> None:
    """``tokenizer.json`` (+ its config files) for the tiny byte-level BPE vocabulary, as a
    Hugging Face model folder carries them (ChatML template, SmolLM-style digit split)."""
    import json

    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers

    tokens, _types, merges = tiny_vocab()
    pairs = [tuple(merge.split(" ", 1)) for merge in merges]
    tokenizer = Tokenizer(
        models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=pairs, fuse_unk=False)
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(r"\p{N}"), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([AddedToken(t, special=True) for t in SPECIAL_TOKENS])
    folder = Path(folder)
    tokenizer.save(str(folder / "tokenizer.json"))
    special = {
        "bos_token": SPECIAL_TOKENS[BOS_ID],
        "eos_token": SPECIAL_TOKENS[EOS_ID],
        "unk_token": SPECIAL_TOKENS[ENDOFTEXT_ID],
        "pad_token": SPECIAL_TOKENS[EOS_ID],
    }
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "add_bos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": context_length,
        "chat_template": CHATML_TEMPLATE,
        **special,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), "utf-8")
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2), "utf-8")


def write_tiny_hf_llama(
    folder: str | Path,
    *,
    dtype: str = "float16",
    n_layers: int = 2,
    hidden: int = 64,
    heads: int = 4,
    kv_heads: int = 2,
    ff: int = 128,
    seed: int = 0,
    tied: bool = False,
    context_length: int = 8192,
) -> Path:
    """A tiny random llama as a Hugging Face checkpoint folder: ``config.json`` (model_type
    llama), float ``model.safetensors`` with HF tensor names (``model.layers.0.self_attn.q_proj
    .weight``…, written with ``"format": "pt"`` metadata as transformers writes them), tokenizer
    files and a ``generation_config.json``. ``dtype`` is ``float16``, ``bfloat16`` or ``float32``.

    The weights are those of ``tiny_llama_weights`` (HF and MLX share the llama layout); the model
    uses the standard (non-traditional) RoPE as HF llama checkpoints do.
    """
    import json

    from logline.engine.mlx_runtime import import_mlx
    from logline.models.gguf_import import mlx_module_name

    mx = import_mlx()

    tokens, _types, _merges = tiny_vocab()
    weights = tiny_llama_weights(
        vocab_size=len(tokens),
        n_layers=n_layers,
        hidden=hidden,
        heads=heads,
        kv_heads=kv_heads,
        ff=ff,
        seed=seed,
        tied=tied,
    )
    target = getattr(mx, dtype)
    tensors = {
        f"{mlx_module_name(name.removesuffix('.weight'))}.weight": mx.array(array).astype(target)
        for name, array in weights.items()
    }
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    mx.save_safetensors(str(folder / "model.safetensors"), tensors, metadata={"format": "pt"})
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "intermediate_size": ff,
        "num_attention_heads": heads,
        "num_hidden_layers": n_layers,
        "num_key_value_heads": kv_heads,
        "max_position_embeddings": context_length,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "vocab_size": len(tokens),
        "tie_word_embeddings": tied,
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "torch_dtype": dtype,
        "attention_bias": False,
        "mlp_bias": False,
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2), "utf-8")
    generation = {"bos_token_id": BOS_ID, "eos_token_id": EOS_ID}
    (folder / "generation_config.json").write_text(json.dumps(generation, indent=2), "utf-8")
    write_tiny_tokenizer_files(folder, context_length=context_length)
    return folder


LOOPING_TEXT = " The writer reads the script. Every father walks by a river!"


def make_looping_mlx_model(folder: str | Path, text: str = LOOPING_TEXT) -> Path:
    """A tiny llama MLX folder (imported like ``make_tiny_mlx_model``) rewired to write ``text``
    again and again, greedily, whatever the prompt: a model that loops, for loop-guard tests.

    Its layers add nothing to the residual stream (attention and MLP outputs zeroed), so each
    step's logits depend on the current token alone; the output layer maps each token of
    ``text`` (its tokens must all differ) to the next, the last to the first, and the chat
    prompt's last token (the newline after ``assistant``) to the first. The text streams
    without its leading space (the detokenizer drops it on the first token).
    """
    from tokenizers import Tokenizer

    from logline.engine.mlx_runtime import import_mlx

    mx = import_mlx()
    model = make_tiny_mlx_model(folder, tensor_type="F32", tied=False)
    tokenizer = Tokenizer.from_file(str(model / "tokenizer.json"))
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    if len(set(ids)) != len(ids):
        raise ValueError(f"the tokens of {text!r} must all differ")
    path = model / "model.safetensors"
    weights = {name: np.array(value) for name, value in mx.load(str(path)).items()}
    for name, value in weights.items():
        if name.endswith(("o_proj.weight", "down_proj.weight")):
            value[:] = 0
    embed, head = weights["model.embed_tokens.weight"], weights["lm_head.weight"]
    for current, following in zip([*ids[-1:], *ids[:-1]], ids, strict=True):
        head[following] = 10 * embed[current]
    head[ids[0]] += 10 * embed[tokenizer.token_to_id(byte_level("\n"))]
    mx.save_safetensors(str(path), {name: mx.array(value) for name, value in weights.items()})
    return model
