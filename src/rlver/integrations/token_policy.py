"""The token-level policy seam: an rlver ``Policy`` whose sampling is delegated to a token generator.

A *token generator* is any async callable ``(prompt_ids, sampling) -> TokenCompletion(ids, logprobs)``:
verl's ``server_manager.generate``, vLLM, TRL's trainer model, or a local transformers model all fit
behind it (see :mod:`rlver.integrations.generators`). :class:`TokenPolicy` owns everything else and
does it exactly as :class:`rlver.policy.hf.HFPolicy` does, with the same helpers:

* turn 1 feeds ``render_ids(messages, generation_prompt=True)``; every later turn feeds only
  ``turn_delta_ids`` (template suffix + new user turn + generation prompt), never a re-render;
* sampled ids are cut after the first end-of-turn id and appended to the trace with mask 1 and
  their log-probs; a reply cut by its budget gets the eos id appended with mask 0;
* the reply text is the sampled ids decoded with special tokens dropped and think tags kept.

So the native trainer, the verl agent loop and the TRL rollout function produce identical tokens
and masks for identical samples. Sampling knobs (temperature, top-p) belong to the generator; the
policy only decides *how many* tokens each reply may have.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

from rlver.errors import ConfigError, PolicyError
from rlver.policy.base import PolicyRequest
from rlver.policy.hf import GenerationStats, render_ids, turn_delta_ids
from rlver.policy.think import THINK_CLOSE, THINK_OPEN

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

    Requests of one ``generate`` call are sent to the generator concurrently (a batching generator
    turns them into one model batch). Use one instance per rollout batch: it remembers each
    dialogue's first-prompt length to enforce ``max_response_tokens``.
    """

    token_exact = True

    def __init__(
        self,
        generator: TokenGenerator,
        tokenizer,
        settings: TokenPolicySettings | None = None,
        *,
        name: str = "tokens",
        end_of_turn_ids: Sequence[int] = (),
    ) -> None:
        if tokenizer.chat_template is None:
            raise ConfigError("the tokenizer has no chat template")
        if tokenizer.eos_token_id is None:
            raise ConfigError("the tokenizer has no eos token (the end-of-turn token)")
        self.generator = generator
        self.tokenizer = tokenizer
        self.settings = settings or TokenPolicySettings()
        self.name = name
        self.eos_id = int(tokenizer.eos_token_id)
        self.end_of_turn_ids = {self.eos_id, *(int(i) for i in end_of_turn_ids)}
        # Same rule as HFPolicy.decode: special tokens are hidden, think tags are kept.
        think_ids = {tokenizer.convert_tokens_to_ids(t) for t in (THINK_OPEN, THINK_CLOSE)}
        special = {int(i) for i, t in tokenizer.added_tokens_decoder.items() if t.special}
        self._hidden_ids = (special | set(tokenizer.all_special_ids)) - think_ids
        self._prompt_lengths: dict[str, int] = {}
        self.stats = GenerationStats()

    # -- prompts ---------------------------------------------------------------------------------

    def prompt_delta(self, request: PolicyRequest) -> list[int]:
        """Ids to feed before sampling: the full render on turn 1, the template delta afterwards."""
        trace = request.trace
        if trace is None or len(trace) == 0:
            return render_ids(self.tokenizer, request.messages, generation_prompt=True)
        if trace.ids[-1] not in self.end_of_turn_ids:
            raise PolicyError(f"dialogue {request.key}: trace does not end with an end-of-turn token")
        return turn_delta_ids(self.tokenizer, request.messages, self.end_of_turn_ids)

    def decode(self, ids: Sequence[int]) -> str:
        """Reply text: special tokens dropped, ``<think>``/``</think>`` kept."""
        return self.tokenizer.decode([i for i in ids if i not in self._hidden_ids], skip_special_tokens=False)

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
        budget = settings.max_new_tokens
        # One position stays free for the eos id appended when a reply is cut.
        if settings.max_context_tokens is not None:
            budget = min(budget, settings.max_context_tokens - len(prompt) - 1)
        if settings.max_response_tokens is not None:
            used = len(prompt) - self._prompt_lengths.get(request.key, len(prompt))
            budget = min(budget, settings.max_response_tokens - used - 1)
        if budget < 1:
            raise PolicyError(
                f"dialogue {request.key}: no token budget left after {len(prompt)} tokens "
                f"(max_response_tokens={settings.max_response_tokens}, "
                f"max_context_tokens={settings.max_context_tokens}); raise them or lower the turn limit"
            )
        return budget

    # -- generation ------------------------------------------------------------------------------

    async def generate(self, requests: Sequence[PolicyRequest]) -> list[str]:
        if not requests:
            return []
        deltas, prompts, samplings = [], [], []
        for request in requests:
            first_turn = request.trace is None or len(request.trace) == 0
            delta = self.prompt_delta(request)
            prompt = (request.trace.ids if request.trace is not None else []) + delta
            budget = self._budget(request, prompt, first_turn)
            deltas.append(delta)
            prompts.append(prompt)
            samplings.append(TokenSampling(budget, tuple(sorted(self.end_of_turn_ids)), request.key))
        start = time.perf_counter()
        completions = await asyncio.gather(*(self.generator(p, s) for p, s in zip(prompts, samplings)))
        self.stats.seconds += time.perf_counter() - start
        self.stats.calls += 1
        texts = []
        for request, delta, sampling, completion in zip(requests, deltas, samplings, completions):
            ids, logprobs, ended = self._cut(completion, sampling.max_new_tokens)
            self.stats.replies += 1
            self.stats.sampled_tokens += len(ids)
            self.stats.cut_replies += not ended
            if request.trace is not None:
                request.trace.extend(delta, sampled=False)
                request.trace.extend(ids, sampled=True, logprobs=logprobs)
                if not ended:
                    request.trace.extend([self.eos_id], sampled=False)
            texts.append(self.decode(ids))
        return texts

    def _cut(self, completion: TokenCompletion, budget: int) -> tuple[list[int], list[float] | None, bool]:
        """Ids up to and including the first end-of-turn id, within the budget (as HFPolicy cuts)."""
        ids = [int(i) for i in completion.ids][:budget]
        logprobs = None if completion.logprobs is None else [float(x) for x in completion.logprobs]
        if logprobs is not None and len(logprobs) < len(ids):
            raise PolicyError(f"the generator returned {len(logprobs)} log-probs for {len(ids)} tokens")
        stop = next((k for k, token in enumerate(ids) if token in self.end_of_turn_ids), None)
        end = len(ids) if stop is None else stop + 1
        return ids[:end], None if logprobs is None else logprobs[:end], stop is not None
