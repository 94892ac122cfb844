"""Work-queue metrics under the exact names, labels and buckets controller-runtime exports.

Existing dashboards and alerts for Go controllers (kubebuilder's Grafana boards, queue-depth alerts)
then work on Shoal controllers unchanged. The families are defined once per registry
(:class:`WorkqueueMetrics`); each named queue records through a :class:`QueueMetrics` whose label
children are bound up front, so the cost per add/get/done is a few counter increments.

Semantics follow client-go: an add that is deduplicated is not counted; ``queue_duration`` runs from
the first counted add to the get; ``work_duration`` from the get to ``done``; ``retries`` counts every
``add_after``/rate-limited add. The two "unfinished work" gauges are computed when scraped, not by a
periodic task. Children are plain numbers rendered at scrape time (:mod:`._values`), so recording
takes no lock.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from prometheus_client import CollectorRegistry

from ._registry import families
from ._values import GaugeValue, counter_family, gauge_family, histogram_family

#: client-go's ``ExponentialBuckets(10e-9, 10, 12)``: 10 ns to 1000 s.
QUEUE_BUCKETS: tuple[float, ...] = (
    1e-08,
    1e-07,
    1e-06,
    1e-05,
    1e-04,
    1e-03,
    1e-02,
    1e-01,
    1.0,
    10.0,
    100.0,
    1000.0,
)

#: The ``priority`` label takes at most this many values per queue; later ones share one overflow value.
MAX_PRIORITY_LABELS = 25
PRIORITY_OVERFLOW_LABEL = "exceeded_cardinality_limit"

_LABELS = ("name", "controller")


class WorkqueueMetrics:
    """The ``workqueue_*`` metric families of one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.depth = gauge_family(
            "workqueue_depth",
            "Items waiting in the work queue for a worker, by queue and priority.",
            (*_LABELS, "priority"),
            registry,
        )
        self.adds = counter_family(
            "workqueue_adds_total", "Items added to the work queue.", _LABELS, registry
        )
        self.queue_duration = histogram_family(
            "workqueue_queue_duration_seconds",
            "Seconds an item waits in the work queue before a worker takes it.",
            _LABELS,
            QUEUE_BUCKETS,
            registry,
        )
        self.work_duration = histogram_family(
            "workqueue_work_duration_seconds",
            "Seconds a worker spends on an item.",
            _LABELS,
            QUEUE_BUCKETS,
            registry,
        )
        self.unfinished_work = gauge_family(
            "workqueue_unfinished_work_seconds",
            "Sum of the ages of the items workers hold; a large value means a stuck worker.",
            _LABELS,
            registry,
        )
        self.longest_running_processor = gauge_family(
            "workqueue_longest_running_processor_seconds",
            "Age of the item a worker has held the longest.",
            _LABELS,
            registry,
        )
        self.retries = counter_family(
            "workqueue_retries_total",
            "Items added back to the work queue with a delay (retries and requeues after a delay).",
            _LABELS,
            registry,
        )

    def for_queue(self, name: str, controller: str, now: Callable[[], float]) -> QueueMetrics:
        """A recorder for the queue ``name`` of ``controller``, timing with ``now``."""
        return QueueMetrics(self, name, controller, now)


def workqueue_metrics(registry: CollectorRegistry | None = None) -> WorkqueueMetrics:
    """The work-queue families of ``registry`` (default: Shoal's registry)."""
    return families(registry, WorkqueueMetrics)


class QueueMetrics:
    """Records one queue's activity; the queue calls it on every counted add, get, done and retry."""

    __slots__ = (
        "_added_at",
        "_adds",
        "_controller",
        "_depth_by_priority",
        "_families",
        "_name",
        "_now",
        "_queue_duration",
        "_retries",
        "_started",
        "_work_duration",
    )

    def __init__(
        self, families: WorkqueueMetrics, name: str, controller: str, now: Callable[[], float]
    ) -> None:
        self._families = families
        self._name = name
        self._controller = controller
        self._now = now
        self._adds = families.adds.labels(name, controller)
        self._retries = families.retries.labels(name, controller)
        self._queue_duration = families.queue_duration.labels(name, controller)
        self._work_duration = families.work_duration.labels(name, controller)
        self._depth_by_priority: dict[int, GaugeValue] = {}
        self._added_at: dict[Hashable, float] = {}
        self._started: dict[Hashable, float] = {}
        families.unfinished_work.labels(name, controller).set_function(self.unfinished_work_seconds)
        families.longest_running_processor.labels(name, controller).set_function(
            self.longest_running_processor_seconds
        )

    def _depth(self, priority: int) -> GaugeValue:
        child = self._depth_by_priority.get(priority)
        if child is None:
            label = str(priority) if len(self._depth_by_priority) < MAX_PRIORITY_LABELS else None
            child = self._families.depth.labels(
                self._name, self._controller, label or PRIORITY_OVERFLOW_LABEL
            )
            self._depth_by_priority[priority] = child
        return child

    def add(self, item: Hashable, priority: int, now: float | None = None) -> None:
        """A new item joined the queue (not a deduplicated add) at ``now`` (default: the clock's)."""
        self._adds.value += 1
        self._depth(priority).value += 1
        added_at = self._added_at
        if item not in added_at:
            added_at[item] = self._now() if now is None else now

    def reprioritize(self, old: int, new: int) -> None:
        """A queued item moved from priority ``old`` to ``new``."""
        self._depth(old).value -= 1
        self._depth(new).value += 1

    def get(self, item: Hashable, priority: int, now: float | None = None) -> None:
        """A worker took ``item`` at ``now`` (default: the clock's)."""
        if now is None:
            now = self._now()
        self._depth(priority).value -= 1
        added = self._added_at.pop(item, None)
        if added is not None:
            self._queue_duration.observe(now - added)
        self._started[item] = now

    def done(self, item: Hashable) -> None:
        """A worker finished ``item``."""
        started = self._started.pop(item, None)
        if started is not None:
            self._work_duration.observe(self._now() - started)

    def retry(self) -> None:
        """An item was added with a delay."""
        self._retries.value += 1

    def unfinished_work_seconds(self) -> float:
        """Sum of the ages of the items being processed."""
        now = self._now()
        return sum(now - started for started in self._started.values())

    def longest_running_processor_seconds(self) -> float:
        """Age of the oldest item being processed."""
        if not self._started:
            return 0.0
        return self._now() - min(self._started.values())
