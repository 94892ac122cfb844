"""Request accounting for the HTTP client: Prometheus series under client-go's names, and a cheap
in-memory tally benchmarks read without scraping.

client-go exports ``rest_client_requests_total{code,method,host}``,
``rest_client_request_duration_seconds{verb,host}`` and
``rest_client_rate_limiter_duration_seconds{verb,host}``; dashboards built for Go controllers work
unchanged when Shoal uses the same names and labels. The collectors are created once per Prometheus
registry (through :func:`shoal.metrics.families`), so every client in a process shares them.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from shoal.metrics import families

# client-go's buckets for request latency (k8s.io/component-base/metrics/prometheus/restclient).
LATENCY_BUCKETS = (0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


@dataclass(frozen=True, slots=True)
class ClientMetrics:
    """The Prometheus collectors of every HTTP client that registers into one registry."""

    requests_total: Counter
    request_duration_seconds: Histogram
    rate_limiter_duration_seconds: Histogram


def _create(registry: CollectorRegistry) -> ClientMetrics:
    return ClientMetrics(
        requests_total=Counter(
            "rest_client_requests_total",
            "Number of HTTP requests, partitioned by status code, method, and host.",
            ["code", "method", "host"],
            registry=registry,
        ),
        request_duration_seconds=Histogram(
            "rest_client_request_duration_seconds",
            "Request latency in seconds. Broken down by verb, and host.",
            ["verb", "host"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        rate_limiter_duration_seconds=Histogram(
            "rest_client_rate_limiter_duration_seconds",
            "Client side rate limiter latency in seconds. Broken down by verb, and host.",
            ["verb", "host"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
    )


def client_metrics(registry: CollectorRegistry | None = None) -> ClientMetrics:
    """The collectors registered in ``registry`` (default: Shoal's, :func:`shoal.metrics.default_registry`)."""
    return families(registry, _create)


@dataclass(slots=True)
class RequestStats:
    """Requests of one (verb, resource): how many, how many failed, and their summed latency."""

    count: int = 0
    errors: int = 0
    total_seconds: float = 0.0


class ClientStatistics:
    """Per-client tally by Kubernetes verb (get, list, watch, create, update, patch, delete,
    deletecollection) and resource (``pods``, ``pods/status``, ``deployments.apps``)."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], RequestStats] = {}
        self.throttled_seconds = 0.0
        self.watch_drops = 0

    def record(self, verb: str, resource: str, *, error: bool, seconds: float) -> None:
        stats = self._by_key.get((verb, resource))
        if stats is None:
            stats = self._by_key[(verb, resource)] = RequestStats()
        stats.count += 1
        stats.errors += int(error)
        stats.total_seconds += seconds

    def snapshot(self) -> dict[tuple[str, str], RequestStats]:
        """A copy of the tally, keyed by (verb, resource)."""
        return {key: RequestStats(s.count, s.errors, s.total_seconds) for key, s in self._by_key.items()}

    def count(self, verb: str | None = None, resource: str | None = None) -> int:
        """Requests matching the given verb and/or resource."""
        return sum(
            s.count
            for (v, r), s in self._by_key.items()
            if (verb is None or v == verb) and (resource is None or r == resource)
        )

    @property
    def total(self) -> int:
        return sum(s.count for s in self._by_key.values())

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self._by_key.values())

    def writes(self) -> int:
        """Requests that change state (create, update, patch, delete, deletecollection)."""
        return sum(
            s.count
            for (v, _), s in self._by_key.items()
            if v in {"create", "update", "patch", "delete", "deletecollection"}
        )

    def reset(self) -> None:
        self._by_key.clear()
        self.throttled_seconds = 0.0
        self.watch_drops = 0
