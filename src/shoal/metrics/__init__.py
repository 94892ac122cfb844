"""Prometheus metrics with client-go and controller-runtime's names, Shoal's registry, ``/metrics``."""

from ._controller import (
    RECONCILE_RESULTS as RECONCILE_RESULTS,
    RECONCILE_TIME_BUCKETS as RECONCILE_TIME_BUCKETS,
    ControllerMetrics as ControllerMetrics,
    ReconcileMetrics as ReconcileMetrics,
    ReconcileResult as ReconcileResult,
    controller_metrics as controller_metrics,
)
from ._http import metrics_handler as metrics_handler
from ._registry import default_registry as default_registry, families as families
from ._values import CounterValue as CounterValue, GaugeValue as GaugeValue, HistogramValue as HistogramValue
from ._workqueue import (
    MAX_PRIORITY_LABELS as MAX_PRIORITY_LABELS,
    PRIORITY_OVERFLOW_LABEL as PRIORITY_OVERFLOW_LABEL,
    QUEUE_BUCKETS as QUEUE_BUCKETS,
    QueueMetrics as QueueMetrics,
    WorkqueueMetrics as WorkqueueMetrics,
    workqueue_metrics as workqueue_metrics,
)

__all__ = [
    "MAX_PRIORITY_LABELS",
    "PRIORITY_OVERFLOW_LABEL",
    "QUEUE_BUCKETS",
    "RECONCILE_RESULTS",
    "RECONCILE_TIME_BUCKETS",
    "ControllerMetrics",
    "CounterValue",
    "GaugeValue",
    "HistogramValue",
    "QueueMetrics",
    "ReconcileMetrics",
    "ReconcileResult",
    "WorkqueueMetrics",
    "controller_metrics",
    "default_registry",
    "families",
    "metrics_handler",
    "workqueue_metrics",
]
