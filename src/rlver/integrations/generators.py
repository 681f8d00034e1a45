"""Token generators for :class:`~rlver.integrations.token_policy.TokenPolicy`.

* :class:`BatchingGenerator` turns a batch function into the per-request seam: requests of
  concurrent dialogues queue (``rlver.policy.batching.RequestBatcher``) and are sampled together,
  one batch at a time; a batch starts once ``max_batch`` are queued or the oldest has waited
  ``max_wait`` seconds.
* :class:`HFTokenGenerator` samples with a transformers model through :class:`HFPolicy`'s own
  sampler, seeded per dialogue and turn, so its ids and log-probs are exactly what the native
  trainer would sample (the equivalence tests rely on this). It serves TRL on CPU and tests.

verl's server manager and vLLM generators live in ``verl_agent_loop`` and ``vllm_policy``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from rlver.integrations.token_policy import TokenCompletion, TokenSampling
from rlver.models.sampling import row_seed
from rlver.policy.batching import RequestBatcher
from rlver.policy.hf import HFPolicy

__all__ = ["BatchFn", "BatchingGenerator", "HFTokenGenerator"]

BatchFn = Callable[[list[list[int]], list[TokenSampling]], Awaitable[list[TokenCompletion]]]
"""Samples one completion per prompt, in order."""


class BatchingGenerator:
    """Per-request generator over a batch function; one batch in flight at a time.

    Requests queue while a batch runs and form the next one (up to ``max_batch``). An idle
    generator starts a batch once ``max_batch`` requests are queued or the oldest has waited
    ``max_wait`` seconds (0 = as soon as the requests made ready by the current event-loop step
    have queued). A failing batch fails its own requests only.
    """

    def __init__(self, batch_fn: BatchFn, *, max_batch: int = 64, max_wait: float = 0.0) -> None:
        self.batch_fn = batch_fn
        self.max_batch = max_batch
        self._batcher: RequestBatcher[tuple[list[int], TokenSampling], TokenCompletion] = RequestBatcher(
            self._run, max_batch=max_batch, max_wait=max_wait
        )

    @property
    def batches(self) -> int:
        """Batch calls made so far (a measure of how well requests were grouped)."""
        return self._batcher.batches

    @property
    def occupancy(self) -> float:
        """Mean requests per batch call so far."""
        return self._batcher.occupancy

    async def __call__(self, prompt_ids: list[int], sampling: TokenSampling) -> TokenCompletion:
        (completion,) = await self._batcher.submit([(list(prompt_ids), sampling)])
        return completion

    async def _run(self, items: list[tuple[list[int], TokenSampling]]) -> list[TokenCompletion]:
        return await self.batch_fn([prompt for prompt, _ in items], [sampling for _, sampling in items])


class HFTokenGenerator(BatchingGenerator):
    """Samples with ``policy``'s model, settings and seeding (temperature, top-p, per-reply seeds).

    Budgets come from each request's :class:`TokenSampling`; everything else from the
    :class:`HFPolicy` (batch size and wait included). The end-of-turn ids must match the
    :class:`TokenPolicy`'s.
    """

    def __init__(self, policy: HFPolicy, *, max_batch: int | None = None, max_wait: float | None = None) -> None:
        super().__init__(
            self._sample,
            max_batch=max_batch or policy.settings.batch_size,
            max_wait=policy.settings.batch_wait if max_wait is None else max_wait,
        )
        self.policy = policy

    async def _sample(self, prompts: list[list[int]], samplings: list[TokenSampling]) -> list[TokenCompletion]:
        budgets = [s.max_new_tokens for s in samplings]
        seed = self.policy.settings.seed
        # Seeded as HFPolicy.generate seeds the same dialogue and turn, so the two sample alike; a
        # request without a turn (a bare seam caller) uses its prompt length, which grows every turn.
        seeds = None if seed is None else [
            row_seed(seed, s.key, s.turn if s.turn is not None else len(p)) for p, s in zip(prompts, samplings)
        ]
        # HFPolicy's own sampler, the very code path of the native trainer: log-probs of the sampled
        # tokens under the sampling temperature, ids cut after end-of-turn.
        sampled = await asyncio.to_thread(self.policy.sample, prompts, budgets, seeds)
        return [TokenCompletion(list(s.ids), list(s.logprobs)) for s in sampled]

    @property
    def end_of_turn_ids(self) -> Sequence[int]:
        return sorted(self.policy.end_of_turn_ids)
