"""A batching queue in front of a batched model call: requests of concurrent callers share a batch.

The dialogue loop calls a policy once per dialogue, as soon as that dialogue is ready, so a local
model would otherwise see batches of one. Requests wait here until ``max_batch`` of them are queued
or the oldest has waited ``max_wait`` seconds, then run as one batch. One batch runs at a time (the
model is busy anyway): requests that arrive meanwhile form the next batch, which starts the moment
the current one ends, so a busy model never waits for stragglers.

Lifecycle: the worker task exists only while requests are queued and ends in the same event-loop
step that resolves the last batch. A caller that is cancelled (or whose batch failed) withdraws its
queued requests; when nobody is left waiting it cancels the worker and waits for it, so no task
outlives its callers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rlver.errors import ConfigError

__all__ = ["RequestBatcher"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(eq=False)
class _Entry(Generic[T]):
    item: T
    future: asyncio.Future
    arrived: float  # event-loop time of submission


class RequestBatcher(Generic[T, R]):
    """Serves ``submit`` calls through ``batch_fn``, a batch at a time.

    ``batch_fn(items)`` returns one result per item, in order; an exception it raises fails every
    item of that batch (and no other).
    """

    def __init__(
        self, batch_fn: Callable[[list[T]], Awaitable[Sequence[R]]], *, max_batch: int, max_wait: float = 0.0
    ) -> None:
        if max_batch < 1:
            raise ConfigError(f"max_batch must be >= 1, got {max_batch}")
        if max_wait < 0:
            raise ConfigError(f"max_wait must be >= 0, got {max_wait}")
        self.batch_fn = batch_fn
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.batches = 0
        """Batches run so far."""
        self.items = 0
        """Items in those batches (``items / batches`` = mean batch occupancy)."""
        self._queue: deque[_Entry[T]] = deque()
        self._running: list[_Entry[T]] = []
        self._worker: asyncio.Task[None] | None = None
        self._full: asyncio.Future[None] | None = None  # set when a waiting worker's batch fills up

    @property
    def occupancy(self) -> float:
        """Mean items per batch so far (0.0 before the first batch)."""
        return self.items / self.batches if self.batches else 0.0

    async def submit(self, items: Sequence[T]) -> list[R]:
        """One result per item, in order, once the batches holding them have run."""
        if not items:
            return []
        loop = asyncio.get_running_loop()
        if self._worker is not None and self._worker.get_loop() is not loop:
            # An earlier event loop closed while this batcher was busy: its requests died with it.
            self._queue = deque(entry for entry in self._queue if entry.future.get_loop() is loop)
            self._running, self._worker, self._full = [], None, None
        now = loop.time()
        entries = [_Entry(item, loop.create_future(), now) for item in items]
        self._queue.extend(entries)
        if self._full is not None and not self._full.done() and len(self._queue) >= self.max_batch:
            self._full.set_result(None)
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._drain())
        try:
            return [await entry.future for entry in entries]
        except BaseException:
            await self._withdraw(entries)
            raise

    async def _withdraw(self, entries: list[_Entry[T]]) -> None:
        mine = {id(entry) for entry in entries}
        self._queue = deque(entry for entry in self._queue if id(entry) not in mine)
        for entry in entries:
            if not entry.future.done():
                entry.future.cancel()
        waiting = any(not entry.future.done() for entry in (*self._queue, *self._running))
        worker = self._worker
        if not waiting and worker is not None and not worker.done():
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)

    async def _drain(self) -> None:
        try:
            while self._queue:
                await self._fill()
                batch: list[_Entry[T]] = []
                while self._queue and len(batch) < self.max_batch:
                    entry = self._queue.popleft()
                    if not entry.future.done():  # skip requests withdrawn meanwhile
                        batch.append(entry)
                if batch:
                    await self._run(batch)
        except BaseException:
            # Cancelled (nobody waits any more, or the event loop is shutting down): leave no caller hanging.
            for entry in (*self._running, *self._queue):
                if not entry.future.done():
                    entry.future.cancel()
            self._running = []
            raise

    async def _fill(self) -> None:
        """Return once ``max_batch`` requests are queued or the oldest has waited ``max_wait`` seconds."""
        await asyncio.sleep(0)  # callers made ready by the same event-loop step queue up first
        if self.max_wait <= 0 or len(self._queue) >= self.max_batch or not self._queue:
            return
        loop = asyncio.get_running_loop()
        remaining = self._queue[0].arrived + self.max_wait - loop.time()
        if remaining <= 0:  # the oldest request queued while the previous batch ran: no more waiting
            return
        self._full = loop.create_future()
        try:
            await asyncio.wait([self._full], timeout=remaining)
        finally:
            self._full = None

    async def _run(self, batch: list[_Entry[T]]) -> None:
        self._running = batch  # a cancellation while it runs cancels these callers (see _drain)
        self.batches += 1
        self.items += len(batch)
        failure: Exception | None = None
        try:
            results = await self.batch_fn([entry.item for entry in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch function returned {len(results)} results for {len(batch)} items")
        # The failure belongs to this batch's callers (a bug included): later batches still run.
        except Exception as exc:  # noqa: BLE001
            failure = exc
        self._running = []
        for index, entry in enumerate(batch):
            if entry.future.done():
                continue
            if failure is not None:
                entry.future.set_exception(failure)
            else:
                entry.future.set_result(results[index])
