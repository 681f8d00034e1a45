"""Tiny Qwen2 models and byte-level BPE tokenizers built locally, in seconds, with no download.

Tests everywhere and the demo's tiny base policy use these. The tokenizer speaks ChatML (the Qwen
chat format) with ``<|im_end|>`` as eos and ``<think>``/``</think>`` as single, sampleable tokens, so
a tiny model exercises exactly the token paths a real Qwen2.5/Qwen3 checkpoint would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import torch
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

from rlver.errors import ConfigError
from rlver.models.chat_template import CHATML_TEMPLATE, END_OF_TEXT, IM_END, IM_START, THINK_TOKENS

__all__ = [
    "MODEL_SHAPES",
    "SAMPLE_TEXTS",
    "ModelSize",
    "TinyModelShape",
    "build_tiny_model",
    "random_qwen2",
    "tiny_test_setup",
    "train_tokenizer",
]

ModelSize = Literal["tiny", "small", "medium"]


@dataclass(frozen=True)
class TinyModelShape:
    """Transformer dimensions of one tiny size (parameter counts quoted for a 4k vocabulary)."""

    hidden_size: int
    """Width of the residual stream."""
    intermediate_size: int
    """Width of the SwiGLU MLP."""
    num_hidden_layers: int
    """Decoder blocks."""
    num_attention_heads: int
    """Query heads (head dim = hidden_size / heads)."""
    num_key_value_heads: int
    """Key/value heads (grouped-query attention, as in Qwen2)."""


MODEL_SHAPES: dict[str, TinyModelShape] = {
    # ~1.1M parameters with a 4k vocabulary (embeddings tied).
    "tiny": TinyModelShape(128, 512, 2, 4, 2),
    # ~5M parameters.
    "small": TinyModelShape(256, 1024, 4, 4, 2),
    # ~20M parameters.
    "medium": TinyModelShape(384, 1536, 8, 6, 2),
}

SAMPLE_TEXTS: tuple[str, ...] = (
    "I had a really rough day at work and nobody seems to notice how hard I try.",
    "That sounds exhausting. What happened today that weighed on you the most?",
    "My sister keeps cancelling our plans at the last minute and I feel ignored.",
    "It makes sense that you feel hurt when someone you care about keeps pulling away.",
    "I am not sure why I am even telling you this, it probably does not matter.",
    "It matters to me. Take your time, I am listening.",
    "My manager took credit for my project in front of the whole team.",
    "That must have felt unfair, especially after all the late nights you put in.",
    "Sometimes I think I should just quit and start over somewhere else.",
    "Before deciding anything, what would a good week at work look like for you?",
    "Thanks, that actually helps a little. Goodbye for now.",
    "You did the right thing by speaking up, even if it was hard.",
    "<think>She wants to be heard, not fixed.</think> I hear you; that is a lot to carry.",
    "<think>He needs practical advice.</think> One small step could be to write down what you want to say.",
    "system user assistant",
)
"""A small built-in corpus: enough for a tokenizer that covers chat roles, think tags and English."""


def train_tokenizer(texts: Iterable[str], vocab_size: int = 4096) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer with ChatML special tokens and think tokens.

    ``<|endoftext|>`` (pad), ``<|im_start|>`` and ``<|im_end|>`` (eos) are special; ``<think>`` and
    ``</think>`` are added as normal but unsplittable tokens, so a model can sample them and
    ``decode(..., skip_special_tokens=True)`` keeps them. The vocabulary may come out smaller than
    ``vocab_size`` when the corpus is small (BPE stops when no pair is left to merge).
    """
    specials = [END_OF_TEXT, IM_START, IM_END]
    if vocab_size < 256 + len(specials) + len(THINK_TOKENS):
        raise ConfigError(f"vocab_size must be at least 261 for a byte-level BPE, got {vocab_size}")
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(THINK_TOKENS),
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(list(texts), trainer=trainer)
    backend.add_tokens([AddedToken(t, special=False, normalized=False) for t in THINK_TOKENS])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token=IM_END,
        pad_token=END_OF_TEXT,
        extra_special_tokens=[IM_START],
        padding_side="left",
        clean_up_tokenization_spaces=False,
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def random_qwen2(
    vocab_size: int,
    *,
    hidden_size: int,
    intermediate_size: int,
    num_layers: int,
    num_heads: int,
    num_kv_heads: int,
    seed: int = 0,
    **token_ids: int | None,
) -> Qwen2ForCausalLM:
    """A randomly initialised Qwen2ForCausalLM of this shape (tied embeddings, float32, eval mode),
    seeded without touching the caller's global RNG. ``token_ids``: bos/eos/pad ids for the config."""
    config = Qwen2Config(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        max_position_embeddings=8192,
        tie_word_embeddings=True,
        **{"pad_token_id": 0, **token_ids},
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(config)
    return model.eval()


def build_tiny_model(tokenizer: PreTrainedTokenizerFast, size: ModelSize = "tiny", seed: int = 0) -> Qwen2ForCausalLM:
    """A randomly initialised Qwen2ForCausalLM sized for ``tokenizer`` (tied embeddings, float32).

    Initialisation is seeded without touching the caller's global RNG state.
    """
    try:
        shape = MODEL_SHAPES[size]
    except KeyError:
        raise ConfigError(f"unknown tiny model size {size!r}; choose one of {', '.join(MODEL_SHAPES)}") from None
    eos_id = tokenizer.eos_token_id
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos_id
    model = random_qwen2(
        len(tokenizer),
        hidden_size=shape.hidden_size,
        intermediate_size=shape.intermediate_size,
        num_layers=shape.num_hidden_layers,
        num_heads=shape.num_attention_heads,
        num_kv_heads=shape.num_key_value_heads,
        seed=seed,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
    )
    model.generation_config.eos_token_id = eos_id
    model.generation_config.pad_token_id = pad_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.eval()
    return model


def tiny_test_setup(seed: int = 0, size: ModelSize = "tiny") -> tuple[Qwen2ForCausalLM, PreTrainedTokenizerFast]:
    """(model, tokenizer) for tests: tokenizer trained on :data:`SAMPLE_TEXTS`, random seeded model."""
    tokenizer = train_tokenizer(SAMPLE_TEXTS, vocab_size=1024)
    return build_tiny_model(tokenizer, size=size, seed=seed), tokenizer
