"""Metric families whose children are plain Python numbers, rendered by a collector at scrape time.

Why: a controller records about a dozen samples per reconcile (queue adds, depth up and down, queue
and work durations, reconcile result and time, active workers). ``prometheus_client``'s children take
a lock and check observability on every ``inc`` and ``observe``, which made metrics one of the largest
costs of draining a start-up backlog. Here a counter is an attribute increment and a histogram
observation is one ``bisect`` and two additions; the families turn the numbers into the same samples
(names, labels, bucket bounds, ``_created`` series) as ``prometheus_client``'s ``Counter``, ``Gauge``
and ``Histogram`` only when the registry is collected.

The values are meant to be updated from one thread (the event loop); a scrape from another thread
reads them without a lock and may see a histogram's count and sum one observation apart.
"""

from __future__ import annotations

import os
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

V = TypeVar("V", "CounterValue", "GaugeValue", "HistogramValue")


def _created_series() -> bool:
    return os.environ.get("PROMETHEUS_DISABLE_CREATED_SERIES", "False").lower() not in ("true", "1", "t")


class CounterValue:
    """A monotonically increasing count."""

    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError("counters can only be incremented by non-negative amounts")
        self.value += amount


class GaugeValue:
    """A value that goes up and down, or is computed by a function when scraped."""

    __slots__ = ("function", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.function: Callable[[], float] | None = None

    def inc(self, amount: float = 1.0) -> None:
        self.value += amount

    def dec(self, amount: float = 1.0) -> None:
        self.value -= amount

    def set(self, value: float) -> None:
        self.value = float(value)

    def set_function(self, function: Callable[[], float]) -> None:
        """Report ``function()`` when scraped instead of the stored value."""
        self.function = function

    def get(self) -> float:
        return float(self.function()) if self.function is not None else self.value


class HistogramValue:
    """Observations counted into fixed buckets (upper bounds inclusive), with their sum."""

    __slots__ = ("bounds", "counts", "created", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0
        self.created = time.time()

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value


class ValueFamily(Collector, Generic[V]):
    """One metric family: label values to children, registered in a registry as a collector."""

    def __init__(
        self,
        typ: str,
        name: str,
        documentation: str,
        labelnames: tuple[str, ...],
        make: Callable[[], V],
        registry: CollectorRegistry,
    ) -> None:
        self.typ = typ
        self.name = name.removesuffix("_total") if typ == "counter" else name
        self.documentation = documentation
        self.labelnames = labelnames
        self._make: Callable[[], V] = make
        self._children: dict[tuple[str, ...], V] = {}
        registry.register(self)

    def labels(self, *values: str) -> V:
        """The child for these label values (in ``labelnames`` order), created on first use."""
        if len(values) != len(self.labelnames):
            raise ValueError(f"{self.name}: expected labels {self.labelnames}, got {values}")
        key = tuple(str(v) for v in values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._make()
        return child

    def describe(self) -> Iterable[Metric]:
        return [Metric(self.name, self.documentation, self.typ)]

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self.name, self.documentation, self.typ)
        created = _created_series()
        for values, child in list(self._children.items()):
            labels = dict(zip(self.labelnames, values, strict=True))
            if isinstance(child, CounterValue):
                metric.add_sample(f"{self.name}_total", labels, child.value)
                if created:
                    metric.add_sample(f"{self.name}_created", labels, child.created)
            elif isinstance(child, GaugeValue):
                metric.add_sample(self.name, labels, child.get())
            else:
                self._histogram_samples(metric, labels, child, created)
        return [metric]

    def _histogram_samples(
        self, metric: Metric, labels: dict[str, str], child: HistogramValue, created: bool
    ) -> None:
        total = 0
        for bound, count in zip((*child.bounds, float("inf")), child.counts, strict=True):
            total += count
            le: str = floatToGoString(bound)  # type: ignore[no-untyped-call]
            metric.add_sample(f"{self.name}_bucket", {**labels, "le": le}, total)
        metric.add_sample(f"{self.name}_count", labels, total)
        metric.add_sample(f"{self.name}_sum", labels, child.sum)
        if created:
            metric.add_sample(f"{self.name}_created", labels, child.created)


def counter_family(
    name: str, documentation: str, labelnames: tuple[str, ...], registry: CollectorRegistry
) -> ValueFamily[CounterValue]:
    """A counter family; ``name`` ends in ``_total`` as exposed."""
    return ValueFamily("counter", name, documentation, labelnames, CounterValue, registry)


def gauge_family(
    name: str, documentation: str, labelnames: tuple[str, ...], registry: CollectorRegistry
) -> ValueFamily[GaugeValue]:
    """A gauge family."""
    return ValueFamily("gauge", name, documentation, labelnames, GaugeValue, registry)


def histogram_family(
    name: str,
    documentation: str,
    labelnames: tuple[str, ...],
    buckets: tuple[float, ...],
    registry: CollectorRegistry,
) -> ValueFamily[HistogramValue]:
    """A histogram family with the upper bounds ``buckets`` (``+Inf`` is added)."""
    bounds = tuple(float(b) for b in buckets if b != float("inf"))
    return ValueFamily("histogram", name, documentation, labelnames, lambda: HistogramValue(bounds), registry)
