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
