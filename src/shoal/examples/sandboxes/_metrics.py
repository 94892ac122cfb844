"""The sandbox controller's Prometheus metrics, named and bucketed as the seed's FastPath exports them.

``fastpath_create_sandbox_duration_seconds{mode, success}`` times a CreateSandbox call from request to
reply, in both modes, so the fast and strong paths are compared on one histogram. The buckets are the
seed's (1 ms to 1 s). Heartbeat sweeps get a histogram and a gauge of unhealthy fastlets of their own.
"""

from __future__ import annotations

from typing import Literal

from prometheus_client import CollectorRegistry, Gauge, Histogram

from shoal.metrics import families

CreateMode = Literal["fast", "strong"]

CREATE_BUCKETS: tuple[float, ...] = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
"""The seed's buckets: 1 ms, 5 ms, 10 ms, 25 ms, 50 ms, 100 ms, 250 ms, 500 ms, 1 s."""

SWEEP_BUCKETS: tuple[float, ...] = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class SandboxMetrics:
    """The metric families of one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.create_duration = Histogram(
            "fastpath_create_sandbox_duration_seconds",
            "Seconds from a CreateSandbox request to its reply.",
            ("mode", "success"),
            buckets=CREATE_BUCKETS,
            registry=registry,
        )
        self.sweep_duration = Histogram(
            "fastlet_heartbeat_sweep_duration_seconds",
            "Seconds one heartbeat sweep over every fastlet took.",
            buckets=SWEEP_BUCKETS,
            registry=registry,
        )
        self.unhealthy = Gauge(
            "fastlet_unhealthy",
            "Fastlets whose last heartbeat probe failed.",
            registry=registry,
        )

    def observe_create(self, mode: CreateMode, success: bool, seconds: float) -> None:
        self.create_duration.labels(mode, "true" if success else "false").observe(seconds)


def sandbox_metrics(registry: CollectorRegistry | None = None) -> SandboxMetrics:
    """The sandbox families of ``registry`` (Shoal's default registry when None)."""
    return families(registry, SandboxMetrics)
