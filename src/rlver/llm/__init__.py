"""rlver.llm: chat types, the OpenAI-compatible HTTP client and its response cache."""

from rlver.utils.lazy import lazy_exports


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

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "rlver.llm.cache": ["ResponseCache"],
        "rlver.llm.client": ["ClientConfig", "ClientStats", "OpenAIChatClient"],
        "rlver.llm.types": ["ChatClient", "Message", "Role", "SamplingParams"],
    },
)
