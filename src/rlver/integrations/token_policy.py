"""The token-level policy seam: an rlver ``Policy`` whose sampling is delegated to a token generator.

A *token generator* is any async callable ``(prompt_ids, sampling) -> TokenCompletion(ids, logprobs)``:
verl's ``server_manager.generate``, vLLM, TRL's trainer model, or a local transformers model all fit
behind it (see :mod:`rlver.integrations.generators`). :class:`TokenPolicy` owns everything else:
the trace is built by :class:`rlver.policy.trace.TraceBuilder`, the very code
:class:`rlver.policy.hf.HFPolicy` uses (turn 1 = the chat-template render, later turns = the
template delta, sampled ids cut after the first end-of-turn id with mask 1, a budget-cut reply
closed by an unsampled eos, reply text with special tokens dropped and think tags kept).

So the native trainer, the verl agent loop and the TRL rollout function produce identical tokens
and masks for identical samples. Sampling knobs (temperature, top-p) belong to the generator; the
policy only decides *how many* tokens each reply may have.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

from rlver.errors import ConfigError, PolicyError
from rlver.policy.base import PolicyRequest
from rlver.policy.trace import GenerationStats, TraceBuilder, policy_turn, turn_budget

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

__all__ = ["TokenCompletion", "TokenGenerator", "TokenPolicy", "TokenPolicySettings", "TokenSampling"]


@dataclass(frozen=True)
class TokenSampling:
    """Per-call limits of one generation request (sampling knobs live in the generator)."""

    max_new_tokens: int
    """Most tokens the generator may return for this reply (always >= 1)."""
    stop_token_ids: tuple[int, ...]
    """End-of-turn ids: generation should stop after sampling any of them (it is kept in the output)."""
    key: str
    """Dialogue id, stable for the whole dialogue (sticky routing / prefix caching on servers)."""
    turn: int | None = None
    """Policy turn of this reply (1 = first). With ``key`` it seeds per-reply sampling noise, so a
    seeded generator samples the same whatever the batch composition. ``None``: not known."""


class TokenCompletion(NamedTuple):
    """What a generator returns: the sampled ids and, when known, their sampling log-probs."""

    ids: list[int]
    logprobs: list[float] | None = None


@runtime_checkable
class TokenGenerator(Protocol):
    """``await generator(prompt_ids, sampling) -> TokenCompletion``. Raise ``PolicyError`` on failure."""

    async def __call__(self, prompt_ids: list[int], sampling: TokenSampling) -> TokenCompletion: ...


@dataclass(frozen=True)
class TokenPolicySettings:
    """Token budgets of a :class:`TokenPolicy`."""

    max_new_tokens: int = 256
    """Most tokens sampled per reply."""
    max_prompt_tokens: int | None = None
    """Longest first prompt (system + opening + generation prompt); longer raises PolicyError.
    verl: ``data.max_prompt_length``."""
    max_response_tokens: int | None = None
    """Most tokens after the first prompt (all replies + user turns). A turn's budget shrinks to
    fit; a dialogue with no room left raises PolicyError. verl: ``data.max_response_length``;
    TRL: ``max_completion_length``."""
    max_context_tokens: int | None = None
    """Longest whole trace (``None`` = unbounded); same rule as ``max_response_tokens``."""

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ConfigError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        for name in ("max_prompt_tokens", "max_response_tokens", "max_context_tokens"):
            value = getattr(self, name)
            if value is not None and value < 2:
                raise ConfigError(f"{name} must be >= 2 or None, got {value}")


class TokenPolicy:
    """A token-exact :class:`~rlver.policy.base.Policy` over any :class:`TokenGenerator`.

    Requests of one ``generate`` call, and of concurrent calls (the rollout loop makes one per
    dialogue), are sent to the generator at once; a batching generator turns them into model
    batches. Use one instance per rollout batch: it remembers each dialogue's first-prompt length
    to enforce ``max_response_tokens``.
    """

    token_exact = True

    def __init__(
        self,
        generator: TokenGenerator,
        tokenizer: PreTrainedTokenizerBase,
        settings: TokenPolicySettings | None = None,
        *,
        name: str = "tokens",
        end_of_turn_ids: Sequence[int] = (),
    ) -> None:
        self.trace_builder = TraceBuilder(tokenizer, end_of_turn_ids)
        """The shared trace rules (prompt, cut, trace extension, reply text), as in HFPolicy."""
        self.generator = generator
        self.tokenizer = tokenizer
        self.settings = settings or TokenPolicySettings()
        self.name = name
        self._prompt_lengths: dict[str, int] = {}
        self.stats = GenerationStats()

    @property
    def eos_id(self) -> int:
        """The tokenizer's eos id (appended with mask 0 after a cut reply)."""
        return self.trace_builder.eos_id

    @property
    def end_of_turn_ids(self) -> frozenset[int]:
        """Ids that end a reply: eos and the ``end_of_turn_ids`` argument."""
        return self.trace_builder.end_of_turn_ids

    def decode(self, ids: Sequence[int]) -> str:
        """Reply text: special tokens dropped, ``<think>``/``</think>`` kept."""
        return self.trace_builder.decode(ids)

    def first_prompt_length(self, key: str) -> int | None:
        """Length of dialogue ``key``'s first prompt (``None`` before its first turn)."""
        return self._prompt_lengths.get(key)

    def _budget(self, request: PolicyRequest, prompt: list[int], first_turn: bool) -> int:
        settings = self.settings
        if first_turn:
            if settings.max_prompt_tokens is not None and len(prompt) > settings.max_prompt_tokens:
                raise PolicyError(
                    f"dialogue {request.key}: the first prompt has {len(prompt)} tokens, more than "
                    f"max_prompt_tokens={settings.max_prompt_tokens} (verl: data.max_prompt_length)"
                )
            self._prompt_lengths[request.key] = len(prompt)
        used = len(prompt) - self._prompt_lengths.get(request.key, len(prompt))
        return turn_budget(request.key, len(prompt), settings.max_new_tokens,
                           max_context_tokens=settings.max_context_tokens,
                           response_tokens=used, max_response_tokens=settings.max_response_tokens)

    # -- generation ------------------------------------------------------------------------------

    async def generate(self, requests: Sequence[PolicyRequest]) -> list[str]:
        """One reply per request, the requests sent to the generator concurrently.

        A dialogue whose budget is spent raises ``PolicyError``, which fails every request of this
        call (HFPolicy returns the error in that dialogue's place instead).
        """
        if not requests:
            return []
        stop_ids = tuple(sorted(self.end_of_turn_ids))
        deltas, prompts, samplings = [], [], []
        for request in requests:
            first_turn = request.trace is None or len(request.trace) == 0
            delta, prompt = self.trace_builder.prompt(request)
            budget = self._budget(request, prompt, first_turn)
            deltas.append(delta)
            prompts.append(prompt)
            samplings.append(TokenSampling(budget, stop_ids, request.key, policy_turn(request)))
        start = time.perf_counter()
        # return_exceptions: every call finishes (no orphaned requests) before a failure is raised.
        outcomes = await asyncio.gather(*(self.generator(p, s) for p, s in zip(prompts, samplings)),
                                        return_exceptions=True)
        self.stats.seconds += time.perf_counter() - start
        failure = next((o for o in outcomes if isinstance(o, BaseException)), None)
        if failure is not None:
            raise failure
        completions: list[TokenCompletion] = outcomes  # type: ignore[assignment]
        self.stats.calls += 1
        texts = []
        for request, delta, sampling, completion in zip(requests, deltas, samplings, completions):
            reply = self.trace_builder.cut(completion.ids, completion.logprobs, sampling.max_new_tokens)
            self.stats.count(reply)
            texts.append(self.trace_builder.record(request, delta, reply))
        return texts
