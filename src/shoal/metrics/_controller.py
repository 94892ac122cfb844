"""Controller metrics under controller-runtime's exact names, labels and buckets.

Defined here, below the controller layer, so the controller only records: it asks
:func:`controller_metrics` for the families and binds them per controller with
:meth:`ControllerMetrics.for_controller`. The four ``result`` values of ``reconcile_total`` exist at 0
from the start, as in controller-runtime, so rate() queries work before the first error. The children
are plain numbers (:mod:`._values`): recording costs an attribute update, not a locked call.
"""

from __future__ import annotations

from typing import Literal, get_args

from prometheus_client import CollectorRegistry

from ._registry import families
from ._values import CounterValue, GaugeValue, counter_family, gauge_family, histogram_family

ReconcileResult = Literal["success", "error", "requeue", "requeue_after"]
RECONCILE_RESULTS: tuple[ReconcileResult, ...] = get_args(ReconcileResult)

#: controller-runtime's ``reconcile_time_seconds`` buckets.
RECONCILE_TIME_BUCKETS: tuple[float, ...] = (
    *(0.005, 0.01, 0.025, 0.05, 0.1),
    *(0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5),
    *(0.6, 0.7, 0.8, 0.9, 1.0),
    *(1.25, 1.5, 1.75, 2.0),
    *(2.5, 3.0, 3.5, 4.0, 4.5, 5.0),
    *(6.0, 7.0, 8.0, 9.0, 10.0),
    *(15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0),
)


class ControllerMetrics:
    """The ``controller_runtime_*`` metric families of one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        label = ("controller",)
        self.reconcile_total = counter_family(
            "controller_runtime_reconcile_total",
            "Reconciliations per controller and result.",
            ("controller", "result"),
            registry,
        )
        self.reconcile_errors = counter_family(
            "controller_runtime_reconcile_errors_total",
            "Reconciliations that returned an error.",
            label,
            registry,
        )
        self.terminal_reconcile_errors = counter_family(
            "controller_runtime_terminal_reconcile_errors_total",
            "Reconciliations that returned a terminal error (not retried).",
            label,
            registry,
        )
        self.reconcile_panics = counter_family(
            "controller_runtime_reconcile_panics_total",
            "Reconciliations that raised an unexpected exception, recovered by the controller.",
            label,
            registry,
        )
        self.reconcile_timeouts = counter_family(
            "controller_runtime_reconcile_timeouts_total",
            "Reconciliations cancelled by the reconciliation timeout.",
            label,
            registry,
        )
        self.reconcile_time = histogram_family(
            "controller_runtime_reconcile_time_seconds",
            "Seconds spent in one reconciliation (queue wait excluded).",
            label,
            RECONCILE_TIME_BUCKETS,
            registry,
        )
        self.max_concurrent_reconciles = gauge_family(
            "controller_runtime_max_concurrent_reconciles",
            "Workers the controller runs.",
            label,
            registry,
        )
        self.active_workers = gauge_family(
            "controller_runtime_active_workers",
            "Workers reconciling right now.",
            label,
            registry,
        )

    def for_controller(self, controller: str) -> ReconcileMetrics:
        """A recorder bound to ``controller``, with every result counter initialised to 0."""
        return ReconcileMetrics(self, controller)


def controller_metrics(registry: CollectorRegistry | None = None) -> ControllerMetrics:
    """The controller families of ``registry`` (default: Shoal's registry)."""
    return families(registry, ControllerMetrics)


class ReconcileMetrics:
    """One controller's children of the controller families, bound up front."""

    __slots__ = (
        "active_workers",
        "max_concurrent_reconciles",
        "reconcile_errors",
        "reconcile_panics",
        "reconcile_time",
        "reconcile_timeouts",
        "reconcile_total",
        "terminal_reconcile_errors",
    )

    def __init__(self, families: ControllerMetrics, controller: str) -> None:
        self.reconcile_total: dict[ReconcileResult, CounterValue] = {
            result: families.reconcile_total.labels(controller, result) for result in RECONCILE_RESULTS
        }
        self.reconcile_errors = families.reconcile_errors.labels(controller)
        self.terminal_reconcile_errors = families.terminal_reconcile_errors.labels(controller)
        self.reconcile_panics = families.reconcile_panics.labels(controller)
        self.reconcile_timeouts = families.reconcile_timeouts.labels(controller)
        self.reconcile_time = families.reconcile_time.labels(controller)
        self.max_concurrent_reconciles = families.max_concurrent_reconciles.labels(controller)
        self.active_workers: GaugeValue = families.active_workers.labels(controller)

    def observe(self, result: ReconcileResult, seconds: float, *, terminal: bool = False) -> None:
        """Record one reconciliation: its result, its duration, and (for errors) the error counters."""
        self.reconcile_total[result].value += 1
        self.reconcile_time.observe(seconds)
        if result == "error":
            self.reconcile_errors.value += 1
            if terminal:
                self.terminal_reconcile_errors.value += 1
