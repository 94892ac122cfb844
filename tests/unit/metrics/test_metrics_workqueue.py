"""Work-queue metrics read back from the registry after a scripted sequence."""

from __future__ import annotations

import prometheus_client
from prometheus_client import CollectorRegistry

from shoal.metrics import (
    MAX_PRIORITY_LABELS,
    PRIORITY_OVERFLOW_LABEL,
    QUEUE_BUCKETS,
    default_registry,
    workqueue_metrics,
)
from shoal.workqueue import FakeClock, Priority, WorkQueue

LABELS = {"name": "widgets", "controller": "widgets"}


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, {**LABELS, **labels})


async def test_scripted_sequence() -> None:
    registry = CollectorRegistry()
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue(name="widgets", clock=clock, registry=registry)
    queue.add("a")
    queue.add("a")  # deduplicated: not counted
    queue.add("b", Priority.LOW)
    assert value(registry, "workqueue_adds_total") == 2
    assert value(registry, "workqueue_depth", priority="0") == 1
    assert value(registry, "workqueue_depth", priority="-100") == 1

    clock.advance(2.0)
    assert await queue.get() == "a"
    assert value(registry, "workqueue_depth", priority="0") == 0
    assert value(registry, "workqueue_queue_duration_seconds_count") == 1
    assert value(registry, "workqueue_queue_duration_seconds_sum") == 2.0
    assert value(registry, "workqueue_queue_duration_seconds_bucket", le="1.0") == 0
    assert value(registry, "workqueue_queue_duration_seconds_bucket", le="10.0") == 1

    clock.advance(3.0)
    assert value(registry, "workqueue_unfinished_work_seconds") == 3.0
    assert value(registry, "workqueue_longest_running_processor_seconds") == 3.0
    queue.add("a")  # deferred while processing: counted once
    assert value(registry, "workqueue_adds_total") == 3
    assert value(registry, "workqueue_depth", priority="0") == 1
    queue.done("a")
    assert value(registry, "workqueue_work_duration_seconds_count") == 1
    assert value(registry, "workqueue_work_duration_seconds_sum") == 3.0
    assert value(registry, "workqueue_unfinished_work_seconds") == 0.0
    assert value(registry, "workqueue_longest_running_processor_seconds") == 0.0

    queue.add_after("c", 1.0)
    queue.add_rate_limited("b")  # already queued: a retry, but no new add
    queue.add("b", Priority.HIGH)  # raised: moves between depth labels
    assert value(registry, "workqueue_retries_total") == 2
    assert value(registry, "workqueue_adds_total") == 3
    assert value(registry, "workqueue_depth", priority="0") == 2
    assert value(registry, "workqueue_depth", priority="-100") == 0
    clock.advance(1.0)
    assert value(registry, "workqueue_adds_total") == 4
    assert value(registry, "workqueue_depth", priority="0") == 3
    stats = queue.statistics()
    assert (stats.adds, stats.retries, stats.depth) == (4, 2, 3)


async def test_unnamed_queue_records_nothing() -> None:
    registry = CollectorRegistry()
    queue: WorkQueue[str] = WorkQueue(registry=registry)
    queue.add("a")
    await queue.get()
    queue.done("a")
    samples = [s for family in registry.collect() for s in family.samples]
    assert samples == []


async def test_controller_label_and_buckets() -> None:
    registry = CollectorRegistry()
    queue: WorkQueue[str] = WorkQueue(name="q", controller="deployments", registry=registry)
    queue.add("a")
    labels = {"name": "q", "controller": "deployments"}
    assert registry.get_sample_value("workqueue_adds_total", labels) == 1
    bounds = [
        s.labels["le"]
        for family in registry.collect()
        if family.name == "workqueue_queue_duration_seconds"
        for s in family.samples
        if s.name.endswith("_bucket")
    ]
    assert [float(b) for b in bounds[:-1]] == list(QUEUE_BUCKETS)
    assert QUEUE_BUCKETS[0] == 1e-8
    assert QUEUE_BUCKETS[-1] == 1e3
    assert len(QUEUE_BUCKETS) == 12


async def test_priority_label_cardinality_is_capped() -> None:
    registry = CollectorRegistry()
    queue: WorkQueue[int] = WorkQueue(name="widgets", registry=registry)
    for priority in range(MAX_PRIORITY_LABELS + 5):
        queue.add(priority, priority)
    assert value(registry, "workqueue_depth", priority=str(MAX_PRIORITY_LABELS - 1)) == 1
    assert value(registry, "workqueue_depth", priority=str(MAX_PRIORITY_LABELS)) is None
    assert value(registry, "workqueue_depth", priority=PRIORITY_OVERFLOW_LABEL) == 5


def test_families_are_created_once_per_registry() -> None:
    registry = CollectorRegistry()
    assert workqueue_metrics(registry) is workqueue_metrics(registry)
    assert workqueue_metrics(registry) is not workqueue_metrics(CollectorRegistry())
    assert default_registry() is not prometheus_client.REGISTRY
    assert workqueue_metrics() is workqueue_metrics(default_registry())
