"""Per-dialogue KV caches kept between turns, so a turn prefills only its new tokens.

Without it every policy turn re-reads the whole dialogue (prefill cost grows with the square of the
number of turns). With it, turn k feeds the model only the tokens the cache does not cover (the last
sampled token and the template delta). Rows of a batch carry caches of different lengths: each is
right-aligned in a left-padded past, and the new tokens are left-padded after it, leaving a masked
hole in the middle; ``generate`` derives positions from the attention mask (cumsum), so the cached
keys (rotated at positions 0..c-1) and the new tokens (positions c..) line up exactly.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer
from transformers.generation.utils import GenerateDecoderOnlyOutput

__all__ = [
    "CACHE_FIELD",
    "CachedPrefix",
    "PrefixCache",
    "batch_past",
    "generate_cache_kwargs",
    "generated_cache",
    "row_prefix",
    "supports_prefix_cache",
    "weights_version",
]


@dataclass(frozen=True)
class CachedPrefix:
    """Keys and values of the first ``length`` tokens of one dialogue's trace."""

    fingerprint: int
    """Hash of the trace ids when stored; a trace that changed since does not match."""
    length: int
    """Tokens covered (a prefix of the trace: the trace's last token(s) were never fed)."""
    keys: torch.Tensor  # (L, H_kv, length, D)
    values: torch.Tensor  # (L, H_kv, length, D)


def fingerprint(ids: Sequence[int]) -> int:
    return hash(tuple(ids))


def weights_version(model: torch.nn.Module) -> int:
    """Changes whenever a parameter is replaced or updated in place (optimizer steps, ``copy_``).

    In-place edits through ``param.data`` bypass the version counter: call ``PrefixCache.clear``.
    """
    return hash(tuple((p.data_ptr(), p._version) for p in model.parameters()))


class PrefixCache:
    """LRU store of :class:`CachedPrefix` by dialogue key, dropped whenever the weights change."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, CachedPrefix] = OrderedDict()
        self._weights: int | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def sync_weights(self, model: torch.nn.Module) -> None:
        """Forget every entry if the model's weights changed since the last call."""
        version = weights_version(model)
        if version != self._weights:
            self._entries.clear()
            self._weights = version

    def lookup(self, key: str, trace_ids: Sequence[int]) -> CachedPrefix | None:
        """``key``'s prefix if it still matches ``trace_ids``, left in place (for inspection)."""
        entry = self._entries.get(key)
        if entry is None or entry.length >= len(trace_ids) or entry.fingerprint != fingerprint(trace_ids):
            return None
        return entry

    def take(self, key: str, trace_ids: Sequence[int]) -> CachedPrefix | None:
        """Remove and return ``key``'s prefix if it still matches ``trace_ids``.

        Taken, not copied: the prefix is about to be moved into a generation batch, and the store gets
        the dialogue's longer prefix back after the turn, so a dialogue's keys and values are held once.
        """
        entry = self._entries.pop(key, None)
        if entry is None or entry.length >= len(trace_ids) or entry.fingerprint != fingerprint(trace_ids):
            return None
        return entry

    def store(self, key: str, trace_ids: Sequence[int], keys: torch.Tensor, values: torch.Tensor) -> None:
        self._entries[key] = CachedPrefix(fingerprint(trace_ids), keys.shape[-2], keys, values)
        self._entries.move_to_end(key)

    def evict(self, capacity: int) -> None:
        while len(self._entries) > capacity:
            self._entries.popitem(last=False)


# transformers renamed ``past_key_values`` to ``cache`` (generate's keyword and its output's field) in
# 5.x and warns on the old name; older 5.x releases, such as the one verl pins, know only the old one.
CACHE_FIELD = "cache" if "cache" in GenerateDecoderOnlyOutput.__dataclass_fields__ else "past_key_values"


def generate_cache_kwargs(cache: DynamicCache | None) -> dict[str, DynamicCache]:
    """``generate(**generate_cache_kwargs(cache))``: the prefix cache under this transformers' name."""
    return {} if cache is None else {CACHE_FIELD: cache}


def generated_cache(output: object) -> object:
    """The KV cache a ``generate(..., return_dict_in_generate=True)`` call returned."""
    return getattr(output, CACHE_FIELD, None)


def supports_prefix_cache(cache: object) -> bool:
    """True for a plain DynamicCache (no sliding-window, quantised or offloaded layers)."""
    layers = getattr(cache, "layers", None)
    return isinstance(cache, DynamicCache) and bool(layers) and all(type(layer) is DynamicLayer for layer in layers)


def batch_past(prefixes: Sequence[CachedPrefix | None], width: int) -> DynamicCache:
    """A left-padded DynamicCache of ``width`` positions; row r's prefix is right-aligned in it."""
    template = next(p for p in prefixes if p is not None)
    layers, heads, _, dim = template.keys.shape
    shape = (layers, len(prefixes), heads, width, dim)
    keys = template.keys.new_zeros(shape)  # (L, B, H_kv, width, D)
    values = template.values.new_zeros(shape)  # (L, B, H_kv, width, D)
    for row, prefix in enumerate(prefixes):
        if prefix is not None and prefix.length:
            keys[:, row, :, width - prefix.length :] = prefix.keys
            values[:, row, :, width - prefix.length :] = prefix.values
    return DynamicCache(ddp_cache_data=[(keys[i], values[i]) for i in range(layers)])


def row_prefix(cache: DynamicCache, row: int, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(keys, values) of one batch row at ``positions`` (its real tokens in order), all layers."""
    positions = positions.to(cache.layers[0].keys.device)
    keys = torch.stack([layer.keys[row].index_select(-2, positions) for layer in cache.layers])  # (L, H_kv, n, D)
    values = torch.stack([layer.values[row].index_select(-2, positions) for layer in cache.layers])  # (L, H_kv, n, D)
    return keys, values
