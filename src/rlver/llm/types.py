"""Plain chat types shared by every layer above ``llm``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, Sequence, runtime_checkable

__all__ = ["Role", "Message", "SamplingParams", "ChatClient"]

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: Role
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class SamplingParams:
    """Sampling settings sent with a chat request."""

    temperature: float = 0.0
    """0 = greedy. The simulator defaults to 0 so that rewards are reproducible."""
    seed: int | None = 0
    """Sent as the OpenAI ``seed`` field; endpoints that honour it sample reproducibly."""
    max_tokens: int | None = 1024
    """Upper bound on generated tokens; ``None`` lets the endpoint decide."""
    top_p: float | None = None
    """Nucleus sampling; ``None`` leaves the endpoint default."""
    stop: tuple[str, ...] = field(default=())
    """Stop strings."""


@runtime_checkable
class ChatClient(Protocol):
    """Anything that turns a list of messages into one assistant message.

    Implementations: :class:`rlver.llm.OpenAIChatClient` (HTTP), test doubles.
    """

    model: str
    """Model name, reported in benchmark summaries (e.g. ``deepseek-chat``)."""

    async def chat(self, messages: Sequence[Message], params: SamplingParams | None = None) -> str:
        """Return the assistant's reply text. Raises :class:`rlver.errors.LLMError` on failure."""
        ...
