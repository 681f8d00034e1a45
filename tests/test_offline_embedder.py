"""The offline simulator's embedder: offline loading, caching, batch-independent vectors, shared passes."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from rlver.errors import SimulatorError
from rlver.simulator.offline.embedder import EMBEDDING_DIM, Embedder, get_embedder, locate_model_dir


def test_model_folder_is_found_inside_the_wheel():
    folder = locate_model_dir()
    assert (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))
    with pytest.raises(SimulatorError, match="pip"):
        locate_model_dir("no_such_package_for_rlver_tests")


def test_vectors_are_unit_length_cached_and_independent_of_the_batch():
    embedder = Embedder(get_embedder().model_dir, cache_size=8)
    alone = embedder.embed(["That sounds exhausting."])
    assert alone.shape == (1, EMBEDDING_DIM)
    assert np.linalg.norm(alone[0]) == pytest.approx(1.0, abs=1e-5)
    calls = embedder.forward_calls
    assert np.array_equal(embedder.embed(["That sounds exhausting."]), alone)
    assert embedder.forward_calls == calls  # served from the cache
    embedder.clear_cache()
    batch = embedder.embed(
        ["A much longer sentence, with many more tokens in it than the first.", "That sounds exhausting."]
    )
    assert np.array_equal(batch[1], alone[0])  # bit-identical whatever shares the batch
    similar = embedder.embed(["I'm so tired of all this.", "You must be worn out."])
    assert float(similar[0] @ similar[1]) > float(
        similar[0] @ embedder.embed(["The train leaves at nine."])[0]
    )


def test_lru_cache_is_bounded():
    embedder = Embedder(get_embedder().model_dir, cache_size=2)
    embedder.embed(["one.", "two.", "three."])
    assert len(embedder._cache) == 2


async def test_concurrent_requests_share_one_forward_pass():
    embedder = Embedder(get_embedder().model_dir)
    embedder.embed(["warm up the model."])
    calls = embedder.forward_calls
    texts = [[f"Sentence number {i}.", "Shared sentence."] for i in range(6)]
    results = await asyncio.gather(*(embedder.embed_async(t) for t in texts))
    assert embedder.forward_calls == calls + 1  # one padding bucket, one pass for all six callers
    for t, vectors in zip(texts, results):
        assert np.array_equal(vectors, embedder.embed(t))


async def test_a_broken_model_folder_fails_loudly_instead_of_hanging(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    embedder = Embedder(tmp_path)
    with pytest.raises(SimulatorError, match="could not load"):
        await asyncio.wait_for(embedder.embed_async(["hello there."]), timeout=60)
