"""The Fast Sandbox reference controller: place sandboxes on node agents (fastlets) in microseconds.

* :class:`SandboxRegistry` — fastlets by pool and namespace; allocation by score (allocated count, plus
  1000 without the image cached), lowest wins, ties random; indexed so it does not scan the pool, and
  synchronous so concurrent requests on one event loop cannot over-commit a fastlet or a port.
* :class:`FastletFleet` — many simulated fastlets behind one local HTTP server, with injected latency;
  :class:`FastletFleetProcess` serves one from a child process, so it does not share the controller's
  core.
* :class:`FastPathServer` — CreateSandbox over HTTP: fast mode replies after the fastlet create and
  writes the Sandbox object afterwards; strong mode writes the object first and waits for
  :class:`SandboxReconciler` to set its status.
* :class:`HeartbeatSweep` — probes every fastlet with bounded concurrency, marks failures unhealthy.
* :func:`scale_up` — creates the fastlet Pods a pool lacks, many at a time.
* ``fastpath_create_sandbox_duration_seconds{mode,success}`` (:func:`sandbox_metrics`).
"""

from ._crd import (
    FASTLET_ANNOTATION as FASTLET_ANNOTATION,
    SANDBOXES as SANDBOXES,
    install_sandbox_crd as install_sandbox_crd,
    sandbox_crd as sandbox_crd,
    sandbox_object as sandbox_object,
)
from ._fastlet_client import FastletClient as FastletClient
from ._fastlets import (
    FastletFleet as FastletFleet,
    FastletLatency as FastletLatency,
    SimulatedFastlet as SimulatedFastlet,
)
from ._fastpath import FastPathServer as FastPathServer
from ._fleet_process import FastletFleetProcess as FastletFleetProcess
from ._heartbeat import HeartbeatSweep as HeartbeatSweep, SweepResult as SweepResult
from ._metrics import (
    CREATE_BUCKETS as CREATE_BUCKETS,
    SandboxMetrics as SandboxMetrics,
    sandbox_metrics as sandbox_metrics,
)
from ._model import (
    Allocation as Allocation,
    FastletSpec as FastletSpec,
    FastletStatus as FastletStatus,
    InsufficientCapacityError as InsufficientCapacityError,
    SandboxRequest as SandboxRequest,
)
from ._pool import (
    PODS as PODS,
    POOL_LABEL as POOL_LABEL,
    fastlet_pod as fastlet_pod,
    scale_up as scale_up,
)
from ._reconciler import (
    STRONG_PATH_EVENTS as STRONG_PATH_EVENTS,
    SandboxReconciler as SandboxReconciler,
    SandboxWaiters as SandboxWaiters,
    sandbox_controller as sandbox_controller,
)
from ._registry import IMAGE_MISS_PENALTY as IMAGE_MISS_PENALTY, SandboxRegistry as SandboxRegistry

__all__ = [
    "CREATE_BUCKETS",
    "FASTLET_ANNOTATION",
    "IMAGE_MISS_PENALTY",
    "PODS",
    "POOL_LABEL",
    "SANDBOXES",
    "STRONG_PATH_EVENTS",
    "Allocation",
    "FastPathServer",
    "FastletClient",
    "FastletFleet",
    "FastletFleetProcess",
    "FastletLatency",
    "FastletSpec",
    "FastletStatus",
    "HeartbeatSweep",
    "InsufficientCapacityError",
    "SandboxMetrics",
    "SandboxReconciler",
    "SandboxRegistry",
    "SandboxRequest",
    "SandboxWaiters",
    "SimulatedFastlet",
    "SweepResult",
    "fastlet_pod",
    "install_sandbox_crd",
    "sandbox_controller",
    "sandbox_crd",
    "sandbox_metrics",
    "sandbox_object",
    "scale_up",
]
