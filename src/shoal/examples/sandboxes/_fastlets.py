"""Simulated fastlets (node agents) behind one local HTTP endpoint, with per-fastlet routes.

The seed's controller talks HTTP to a fastlet on every node: ``create`` starts a container (20 ms of
RPC to 68 ms of measured runc time), ``status`` is the heartbeat probe (about 5 ms). Benchmarks and
tests need hundreds of them without hundreds of servers, so one aiohttp app on 127.0.0.1 serves them
all under ``/fastlets/<name>/api/v1/fastlet/...`` and sleeps the configured latency per call.

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
from aiohttp import web

from shoal.api import ApiError, BadRequestError, ConflictError, NotFoundError, ServiceUnavailableError

from ._model import FastletSpec

PREFIX = "/fastlets/{name}/api/v1/fastlet"


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


def _reply(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(obj), status=status, content_type="application/json")


def _error(error: ApiError) -> web.Response:
    return _reply(error.status(), error.code)


class FastletFleet:
    """Serves many simulated fastlets on one port; ``async with`` starts and stops the server."""

    def __init__(
        self, specs: list[FastletSpec] | None = None, *, latency: FastletLatency | None = None
    ) -> None:
        self.latency = latency or FastletLatency()
        self.fastlets: dict[str, SimulatedFastlet] = {}
        self.base_url = ""
        self._runner: web.AppRunner | None = None
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

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(PREFIX + "/create", self._create)
        app.router.add_post(PREFIX + "/delete", self._delete)
        app.router.add_get(PREFIX + "/status", self._status)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0]
        self.base_url = f"http://{bound[0]}:{bound[1]}"

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FastletFleet:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def _fastlet(self, request: web.Request) -> SimulatedFastlet:
        name = request.match_info["name"]
        fastlet = self.fastlets.get(name)
        if fastlet is None:
            raise _RefusedError(NotFoundError(f'fastlet "{name}" not found', name=name, kind="fastlets"))
        if not fastlet.reachable:
            raise _RefusedError(ServiceUnavailableError(f'fastlet "{name}" is unreachable', name=name))
        return fastlet

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError as error:
            raise _RefusedError(BadRequestError(f"the request body is not JSON: {error}")) from None
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise _RefusedError(BadRequestError("the request body must be an object with a name"))
        return body

    async def _create(self, request: web.Request) -> web.Response:
        try:
            fastlet = self._fastlet(request)
            body = await self._body(request)
        except _RefusedError as refusal:
            return _error(refusal.error)
        key = f"{body.get('namespace', 'default')}/{body['name']}"
        ports = tuple(int(p) for p in body.get("ports", ()))
        reply = {"sandboxID": key, "fastlet": fastlet.spec.name, "image": body.get("image", "")}
        if fastlet.sandboxes.get(key) == ports:
            return _reply(reply)  # a retried create of a running sandbox is not a second sandbox
        # Books are checked and updated before the delay: a create in progress holds its slot.
        capacity = fastlet.spec.capacity
        clash = fastlet.used_ports.intersection(ports)
        if key in fastlet.sandboxes or (capacity > 0 and len(fastlet.sandboxes) >= capacity) or clash:
            fastlet.rejected += 1
            reason = f"ports {sorted(clash)} in use" if clash else "at capacity or already running"
            return _error(ConflictError(f'fastlet "{fastlet.spec.name}" refused {key}: {reason}'))
        fastlet.sandboxes[key] = ports
        fastlet.creates += 1
        delay = self.latency.create
        if self.latency.create_jitter:
            delay += random.uniform(-self.latency.create_jitter, self.latency.create_jitter)
        await asyncio.sleep(max(0.0, delay))
        return _reply(reply, 201)

    async def _delete(self, request: web.Request) -> web.Response:
        try:
            fastlet = self._fastlet(request)
            body = await self._body(request)
        except _RefusedError as refusal:
            return _error(refusal.error)
        fastlet.sandboxes.pop(f"{body.get('namespace', 'default')}/{body['name']}", None)
        if self.latency.delete:
            await asyncio.sleep(self.latency.delete)
        return _reply({"deleted": body["name"]})

    async def _status(self, request: web.Request) -> web.Response:
        try:
            fastlet = self._fastlet(request)
        except _RefusedError as refusal:
            return _error(refusal.error)
        fastlet.probes += 1
        await asyncio.sleep(self.latency.status)
        return _reply(
            {
                "name": fastlet.spec.name,
                "images": sorted(fastlet.spec.images),
                "sandboxes": len(fastlet.sandboxes),
            }
        )


class _RefusedError(Exception):
    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error
