"""Token generators for :class:`~rlver.integrations.token_policy.TokenPolicy`.

* :class:`BatchingGenerator` turns a batch function into the per-request seam: requests that arrive
  while the event loop is busy are sampled together, one batch at a time.
* :class:`HFTokenGenerator` samples with a transformers model through :class:`HFPolicy`'s own
  sampler, so its ids and log-probs are exactly what the native trainer would sample (the
  equivalence tests rely on this). It serves TRL on CPU and tests.

verl's server manager and vLLM generators live in ``verl_agent_loop`` and ``vllm_policy``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from rlver.errors import ConfigError
from rlver.integrations.token_policy import TokenCompletion, TokenSampling
from rlver.policy.hf import HFPolicy

__all__ = ["BatchFn", "BatchingGenerator", "HFTokenGenerator"]

BatchFn = Callable[[list[list[int]], list[TokenSampling]], Awaitable[list[TokenCompletion]]]
"""Samples one completion per prompt, in order."""


@dataclass
class _Pending:
    prompt_ids: list[int]
    sampling: TokenSampling
    future: asyncio.Future


class BatchingGenerator:
    """Per-request generator over a batch function; one batch in flight at a time.

    A request waits until the current batch finishes, then joins every request that queued
    meanwhile (up to ``max_batch``). Dialogues advanced in the same event-loop step therefore share
    one model call, as in :func:`rlver.rollout.run_dialogues`.
    """

    def __init__(self, batch_fn: BatchFn, *, max_batch: int = 64) -> None:
        if max_batch < 1:
            raise ConfigError(f"max_batch must be >= 1, got {max_batch}")
        self.batch_fn = batch_fn
        self.max_batch = max_batch
        self.batches = 0
        """Batch calls made so far (a measure of how well requests were grouped)."""
        self._queue: list[_Pending] = []
        self._worker: asyncio.Task | None = None

    async def __call__(self, prompt_ids: list[int], sampling: TokenSampling) -> TokenCompletion:
        future = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(list(prompt_ids), sampling, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # let every dialogue that is ready this step queue its request
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            self.batches += 1
            try:
                outs = await self.batch_fn([p.prompt_ids for p in batch], [p.sampling for p in batch])
                if len(outs) != len(batch):
                    raise RuntimeError(f"batch function returned {len(outs)} completions for {len(batch)} prompts")
            except BaseException as exc:  # hand the failure to every waiting caller, then stop
                for pending in batch + self._queue:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                self._queue = []
                if not isinstance(exc, Exception):
                    raise
                return
            for pending, out in zip(batch, outs):
                if not pending.future.done():
                    pending.future.set_result(out)


class HFTokenGenerator(BatchingGenerator):
    """Samples with ``policy``'s model, settings and seeding (temperature, top-p, per-call seeds).

    Budgets come from each request's :class:`TokenSampling`; everything else from the
    :class:`HFPolicy`. The end-of-turn ids must match the :class:`TokenPolicy`'s.
    """

    def __init__(self, policy: HFPolicy, *, max_batch: int | None = None) -> None:
        super().__init__(self._sample, max_batch=max_batch or policy.settings.batch_size)
        self.policy = policy

    async def _sample(self, prompts: list[list[int]], samplings: list[TokenSampling]) -> list[TokenCompletion]:
        budgets = [s.max_new_tokens for s in samplings]
        # HFPolicy's own sampler, the very code path of the native trainer: seeded per call,
        # log-probs of the sampled tokens under the sampling temperature, ids cut after end-of-turn.
        sampled = await asyncio.to_thread(self.policy.sample, prompts, budgets)
        return [TokenCompletion(list(s.ids), list(s.logprobs)) for s in sampled]

    @property
    def end_of_turn_ids(self) -> Sequence[int]:
        return sorted(self.policy.end_of_turn_ids)
