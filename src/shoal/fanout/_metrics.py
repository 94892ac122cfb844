"""The Prometheus families of shoal.fanout: writes sent or skipped, keyed-cache requests by result.

The point of the conditional writes and the single-flight cache is calls that do not happen; these
counters make the calls that did not happen visible on ``/metrics``, next to client-go's request
counters that show the ones that did.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from shoal.metrics import families

WRITE_RESULTS = ("sent", "skipped")
CACHE_RESULTS = ("hit", "miss", "join")


@dataclass(frozen=True, slots=True)
class FanoutMetrics:
    """The counter families, registered once per registry."""

    writes_total: Counter
    """``shoal_fanout_writes_total{result="sent|skipped"}``: conditional writes by decision."""
    keyed_cache_requests_total: Counter
    """``shoal_keyed_cache_requests_total{cache,result="hit|miss|join"}``: KeyedCache calls by result."""


def _create(registry: CollectorRegistry) -> FanoutMetrics:
    metrics = FanoutMetrics(
        writes_total=Counter(
            "shoal_fanout_writes_total",
            "Conditional writes (status-if-changed, create-or-patch): sent to the API, or skipped as no-ops.",
            ["result"],
            registry=registry,
        ),
        keyed_cache_requests_total=Counter(
            "shoal_keyed_cache_requests_total",
            "KeyedCache calls: hit (stored result), miss (fetched), join (shared a fetch in flight).",
            ["cache", "result"],
            registry=registry,
        ),
    )
    for result in WRITE_RESULTS:
        metrics.writes_total.labels(result)
    return metrics


def fanout_metrics(registry: CollectorRegistry | None = None) -> FanoutMetrics:
    """The fanout families in ``registry`` (Shoal's default registry when ``None``)."""
    return families(registry, _create)
