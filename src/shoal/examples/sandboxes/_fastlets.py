"""Simulated fastlets (node agents) behind one local HTTP endpoint, with per-fastlet routes.

The seed's controller talks HTTP to a fastlet on every node: ``create`` starts a container (20 ms of
RPC to 68 ms of measured runc time), ``status`` is the heartbeat probe (about 5 ms). Benchmarks and
tests need hundreds of them without hundreds of servers, so one server on 127.0.0.1 serves them all
under ``/fastlets/<name>/api/v1/fastlet/...`` and delays each reply by the configured latency. The
server is a small HTTP/1.1 protocol (:mod:`._fleet_http`) rather than an aiohttp app: the fleet stands
for machines of their own, so its own request handling should cost as little as it can.

Each fastlet keeps its own books (sandboxes, ports) and refuses a create that would exceed its capacity
or reuse a port with 409: the controller's placement is checked by a party that does not trust it,
which is what the concurrency tests rely on.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import orjson

from shoal.api import (
    ApiError,
    BadRequestError,
    ConflictError,
    MethodNotAllowedError,
    NotFoundError,
    ServiceUnavailableError,
)

from ._fleet_http import FleetConnection
from ._model import FastletSpec


@dataclass(frozen=True, slots=True)
class FastletLatency:
    """Injected latency in seconds: ``create`` ± ``create_jitter`` (uniform), and ``status``."""

    create: float = 0.05
    create_jitter: float = 0.0
    status: float = 0.005
    delete: float = 0.0


@dataclass(slots=True)
class SimulatedFastlet:
    """One agent's own view: the sandboxes it runs and the ports they hold."""

    spec: FastletSpec
    sandboxes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    reachable: bool = True
    creates: int = 0
    rejected: int = 0
    probes: int = 0

    @property
    def used_ports(self) -> set[int]:
        return {p for ports in self.sandboxes.values() for p in ports}

    def books(self) -> dict[str, Any]:
        """A plain copy of the books, as :class:`FastletFleetProcess` reports them across processes."""
        return {
            "sandboxes": {key: list(ports) for key, ports in self.sandboxes.items()},
            "reachable": self.reachable,
            "creates": self.creates,
            "rejected": self.rejected,
            "probes": self.probes,
        }


Reply = tuple[int, dict[str, Any], float]
"""An HTTP status code, a JSON body, and the seconds to wait before sending it."""


def _refuse(error: ApiError) -> Reply:
    return error.code, error.status(), 0.0


class FastletFleet:
    """Serves many simulated fastlets on one port; ``async with`` starts and stops the server."""

    def __init__(
        self, specs: list[FastletSpec] | None = None, *, latency: FastletLatency | None = None
    ) -> None:
        self.latency = latency or FastletLatency()
        self.fastlets: dict[str, SimulatedFastlet] = {}
        self.base_url = ""
        self._server: asyncio.Server | None = None
        self._connections: set[FleetConnection] = set()
        for spec in specs or ():
            self.add(spec)

    def add(self, spec: FastletSpec) -> FastletSpec:
        """Add a fastlet; returns its spec with ``address`` set when the fleet is already serving."""
        if self.base_url:
            spec = FastletSpec(
                spec.name, spec.pool, spec.namespace, spec.capacity, spec.images, self.address(spec.name)
            )
        self.fastlets[spec.name] = SimulatedFastlet(spec)
        return spec

    def specs(self) -> list[FastletSpec]:
        """Every fastlet's spec with its address on this fleet's server."""
        return [
            FastletSpec(s.name, s.pool, s.namespace, s.capacity, s.images, self.address(s.name))
            for s in (f.spec for f in self.fastlets.values())
        ]

    def address(self, name: str) -> str:
        return f"{self.base_url}/fastlets/{name}"

    def set_reachable(self, name: str, reachable: bool) -> None:
        """An unreachable fastlet answers every call with 503, as a dead node's proxy would."""
        self.fastlets[name].reachable = reachable

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: FleetConnection(self.handle, self._connections), host, port
        )
        bound = self._server.sockets[0].getsockname()
        self.base_url = f"http://{bound[0]}:{bound[1]}"

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for connection in list(self._connections):
            connection.close()
        await server.wait_closed()

    async def __aenter__(self) -> FastletFleet:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def handle(self, method: str, path: str, body: bytes) -> Reply:
        """Answer one request: ``/fastlets/<name>/api/v1/fastlet/{create,delete,status}``."""
        parts = path.split("?", 1)[0].split("/")
        if len(parts) != 7 or parts[0] or parts[1] != "fastlets" or parts[3:6] != ["api", "v1", "fastlet"]:
            return _refuse(NotFoundError(f"no route {path}"))
        return self._route(method, parts[2], parts[6], body)

    def _route(self, method: str, name: str, verb: str, body: bytes) -> Reply:
        wanted = {"create": "POST", "delete": "POST", "status": "GET"}.get(verb)
        if wanted is None:
            return _refuse(NotFoundError(f"no fastlet call {verb!r}"))
        if method != wanted:
            return _refuse(MethodNotAllowedError(f"{verb} takes {wanted}, not {method}"))
        fastlet = self.fastlets.get(name)
        if fastlet is None:
            return _refuse(NotFoundError(f'fastlet "{name}" not found', name=name, kind="fastlets"))
        if not fastlet.reachable:
            return _refuse(ServiceUnavailableError(f'fastlet "{name}" is unreachable', name=name))
        if verb == "status":
            fastlet.probes += 1
            images = sorted(fastlet.spec.images)
            reply = {"name": name, "images": images, "sandboxes": len(fastlet.sandboxes)}
            return 200, reply, self.latency.status
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            return _refuse(BadRequestError(f"the request body is not JSON: {error}"))
        if not isinstance(decoded, dict) or not isinstance(decoded.get("name"), str):
            return _refuse(BadRequestError("the request body must be an object with a name"))
        if verb == "create":
            return self._create(fastlet, decoded)
        fastlet.sandboxes.pop(f"{decoded.get('namespace', 'default')}/{decoded['name']}", None)
        return 200, {"deleted": decoded["name"]}, self.latency.delete

    def _create(self, fastlet: SimulatedFastlet, body: dict[str, Any]) -> Reply:
        key = f"{body.get('namespace', 'default')}/{body['name']}"
        try:
            ports = tuple(int(p) for p in body.get("ports", ()))
        except (TypeError, ValueError):
            return _refuse(BadRequestError("ports must be a list of integers"))
        reply = {"sandboxID": key, "fastlet": fastlet.spec.name, "image": body.get("image", "")}
        if fastlet.sandboxes.get(key) == ports:
            return 200, reply, 0.0  # a retried create of a running sandbox is not a second sandbox
        # Books are checked and updated before the delay: a create in progress holds its slot.
        capacity = fastlet.spec.capacity
        clash = fastlet.used_ports.intersection(ports)
        if key in fastlet.sandboxes or (capacity > 0 and len(fastlet.sandboxes) >= capacity) or clash:
            fastlet.rejected += 1
            reason = f"ports {sorted(clash)} in use" if clash else "at capacity or already running"
            return _refuse(ConflictError(f'fastlet "{fastlet.spec.name}" refused {key}: {reason}'))
        fastlet.sandboxes[key] = ports
        fastlet.creates += 1
        delay = self.latency.create
        if self.latency.create_jitter:
            delay += random.uniform(-self.latency.create_jitter, self.latency.create_jitter)
        return 201, reply, max(0.0, delay)
