"""Shared fixtures. Tests never touch the network: HTTP goes to local stub servers only."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def stub_server():
    """Factory: ``with stub_server(responder, latency=0.0) as server: server.base_url``."""
    from rlver.testing import StubChatServer

    return StubChatServer


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tiny models run fastest on one thread, and CI machines have two cores shared with servers."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(int(os.environ.get("RLVER_TEST_THREADS", "1")))
    yield
    torch.set_num_threads(previous)
