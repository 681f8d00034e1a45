"""A policy served by any OpenAI-compatible endpoint: benchmark API models against the simulated user.

Text only (``token_exact = False``), so it can be evaluated but not trained. Nothing is batched
here: every request is sent at once (all requests of one ``generate`` call concurrently), and the
rollout loop calls ``generate`` once per dialogue, so each dialogue's request leaves the moment its
simulator step returns and an endpoint failure ends only that dialogue. The client's semaphore
(``ClientConfig.max_concurrency``) bounds what actually reaches the server.

Sampling is reproducible: unless disabled, each request's ``seed`` is derived from the base seed,
the dialogue key and the turn number, so two rollouts of the same profile (different keys) sample
different replies while a rerun of the same dialogue asks for exactly the same completion, which the
response cache (or a seed-honouring endpoint) then answers identically.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rlver.errors import LLMError, PolicyError
from rlver.llm.client import ClientConfig, OpenAIChatClient
from rlver.llm.types import ChatClient, SamplingParams
from rlver.policy.base import PolicyRequest
from rlver.utils.seeding import derive_seed31

__all__ = ["DEFAULT_POLICY_SAMPLING", "OpenAIPolicy", "request_seed"]

DEFAULT_POLICY_SAMPLING = SamplingParams(temperature=0.7, seed=0, max_tokens=1024)
"""Policy default: some diversity (the simulator, not the policy, is the one kept greedy)."""


def request_seed(base_seed: int, key: str, turn: int) -> int:
    """A stable 31-bit seed for dialogue ``key`` at ``turn`` (same inputs → same seed, across runs).

    >>> request_seed(0, "p1-s0-g0", 1) == request_seed(0, "p1-s0-g0", 1)
    True
    >>> request_seed(0, "p1-s0-g0", 1) != request_seed(0, "p1-s0-g1", 1)
    True
    """
    return derive_seed31(base_seed, "policy", key, turn)


class OpenAIPolicy:
    """Implements :class:`rlver.policy.base.Policy` over a :class:`~rlver.llm.types.ChatClient`."""

    token_exact = False

    def __init__(
        self,
        client: ChatClient,
        *,
        sampling: SamplingParams | None = None,
        temperature: float | None = None,
        seed_per_dialogue: bool = True,
        name: str | None = None,
    ) -> None:
        """``sampling`` defaults to :data:`DEFAULT_POLICY_SAMPLING`; ``temperature`` overrides its
        temperature. With ``seed_per_dialogue`` each request gets :func:`request_seed` of the base
        seed (a ``None`` base seed sends no seed at all)."""
        sampling = sampling or DEFAULT_POLICY_SAMPLING
        if temperature is not None:
            sampling = replace(sampling, temperature=temperature)
        self.client = client
        self.sampling = sampling
        self.seed_per_dialogue = seed_per_dialogue
        self.name = name or f"openai:{client.model}"

    @classmethod
    def from_config(cls, config: ClientConfig, **kwargs: Any) -> OpenAIPolicy:
        """A policy with its own :class:`OpenAIChatClient`; close it with :meth:`aclose`."""
        return cls(OpenAIChatClient(config), **kwargs)

    def __repr__(self) -> str:
        return f"OpenAIPolicy(name={self.name!r}, temperature={self.sampling.temperature})"

    async def aclose(self) -> None:
        """Close the underlying client if it has connections to close."""
        close = getattr(self.client, "aclose", None)
        if close is not None:
            await close()

    async def __aenter__(self) -> OpenAIPolicy:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def params_for(self, request: PolicyRequest) -> SamplingParams:
        """Sampling for one request (its derived seed, when enabled)."""
        if not self.seed_per_dialogue or self.sampling.seed is None:
            return self.sampling
        turn = sum(1 for m in request.messages if m.role == "assistant") + 1
        return replace(self.sampling, seed=request_seed(self.sampling.seed, request.key, turn))

    async def generate(self, requests: Sequence[PolicyRequest]) -> list[str]:
        """One raw reply per request, in order. Raises :class:`PolicyError` if any request failed."""
        calls = [self.client.chat(r.messages, self.params_for(r)) for r in requests]
        # return_exceptions: let every call finish (no orphaned requests) before reporting failures.
        results = await asyncio.gather(*calls, return_exceptions=True)
        replies: list[str] = []
        failed: list[tuple[str, LLMError]] = []
        for request, result in zip(requests, results):
            if isinstance(result, LLMError):
                failed.append((request.key, result))
            elif isinstance(result, BaseException):
                raise result  # a bug or a cancellation, not an endpoint failure: do not disguise it
            else:
                replies.append(result)
        if failed:
            key, first = failed[0]
            raise PolicyError(
                f"policy {self.name} failed on {len(failed)} of {len(requests)} requests; first ({key}): {first}"
            ) from first
        return replies
