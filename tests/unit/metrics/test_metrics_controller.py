"""Controller metrics and the /metrics handler."""

from __future__ import annotations

from aiohttp.test_utils import make_mocked_request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from shoal.metrics import RECONCILE_RESULTS, RECONCILE_TIME_BUCKETS, controller_metrics, metrics_handler


def test_results_start_at_zero_and_errors_are_counted() -> None:
    registry = CollectorRegistry()
    metrics = controller_metrics(registry).for_controller("widgets")
    for result in RECONCILE_RESULTS:
        sample = {"controller": "widgets", "result": result}
        assert registry.get_sample_value("controller_runtime_reconcile_total", sample) == 0
    metrics.observe("success", 0.02)
    metrics.observe("error", 0.3)
    metrics.observe("error", 0.3, terminal=True)
    metrics.reconcile_panics.inc()
    metrics.max_concurrent_reconciles.set(16)
    metrics.active_workers.inc()

    def get(name: str, **extra: str) -> float | None:
        return registry.get_sample_value(name, {"controller": "widgets", **extra})

    assert get("controller_runtime_reconcile_total", result="success") == 1
    assert get("controller_runtime_reconcile_total", result="error") == 2
    assert get("controller_runtime_reconcile_errors_total") == 2
    assert get("controller_runtime_terminal_reconcile_errors_total") == 1
    assert get("controller_runtime_reconcile_panics_total") == 1
    assert get("controller_runtime_reconcile_timeouts_total") == 0
    assert get("controller_runtime_max_concurrent_reconciles") == 16
    assert get("controller_runtime_active_workers") == 1
    assert get("controller_runtime_reconcile_time_seconds_count") == 3
    assert get("controller_runtime_reconcile_time_seconds_bucket", le="0.025") == 1
    assert get("controller_runtime_reconcile_time_seconds_bucket", le="0.35") == 3


def test_reconcile_time_buckets_are_controller_runtimes() -> None:
    assert len(RECONCILE_TIME_BUCKETS) == 40
    assert RECONCILE_TIME_BUCKETS[:5] == (0.005, 0.01, 0.025, 0.05, 0.1)
    assert RECONCILE_TIME_BUCKETS[-7:] == (15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0)
    assert list(RECONCILE_TIME_BUCKETS) == sorted(RECONCILE_TIME_BUCKETS)


async def test_metrics_handler_renders_the_registry() -> None:
    registry = CollectorRegistry()
    controller_metrics(registry).for_controller("widgets").observe("requeue_after", 0.1)
    response = await metrics_handler(registry)(make_mocked_request("GET", "/metrics"))
    assert response.status == 200
    assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST
    assert isinstance(response.body, bytes)
    text = response.body.decode()
    assert 'controller_runtime_reconcile_total{controller="widgets",result="requeue_after"} 1.0' in text
