"""End-of-turn token ids: the one rule every generator (transformers, vLLM, verl's servers) follows.

A chat model's reply ends at its tokenizer's eos token *or* at any id its ``generation_config.json``
lists under ``eos_token_id`` (Qwen2.5: ``<|im_end|>`` and ``<|endoftext|>``; Llama 3: three ids).
Engines stop on the generation config's ids by themselves (vLLM reads the file), so the trace
builder must know them too: otherwise a reply that ended on one of them looks cut by its budget
and gets a spurious eos appended.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rlver.errors import ConfigError

__all__ = ["end_of_turn_ids"]


def end_of_turn_ids(tokenizer: Any, generation_config: Any = None) -> tuple[int, ...]:
    """Sorted ids that end a reply: the tokenizer's eos plus the generation config's ``eos_token_id``.

    ``generation_config`` may be a ``transformers.GenerationConfig`` (``model.generation_config``), a
    mapping (a parsed ``generation_config.json``, vLLM's generation-config fields) or ``None``.

    >>> from types import SimpleNamespace
    >>> end_of_turn_ids(SimpleNamespace(eos_token_id=7), {"eos_token_id": [9, 7]})
    (7, 9)
    >>> end_of_turn_ids(SimpleNamespace(eos_token_id=7), SimpleNamespace(eos_token_id=3))
    (3, 7)
    >>> end_of_turn_ids(SimpleNamespace(eos_token_id=7))
    (7,)
    """
    eos = getattr(tokenizer, "eos_token_id", None)
    if eos is None:
        raise ConfigError("the tokenizer has no eos token (the end-of-turn token)")
    if isinstance(generation_config, Mapping):
        value = generation_config.get("eos_token_id")
    else:
        value = getattr(generation_config, "eos_token_id", None)
    extra = [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]
    return tuple(sorted({int(eos), *(int(v) for v in extra)}))
