"""Placement for pods nobody bound: the part of kube-scheduler a simulated cluster cannot do without.

Controllers that create bare pods (gangs, workspaces) need them to land on a node before a kubelet can
start them. The binder keeps, per node, what its bound pods request (pod count, cpu, memory) and picks
the next node with room, round-robin, honouring ``spec.schedulingGates``, ``spec.nodeSelector`` and the
scheduler name. A pod that fits nowhere waits until capacity is released.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shoal.api import Object

from ._objects import meta

Key = tuple[str, str]

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}


def parse_quantity(value: Any) -> float:
    """A Kubernetes resource quantity (``500m``, ``1Gi``, ``2``) as a number; 0 when unreadable."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value or "").strip()
    if not text:
        return 0.0
    try:
        for suffix, factor in _BINARY.items():
            if text.endswith(suffix):
                return float(text[: -len(suffix)]) * factor
        if text[-1] in _DECIMAL:
            return float(text[:-1]) * _DECIMAL[text[-1]]
        return float(text)
    except ValueError:
        return 0.0


@dataclass(frozen=True, slots=True)
class Request:
    """What one pod takes from a node."""

    cpu: float
    memory: float

    @classmethod
    def of(cls, pod: Object) -> Request:
        cpu = memory = 0.0
        for container in (pod.get("spec") or {}).get("containers") or ():
            requests = (container.get("resources") or {}).get("requests") or {}
            cpu += parse_quantity(requests.get("cpu"))
            memory += parse_quantity(requests.get("memory"))
        return cls(cpu, memory)


@dataclass(slots=True)
class NodeRoom:
    """One node's capacity and what its pods use."""

    name: str
    labels: dict[str, str]
    pods: int
    cpu: float
    memory: float
    used_pods: int = 0
    used_cpu: float = 0.0
    used_memory: float = 0.0

    def fits(self, request: Request) -> bool:
        return (
            self.used_pods < self.pods
            and self.used_cpu + request.cpu <= self.cpu
            and self.used_memory + request.memory <= self.memory
        )

    def take(self, request: Request, sign: int = 1) -> None:
        self.used_pods += sign
        self.used_cpu += sign * request.cpu
        self.used_memory += sign * request.memory


def schedulable(pod: Object) -> bool:
    """Whether the binder should place ``pod``: unbound, ungated, not deleting, default scheduler."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName") or spec.get("schedulingGates") or meta(pod).get("deletionTimestamp"):
        return False
    if spec.get("schedulerName") not in (None, "", "default-scheduler"):
        return False
    return bool((pod.get("status") or {}).get("phase", "Pending") == "Pending")


@dataclass(slots=True)
class Placement:
    """Node rooms, the pods charged to them, and the round-robin cursor."""

    rooms: dict[str, NodeRoom]
    charged: dict[Key, tuple[str, Request]] = field(default_factory=dict)
    _order: list[str] = field(default_factory=list)
    _cursor: int = 0

    def __post_init__(self) -> None:
        self._order = list(self.rooms)

    def charge(self, key: Key, node: str, pod: Object) -> None:
        """Account ``pod`` (bound to ``node`` by anyone) against that node, once."""
        room = self.rooms.get(node)
        if room is None or key in self.charged:
            return
        request = Request.of(pod)
        room.take(request)
        self.charged[key] = (node, request)

    def release(self, key: Key) -> bool:
        """Give back what ``key`` took; whether anything was freed."""
        held = self.charged.pop(key, None)
        if held is None:
            return False
        self.rooms[held[0]].take(held[1], -1)
        return True

    def choose(self, pod: Object) -> str | None:
        """The next node (round-robin) with room for ``pod`` and matching its ``nodeSelector``."""
        request = Request.of(pod)
        selector: dict[str, str] = (pod.get("spec") or {}).get("nodeSelector") or {}
        count = len(self._order)
        for step in range(count):
            index = (self._cursor + step) % count
            room = self.rooms[self._order[index]]
            if not room.fits(request):
                continue
            if selector and any(room.labels.get(k) != v for k, v in selector.items()):
                continue
            self._cursor = (index + 1) % count
            return room.name
        return None
