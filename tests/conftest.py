"""Shared fixtures. Tests never touch the network: HTTP goes to local stub servers only."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


IN_CI = os.environ.get("CI") == "true"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ci_may_skip: a skip that is correct in CI too (the test's other branch)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Under CI=true a skipped test fails: a test CI is meant to run that cannot run (a missing
    dependency, no Chromium, no cached model) is a broken CI machine, not a pass. A test whose skip
    is its correct behaviour everywhere says so with ``@pytest.mark.ci_may_skip``."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail") and item.get_closest_marker("ci_may_skip") is None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run every test: {reason}"


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
