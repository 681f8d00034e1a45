"""Local model building blocks: tiny Qwen2 models, BPE tokenizers, the ChatML template, safe loading,
seeded exact sampling and per-dialogue KV caches for generation."""

from rlver.models.chat_template import CHATML_TEMPLATE
from rlver.models.kv_cache import PrefixCache
from rlver.models.loading import load_pretrained, resolve_device, resolve_dtype
from rlver.models.sampling import TokenSampler
from rlver.models.tiny import (
    MODEL_SHAPES,
    SAMPLE_TEXTS,
    TinyModelShape,
    build_tiny_model,
    tiny_test_setup,
    train_tokenizer,
)

__all__ = [
    "CHATML_TEMPLATE",
    "MODEL_SHAPES",
    "SAMPLE_TEXTS",
    "PrefixCache",
    "TinyModelShape",
    "TokenSampler",
    "build_tiny_model",
    "load_pretrained",
    "resolve_device",
    "resolve_dtype",
    "tiny_test_setup",
    "train_tokenizer",
]
