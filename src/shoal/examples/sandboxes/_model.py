"""The nouns of the sandbox controller: a fastlet (node agent), a sandbox request, an allocation.

They are plain frozen values so that the registry, the fast path, the reconciler and the tests agree on
one shape, and so that what the registry hands out can never be used to change its books behind its
back. Request validation lives here too: bad input becomes a 422 ``InvalidError`` naming the field,
before anything is allocated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shoal.api import ServiceUnavailableError, StatusCause, invalid, invalid_cause, required_cause

GROUP = "sandboxes.shoal.dev"
KIND = "Sandbox"
MAX_PORT = 65535


@dataclass(frozen=True, slots=True)
class FastletSpec:
    """A node agent as registered: where it runs and what it can hold.

    ``capacity`` 0 means unlimited (the seed's convention); ``images`` are the images it has cached.
    """

    name: str
    pool: str
    namespace: str
    capacity: int = 10
    images: frozenset[str] = frozenset()
    address: str = ""


@dataclass(frozen=True, slots=True)
class FastletStatus:
    """A snapshot of one fastlet as the registry sees it."""

    spec: FastletSpec
    allocated: int
    used_ports: frozenset[int]
    healthy: bool
    last_heartbeat: float | None


@dataclass(frozen=True, slots=True)
class SandboxRequest:
    """What a sandbox needs: the pool and namespace it may run in, an image and the ports it exposes."""

    name: str
    namespace: str
    pool: str
    image: str
    ports: tuple[int, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    @classmethod
    def from_object(cls, obj: dict[str, Any]) -> SandboxRequest:
        """The request a Sandbox object (or a fast-path body of the same shape) asks for.

        Raises InvalidError naming every bad field; ``metadata.namespace`` defaults to ``default``.
        """
        meta = obj.get("metadata")
        spec = obj.get("spec")
        meta = meta if isinstance(meta, dict) else {}
        spec = spec if isinstance(spec, dict) else {}
        ports = spec.get("exposedPorts", [])
        request = cls(
            name=meta.get("name") or "",
            namespace=meta.get("namespace") or "default",
            pool=spec.get("poolRef") or "",
            image=spec.get("image") or "",
            ports=tuple(ports) if isinstance(ports, list) else (),
        )
        causes = request.problems()
        if not isinstance(ports, list):
            causes.append(invalid_cause("spec.exposedPorts", ports, "must be a list of port numbers"))
        if causes:
            raise invalid("sandboxes", str(request.name), *causes, group=GROUP)
        return request

    def problems(self) -> list[StatusCause]:
        """Field errors of this request; empty when it may be allocated."""
        causes: list[StatusCause] = []
        for path, value in (
            ("metadata.name", self.name),
            ("spec.poolRef", self.pool),
            ("spec.image", self.image),
        ):
            if not isinstance(value, str) or not value:
                causes.append(required_cause(path))
        seen: set[int] = set()
        for i, port in enumerate(self.ports):
            path = f"spec.exposedPorts[{i}]"
            if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= MAX_PORT:
                causes.append(invalid_cause(path, port, f"must be between 1 and {MAX_PORT}, inclusive"))
            elif port in seen:
                causes.append(invalid_cause(path, port, "duplicate port"))
            else:
                seen.add(port)
        return causes

    def validate(self) -> None:
        """Raise InvalidError naming every bad field."""
        causes = self.problems()
        if causes:
            raise invalid("sandboxes", str(self.name), *causes, group=GROUP)


@dataclass(frozen=True, slots=True)
class Allocation:
    """A sandbox placed on a fastlet: the fastlet, the ports it now holds, and the placement score."""

    request: SandboxRequest
    fastlet: str
    address: str
    score: int
    image_cached: bool = field(default=True)


class InsufficientCapacityError(ServiceUnavailableError):
    """No healthy fastlet of the pool and namespace has room and free ports for the sandbox (503)."""

    def __init__(self, request: SandboxRequest) -> None:
        super().__init__(
            f"no fastlet in pool {request.pool!r} of namespace {request.namespace!r} has capacity "
            f"and free ports {list(request.ports)} for sandbox {request.name!r}",
            name=request.name,
            group=GROUP,
            kind="sandboxes",
        )
