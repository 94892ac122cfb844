"""The queue against a model, under random interleavings of add, add_all, add_after, get, done and time.

Invariant 1: an item handed to a worker is not handed out again before ``done``; an add during
processing is deferred, never dropped. Invariant 2: every added item is eventually processed (the
teardown drains the queue and checks that exactly the owed items come out).
"""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from shoal.workqueue import FakeClock, ItemExponentialFailureRateLimiter, Priority, WorkQueue

ITEMS = st.sampled_from(["a", "b", "c", "d", "e"])
PRIORITIES = st.sampled_from([Priority.LOW, Priority.HIGH, 10])
AGING = 3.0


class QueueModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.queue: WorkQueue[str] = WorkQueue(
            clock=self.clock,
            rate_limiter=ItemExponentialFailureRateLimiter(1.0, 8.0),
            aging_threshold=AGING,
        )
        self.dirty: dict[str, int] = {}  # owed, not waiting: item -> priority
        self.ready_since: dict[str, float] = {}  # dirty and not processing
        self.processing: set[str] = set()
        self.waiting: dict[str, tuple[float, int]] = {}  # item -> (deadline, priority)
        self.failures: dict[str, int] = {}

    def _model_add(self, item: str, priority: int) -> None:
        if item in self.waiting:
            priority = max(priority, self.waiting.pop(item)[1])
        self.dirty[item] = max(priority, self.dirty.get(item, priority))
        if item not in self.processing:
            self.ready_since.setdefault(item, self.clock.now())

    def _model_add_after(self, item: str, delay: float, priority: int) -> None:
        if delay <= 0 or item in self.dirty:
            self._model_add(item, priority)
            return
        deadline = self.clock.now() + delay
        old = self.waiting.get(item)
        if old is None:
            self.waiting[item] = (deadline, priority)
        else:
            self.waiting[item] = (min(old[0], deadline), max(old[1], priority))

    @rule(item=ITEMS, priority=PRIORITIES)
    def add(self, item: str, priority: int) -> None:
        self.queue.add(item, priority)
        self._model_add(item, priority)

    @rule(items=st.lists(ITEMS, max_size=4), priority=PRIORITIES)
    def add_all(self, items: list[str], priority: int) -> None:
        self.queue.add_all(items, priority)
        for item in items:
            self._model_add(item, priority)

    @rule(item=ITEMS, delay=st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.5, 4.0]), priority=PRIORITIES)
    def add_after(self, item: str, delay: float, priority: int) -> None:
        self.queue.add_after(item, delay, priority)
        self._model_add_after(item, delay, priority)

    @rule(item=ITEMS)
    def add_rate_limited(self, item: str) -> None:
        failures = self.failures.get(item, 0)
        self.failures[item] = failures + 1
        delay = min(2.0**failures, 8.0)
        self.queue.add_rate_limited(item)
        assert self.queue.num_requeues(item) == failures + 1
        self._model_add_after(item, delay, Priority.HIGH)

    @rule(item=ITEMS)
    def forget(self, item: str) -> None:
        self.queue.forget(item)
        self.failures.pop(item, None)
        assert self.queue.num_requeues(item) == 0

    @rule(seconds=st.sampled_from([0.25, 1.0, 3.0]))
    def advance(self, seconds: float) -> None:
        target = self.clock.now() + seconds
        for item, (deadline, priority) in sorted(self.waiting.items(), key=lambda kv: kv[1][0]):
            if deadline <= target:
                self.clock.advance(deadline - self.clock.now())
                del self.waiting[item]
                self._model_add(item, priority)
        self.clock.advance(target - self.clock.now())

    @precondition(lambda self: bool(self.ready_since))
    @rule()
    def get(self) -> None:
        now = self.clock.now()
        item, priority = self.loop.run_until_complete(self.queue.get_with_priority())
        assert item not in self.processing, "handed to two workers"
        assert item in self.ready_since
        assert priority == self.dirty[item]
        top = max(self.dirty[ready] for ready in self.ready_since)
        overdue = now - self.ready_since[item] >= AGING
        assert priority == top or overdue
        del self.dirty[item]
        del self.ready_since[item]
        self.processing.add(item)

    @precondition(lambda self: bool(self.processing))
    @rule(data=st.data())
    def done(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(sorted(self.processing)))
        self.queue.done(item)
        self.processing.remove(item)
        if item in self.dirty:
            self.ready_since[item] = self.clock.now()

    @invariant()
    def counts_match(self) -> None:
        stats = self.queue.statistics()
        assert stats.depth == len(self.queue) == len(self.dirty)
        assert stats.processing == len(self.processing)
        assert stats.waiting == len(self.waiting)

    def teardown(self) -> None:
        try:
            for item in sorted(self.processing):
                self.queue.done(item)
            owed = set(self.dirty) | set(self.waiting)
            self.clock.advance(1000.0)
            processed = set()
            while len(self.queue):
                item = self.loop.run_until_complete(self.queue.get())
                assert item not in processed
                processed.add(item)
                self.queue.done(item)
            assert processed == owed, "an added item was never processed"
        finally:
            self.loop.close()


QueueModel.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestQueueModel = QueueModel.TestCase
