"""Local model building blocks: tiny Qwen2 models, BPE tokenizers, the ChatML template, safe loading,
seeded exact sampling and per-dialogue KV caches for generation."""

from rlver.utils.lazy import lazy_exports


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

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "rlver.models.chat_template": ["CHATML_TEMPLATE"],
        "rlver.models.kv_cache": ["PrefixCache"],
        "rlver.models.loading": ["load_pretrained", "resolve_device", "resolve_dtype"],
        "rlver.models.sampling": ["TokenSampler"],
        "rlver.models.tiny": [
            "MODEL_SHAPES",
            "SAMPLE_TEXTS",
            "TinyModelShape",
            "build_tiny_model",
            "tiny_test_setup",
            "train_tokenizer",
        ],
    },
)
