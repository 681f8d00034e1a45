"""Bytes of a Qwen2/Llama-style decoder, from its config.json: parameters, KV cache, activations.

Pure arithmetic, no weights loaded. Activations are counted tensor by tensor from what autograd saves
in a decoder layer (checked with ``saved_tensors_hooks`` against transformers 5.x for fp32, bf16
autocast on fp32 weights, LoRA on fp32 and LoRA on bf16 weights; see :func:`layer_activation_bytes`).
:mod:`rlver.rl.memory_plan` adds them up for a training run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rlver.errors import ConfigError

__all__ = [
    "ModelShape",
    "attention_mask_bytes",
    "decoder_layer_parameters",
    "kv_cache_bytes",
    "layer_activation_bytes",
    "logprob_chunk_bytes",
    "lora_parameter_count",
    "parameter_count",
    "projection_dims",
    "read_model_shape",
    "trunk_activation_bytes",
]


@dataclass(frozen=True)
class ModelShape:
    """The architecture numbers of a Qwen2/Llama-style decoder, read from config.json."""

    hidden_size: int
    """Width of the residual stream (h)."""
    intermediate_size: int
    """Width of the SwiGLU MLP (I)."""
    num_layers: int
    """Decoder layers (L)."""
    num_heads: int
    """Query heads."""
    num_kv_heads: int
    """Key/value heads (grouped-query attention)."""
    head_dim: int
    """Width of one attention head."""
    vocab_size: int
    """Rows of the embedding and of the LM head (V)."""
    tie_word_embeddings: bool
    """True when the LM head is the embedding matrix (no separate V x h weight)."""
    qkv_bias: bool
    """Biases on the q/k/v projections (Qwen2: yes; Llama: ``attention_bias``)."""
    model_type: str = "qwen2"
    """config.json's ``model_type``, for the printout."""

    @property
    def q_dim(self) -> int:
        """Width of all query heads: num_heads x head_dim."""
        return self.num_heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        """Width of all key (or value) heads: num_kv_heads x head_dim."""
        return self.num_kv_heads * self.head_dim


def read_model_shape(folder: str | Path) -> ModelShape:
    """The :class:`ModelShape` in ``folder/config.json`` (the config only: weights are never read)."""
    path = Path(folder) / "config.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (a model folder needs its config.json)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable JSON config ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    missing = [
        k
        for k in (
            "hidden_size",
            "intermediate_size",
            "num_hidden_layers",
            "num_attention_heads",
            "vocab_size",
        )
        if not isinstance(raw.get(k), int) or raw[k] < 1
    ]
    if missing:
        raise ConfigError(
            f"{path}: missing or invalid {', '.join(missing)} (a Qwen2/Llama-style decoder is expected)"
        )
    heads = raw["num_attention_heads"]
    kv_heads = raw.get("num_key_value_heads") or heads
    head_dim = raw.get("head_dim") or raw["hidden_size"] // heads
    model_type = str(raw.get("model_type", "unknown"))
    return ModelShape(
        hidden_size=raw["hidden_size"],
        intermediate_size=raw["intermediate_size"],
        num_layers=raw["num_hidden_layers"],
        num_heads=heads,
        num_kv_heads=int(kv_heads),
        head_dim=int(head_dim),
        vocab_size=raw["vocab_size"],
        tie_word_embeddings=bool(raw.get("tie_word_embeddings", False)),
        qkv_bias=model_type == "qwen2" or bool(raw.get("attention_bias", False)),
        model_type=model_type,
    )


# ------------------------------------------------------------------------------------ parameters
def projection_dims(shape: ModelShape) -> dict[str, tuple[int, int]]:
    """(in, out) features of each linear projection of a decoder layer, by module name."""
    h, i = shape.hidden_size, shape.intermediate_size
    return {
        "q_proj": (h, shape.q_dim),
        "k_proj": (h, shape.kv_dim),
        "v_proj": (h, shape.kv_dim),
        "o_proj": (shape.q_dim, h),
        "gate_proj": (h, i),
        "up_proj": (h, i),
        "down_proj": (i, h),
    }


def decoder_layer_parameters(shape: ModelShape) -> int:
    """Parameters of one decoder layer: projections (+ q/k/v biases) and two RMSNorm weights."""
    weights = sum(n_in * n_out for n_in, n_out in projection_dims(shape).values())
    bias = shape.q_dim + 2 * shape.kv_dim if shape.qkv_bias else 0
    return weights + bias + 2 * shape.hidden_size  # + input and post-attention RMSNorm weights


def parameter_count(shape: ModelShape) -> int:
    """All parameters: embedding V*h + L layers + final norm h + LM head V*h unless tied."""
    head = 0 if shape.tie_word_embeddings else shape.vocab_size * shape.hidden_size
    embedding = shape.vocab_size * shape.hidden_size
    return embedding + shape.num_layers * decoder_layer_parameters(shape) + shape.hidden_size + head


def lora_parameter_count(
    shape: ModelShape, r: int, targets: tuple[str, ...], *, with_head: bool = True
) -> int:
    """Adapter parameters: r * (in + out) per targeted projection per layer (+ the LM head if targeted)."""
    dims = projection_dims(shape)
    total = 0
    for name in targets:
        if name in dims:
            n_in, n_out = dims[name]
            total += shape.num_layers * r * (n_in + n_out)  # A: r x in, B: out x r
        elif name == "lm_head":
            total += r * (shape.hidden_size + shape.vocab_size) if with_head else 0
        else:
            raise ConfigError(
                f"lora.target_modules: cannot size {name!r} (known: {', '.join([*dims, 'lm_head'])})"
            )
    return total


# ------------------------------------------------------------------------------------ bytes
def kv_cache_bytes(layers: int, kv_heads: int, head_dim: int, dtype_bytes: int, tokens: int) -> int:
    """Keys and values of ``tokens`` positions."""
    return layers * 2 * kv_heads * head_dim * dtype_bytes * tokens  # K and V per layer per token


def logprob_chunk_bytes(chunk: int, vocab: int, compute_bytes: int) -> int:
    """The LM-head chunk while it is scored with gradients: fp32 logits and their fp32 gradient
    (rl/forward.py), plus, under bf16 autocast, the bf16 gradient the head's matmul takes."""
    fp32_pair = chunk * vocab * 4 * 2  # (chunk, V) fp32 logits + their gradient
    low_precision = chunk * vocab * compute_bytes if compute_bytes < 4 else 0
    return fp32_pair + low_precision


def layer_activation_bytes(
    shape: ModelShape,
    *,
    compute_bytes: int,
    weight_bytes: int,
    lora_targets: frozenset[str] | None = None,
    lora_r: int = 0,
) -> int:
    """Bytes autograd keeps per token for one Qwen2/Llama decoder layer (training, SDPA attention).

    ``lora_targets`` None = full fine-tuning (every weight trains); a set = LoRA on those modules.
    c = compute bytes (2 under bf16 autocast), w = the residual stream's (= the weights') bytes:

        RMSNorm x 2      4h (its input in fp32) + w*h (the normalised input, only if its weight trains)
        attention        4 * c * q_dim: q, k, v (GQA heads expanded: the batch has a padding mask)
                         and the output, kept by SDPA
        MLP              3 * c * I: gate and up outputs, SiLU output
        projections      each input a training projection needs: shared by q/k/v (and by gate/up)
                         when no cast is needed, else one cast copy per projection: autocast casting
                         fp32 inputs, or peft casting to the fp32 adapters and autocast back
        LoRA             c * r per adapter (its A output)
    """
    h, i, q = shape.hidden_size, shape.intermediate_size, shape.q_dim
    c, w = compute_bytes, weight_bytes
    full = lora_targets is None
    lora = lora_targets or frozenset()

    def trains(module: str) -> bool:
        return full or module in lora

    def copies(module: str, input_bytes: int) -> bool:
        return trains(module) and (input_bytes != c or (not full and c != 4))

    norms = 2 * (4 * h + (w * h if full else 0))
    attention = 4 * c * q
    mlp = 3 * c * i
    inputs = 0
    for readers, dim, input_bytes, already_saved in (
        (("q_proj", "k_proj", "v_proj"), h, w, False),  # the input RMSNorm's output
        (("gate_proj", "up_proj"), h, w, False),  # the post-attention RMSNorm's output
        (("o_proj",), q, c, True),  # SDPA's output, kept by SDPA anyway
        (("down_proj",), i, c, False),  # SiLU(gate) * up
    ):
        inputs += sum(c * dim for m in readers if copies(m, input_bytes))
        shared = any(trains(m) and not copies(m, input_bytes) for m in readers)
        inputs += c * dim if shared and not already_saved else 0
    adapters = c * lora_r * len(lora & set(projection_dims(shape)))
    return norms + attention + mlp + inputs + adapters


def attention_mask_bytes(tokens: int, layers: int, compute_bytes: int, *, checkpointing: bool) -> int:
    """Attention masks of one dialogue of ``tokens`` tokens in one model's forward + backward.

    A padded batch gives SDPA a boolean (T, T) mask (1 byte an element, once per forward); SDPA
    converts it into an additive mask in the compute dtype and keeps that for the backward, in every
    layer (with activation checkpointing: only in the layer being recomputed). Quadratic in the
    dialogue's length: at 6,144 tokens and 28 layers, 2.1 GB a dialogue in bf16.
    """
    kept = 1 if checkpointing else layers
    return tokens * tokens * (compute_bytes * kept + 1)  # (T, T) per kept layer + the boolean mask


def trunk_activation_bytes(
    shape: ModelShape,
    *,
    compute_bytes: int,
    weight_bytes: int,
    lora_targets: frozenset[str] | None,
    lora_r: int,
    checkpointing: bool,
) -> tuple[int, int]:
    """(saved bytes per token of the whole decoder, backward workspace per token).

    Without checkpointing every layer keeps its activations and the backward of one layer needs
    about as much again for the gradients of its tensors. With activation checkpointing a layer
    keeps only its input (w*h) and the backward recomputes one layer at a time: that layer's
    activations plus their gradients. The final RMSNorm keeps 4h (+ w*h if its weight trains).
    """
    layer = layer_activation_bytes(
        shape,
        compute_bytes=compute_bytes,
        weight_bytes=weight_bytes,
        lora_targets=lora_targets,
        lora_r=lora_r,
    )
    h, w = shape.hidden_size, weight_bytes
    final_norm = 4 * h + (w * h if lora_targets is None else 0)
    if checkpointing:
        return shape.num_layers * w * h + final_norm, 2 * layer
    return shape.num_layers * layer + final_norm, layer
