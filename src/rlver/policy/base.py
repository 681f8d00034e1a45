"""The policy contract: the model being trained or benchmarked.

Text policies (API models, reference policies) only return text. Token-exact policies
(:class:`rlver.policy.hf.HFPolicy`) also extend each dialogue's :class:`TokenTrace` with the exact
tokens they were fed and sampled, so training never re-tokenises decoded text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

from rlver.errors import PolicyError
from rlver.llm.types import Message
from rlver.profiles.schema import Profile

__all__ = ["TokenTrace", "PolicyRequest", "Policy"]


@dataclass
class TokenTrace:
    """One dialogue as the policy saw it, token by token.

    ``ids`` holds every token in order (system, user and template tokens, and the policy's sampled
    tokens); ``mask`` is 1 exactly on tokens the policy sampled (its replies, think blocks and
    end-of-turn tokens), 0 elsewhere; ``logprobs`` holds the sampling log-probability of each masked
    token (0.0 elsewhere).
    """

    ids: list[int] = field(default_factory=list)
    mask: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)

    def extend(self, ids: Sequence[int], *, sampled: bool, logprobs: Sequence[float] | None = None) -> None:
        self.ids.extend(int(i) for i in ids)
        self.mask.extend([1 if sampled else 0] * len(ids))
        if logprobs is None:
            self.logprobs.extend([0.0] * len(ids))
        else:
            if len(logprobs) != len(ids):
                raise ValueError("logprobs and ids differ in length")
            self.logprobs.extend(float(x) for x in logprobs)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class PolicyRequest:
    """What the policy sees for one dialogue at one turn."""

    key: str
    """Dialogue id; stable for the whole dialogue."""
    messages: list[Message]
    """System prompt (if any) followed by the conversation; the last message is the user's."""
    trace: TokenTrace | None = None
    """Token-exact state of this dialogue; token-exact policies extend it in place."""
    profile: Profile | None = None
    """The profile being simulated. Only reference policies (e.g. the oracle) may read it."""


@runtime_checkable
class Policy(Protocol):
    """Produces one reply per request. Requests of one call are batched on the model."""

    name: str
    token_exact: bool
    """True if the policy fills ``PolicyRequest.trace`` (required for training)."""

    async def generate(self, requests: Sequence[PolicyRequest]) -> list[str | PolicyError]:
        """Raw reply text per request (including any ``<think>`` block).

        A request that cannot be served gets a :class:`PolicyError` in its place: only that dialogue
        fails. Raising instead fails every dialogue of the batch.
        """
        ...
