"""rlver.llm: chat types, the OpenAI-compatible HTTP client and its response cache."""

from rlver.llm.cache import ResponseCache
from rlver.llm.client import ClientConfig, ClientStats, OpenAIChatClient
from rlver.llm.types import ChatClient, Message, Role, SamplingParams

__all__ = [
    "ChatClient",
    "ClientConfig",
    "ClientStats",
    "Message",
    "OpenAIChatClient",
    "ResponseCache",
    "Role",
    "SamplingParams",
]
