"""RequestBatcher: concurrent callers share batches, one batch at a time, and no task outlives them."""

from __future__ import annotations

import asyncio

import pytest

from rlver.errors import ConfigError
from rlver.policy.batching import RequestBatcher


class Model:
    """A batch function that records its batches; ``hold`` keeps a batch running until released."""

    def __init__(self, *, hold: bool = False, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.hold = hold
        self.fail_on = fail_on

    async def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        self.started.set()
        if self.hold:
            await self.release.wait()
        if self.fail_on in items:
            raise RuntimeError("engine down")
        return [item * 10 for item in items]


async def test_concurrent_callers_share_a_batch_up_to_max_batch():
    model = Model()
    batcher = RequestBatcher(model, max_batch=3)
    outs = await asyncio.gather(*(batcher.submit([i]) for i in range(5)), batcher.submit([5, 6]))
    assert outs == [[0], [10], [20], [30], [40], [50, 60]]
    assert model.batches == [[0, 1, 2], [3, 4, 5], [6]]  # first come, first served
    assert (batcher.batches, batcher.items, batcher.occupancy) == (3, 7, 7 / 3)


async def test_requests_arriving_during_a_batch_form_the_next_one():
    model = Model(hold=True)
    batcher = RequestBatcher(model, max_batch=8)
    first = asyncio.create_task(batcher.submit([1]))
    await model.started.wait()
    later = [asyncio.create_task(batcher.submit([i])) for i in (2, 3)]
    await asyncio.sleep(0)
    model.release.set()
    assert await first == [10] and [await t for t in later] == [[20], [30]]
    assert model.batches == [[1], [2, 3]]


async def test_an_idle_batcher_waits_for_a_full_batch_but_not_longer():
    model = Model()
    batcher = RequestBatcher(model, max_batch=2, max_wait=3600.0)
    first = asyncio.create_task(batcher.submit([1]))
    for _ in range(5):
        await asyncio.sleep(0)
    assert model.batches == []  # still waiting for a second request
    assert await batcher.submit([2]) == [20] and await first == [10]  # a full batch starts at once
    assert model.batches == [[1, 2]]

    eager = Model()
    batcher = RequestBatcher(eager, max_batch=2, max_wait=0.0)
    first = asyncio.create_task(batcher.submit([1]))
    for _ in range(5):
        await asyncio.sleep(0)
    assert eager.batches == [[1]]  # no wait: the requests ready in that event-loop step went alone
    await first


async def test_a_failing_batch_fails_only_its_own_requests():
    model = Model(fail_on=1)
    batcher = RequestBatcher(model, max_batch=2)
    outs = await asyncio.gather(*(batcher.submit([i]) for i in range(4)), return_exceptions=True)
    assert [type(o) for o in outs[:2]] == [RuntimeError, RuntimeError]
    assert outs[2:] == [[20], [30]]


async def test_cancelled_callers_withdraw_and_leave_no_task_behind():
    model = Model(hold=True)
    batcher = RequestBatcher(model, max_batch=1)
    before = asyncio.all_tasks()
    running = asyncio.create_task(batcher.submit([1]))
    await model.started.wait()
    queued = asyncio.create_task(batcher.submit([2]))
    await asyncio.sleep(0)
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    running.cancel()  # nobody waits any more: the worker is cancelled and awaited
    with pytest.raises(asyncio.CancelledError):
        await running
    assert asyncio.all_tasks() == before
    assert model.batches == [[1]]  # the withdrawn request never reached the model
    model.hold = False
    assert await batcher.submit([3]) == [30]  # a new worker serves later callers


def test_settings_are_checked():
    with pytest.raises(ConfigError):
        RequestBatcher(Model(), max_batch=0)
    with pytest.raises(ConfigError):
        RequestBatcher(Model(), max_batch=1, max_wait=-1)


def test_a_new_event_loop_is_served_while_an_earlier_one_holds_a_busy_worker():
    """E.g. a loop that was stopped (or closed) mid-batch: the batcher starts afresh in the new loop."""
    model = Model(hold=True)
    batcher = RequestBatcher(model, max_batch=4)
    stalled = asyncio.new_event_loop()
    try:
        task = stalled.create_task(batcher.submit([1]))
        stalled.run_until_complete(model.started.wait())  # the worker now waits inside the stalled loop
        model.hold = False
        assert asyncio.run(batcher.submit([2])) == [20]
    finally:
        model.release.set()
        stalled.run_until_complete(asyncio.gather(task, return_exceptions=True))
        stalled.close()
