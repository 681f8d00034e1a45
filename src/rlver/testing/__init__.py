"""Test utilities that users may want too: a scripted local OpenAI-compatible server."""

from rlver.testing.stub_server import StubChatServer, StubResponse

__all__ = ["StubChatServer", "StubResponse"]
