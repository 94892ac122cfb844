"""The simulator's HTTP door: an aiohttp application that real clients (kubectl, kopf, the official
``kubernetes`` client, Shoal's own HttpClient) talk to unmodified.

Requests are routed by hand from the path (the apiserver's URL grammar is regular and a single handler
avoids a router walk per request). Discovery, OpenAPI and version documents are built from the resource
registry; every resource verb goes through the simulator's in-process client, labelled with the
request's ``User-Agent``, so injected latency, faults and request accounting apply to HTTP callers
exactly as to in-process ones. Every failure leaves as a Kubernetes ``Status`` with the matching HTTP
code; nothing reaches the client as a traceback.
"""

from __future__ import annotations

import logging
import platform
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from shoal.api import ApiError, InternalError, MethodNotAllowedError, UnauthorizedError

from ._apiserver import ApiServer
from ._discovery import AGGREGATED_V2, Discovery, wants_aggregated
from ._negotiation import dump, error_response, json_response
from ._openapi import OPENAPI_V2_PROTOBUF, OpenAPI, openapi_v2
from ._resource_paths import parse_resource_path, path_not_found
from ._resources import ResourceRegistry
from ._rest import RestHandler, parse_bool
from ._version import DEFAULT_KUBE_VERSION, git_version
from ._watch_http import WatchStreams, event_encoder, stream_watch, watch_kwargs

log = logging.getLogger("shoal.sim.http")

_HEALTH = frozenset({"healthz", "readyz", "livez"})
_MAX_CLIENTS = 256


class SimulatorSurface(Protocol):
    """What the HTTP door needs from a simulator: its resources, a client per caller, and its
    apiserver (read directly only to tell whether a server-side apply creates its object)."""

    @property
    def resources(self) -> ResourceRegistry: ...

    @property
    def server(self) -> ApiServer: ...

    @property
    def kube_version(self) -> str: ...

    def client(self, *, user_agent: str = ...) -> Any: ...


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """``token``: required bearer token (``None``: no authentication); ``kube_version``: what ``/version``
    reports, which also picks the binary of version-dispatching kubectl wrappers."""

    token: str | None = None
    kube_version: str = DEFAULT_KUBE_VERSION


def version_document(kube_version: str) -> dict[str, str]:
    """The ``/version`` body for ``"1.37.1"``."""
    major, minor, *_ = [*kube_version.split("."), "0", "0"][:3]
    return {
        "major": major,
        "minor": minor,
        "emulationMajor": major,
        "emulationMinor": minor,
        "gitVersion": git_version(kube_version),
        "gitCommit": "shoal",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": f"python{platform.python_version()}",
        "compiler": "shoal",
        "platform": f"{platform.system().lower()}/{platform.machine().lower()}",
    }


class HttpApi:
    """Routes requests of the HTTP door; one instance per served simulator."""

    def __init__(self, sim: SimulatorSurface, options: ServerOptions) -> None:
        self.sim = sim
        self.options = options
        self.discovery = Discovery(sim.resources)
        self.openapi = OpenAPI(sim.resources, git_version(options.kube_version))
        self._bearer = f"Bearer {options.token}" if options.token is not None else None
        self._clients: dict[str, Any] = {}
        self._version = version_document(options.kube_version)
        self.watches = WatchStreams()
        """The watch streams being served, ended when the server shuts down."""

    def application(self) -> web.Application:
        """A fresh aiohttp application serving every path through :meth:`handle`."""
        app = web.Application(client_max_size=1 << 62)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        app.on_shutdown.append(self._end_watches)
        return app

    async def _end_watches(self, app: web.Application) -> None:
        """On shutdown, end the open watch streams (before the server waits for its handlers)."""
        self.watches.end_all()

    def client_for(self, user_agent: str) -> Any:
        client = self._clients.get(user_agent)
        if client is None:
            if len(self._clients) >= _MAX_CLIENTS:
                self._clients.clear()
            client = self._clients[user_agent] = self.sim.client(user_agent=user_agent)
        return client

    async def handle(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        try:
            public = bool(parts) and parts[0] in _HEALTH
            if (
                self._bearer is not None
                and not public
                and request.headers.get("Authorization") != self._bearer
            ):
                raise UnauthorizedError("Unauthorized")
            return await self._route(request, parts)
        except ApiError as err:
            return error_response(err)
        except Exception:
            log.exception("internal error serving %s %s", request.method, request.path_qs)
            return error_response(InternalError("an internal error occurred while serving the request"))

    async def _route(self, request: web.Request, parts: list[str]) -> web.StreamResponse:
        head = parts[0] if parts else ""
        if head == "api":
            if len(parts) <= 2:
                return self._discovery(request, "", parts[1:])
            return await self._resource(request, "", parts[1], parts[2:])
        if head == "apis":
            if len(parts) <= 3:
                return self._discovery(request, None, parts[1:])
            return await self._resource(request, parts[1], parts[2], parts[3:])
        if head in _HEALTH and len(parts) == 1:
            return web.Response(text="ok", content_type="text/plain")
        if head == "version" and len(parts) == 1:
            _only_get(request)
            return json_response(self._version)
        if head == "openapi":
            return self._openapi(request, parts[1:])
        raise path_not_found()

    def _discovery(self, request: web.Request, group: str | None, rest: list[str]) -> web.Response:
        _only_get(request)
        d = self.discovery
        if not rest:
            core = group == ""
            if wants_aggregated(request.headers.get("Accept", "")):
                return web.Response(body=dump(d.aggregated(core)), headers={"Content-Type": AGGREGATED_V2})
            return json_response(d.core_versions() if core else d.group_list())
        doc = (
            d.resource_list("", rest[0])
            if group == ""
            else d.group(rest[0])
            if len(rest) == 1
            else d.resource_list(rest[0], rest[1])
        )
        if doc is None:
            raise path_not_found()
        return json_response(doc)

    def _openapi(self, request: web.Request, rest: list[str]) -> web.Response:
        _only_get(request)
        if rest == ["v3"]:
            return json_response(self.openapi.index())
        if rest == ["v2"]:
            protobuf = "protobuf" in request.headers.get("Accept", "")
            body = openapi_v2(git_version(self.options.kube_version), protobuf)
            return web.Response(
                body=body, content_type=OPENAPI_V2_PROTOBUF if protobuf else "application/json"
            )
        if len(rest) >= 3 and rest[0] == "v3":
            found = self.openapi.document("/".join(rest[1:]))
            if found is not None:
                body, digest = found
                cache = "public, immutable" if request.query.get("hash") == digest else "no-cache, private"
                return web.Response(
                    body=body,
                    content_type="application/json",
                    headers={"Cache-Control": cache, "Etag": f'"{digest}"'},
                )
        raise path_not_found()

    async def _resource(
        self, request: web.Request, group: str, version: str, rest: list[str]
    ) -> web.StreamResponse:
        target = parse_resource_path(self.sim.resources, group, version, rest)
        client = self.client_for(request.headers.get("User-Agent", ""))
        handler = RestHandler(client, request, target, self.sim.server)
        method = request.method
        if method == "GET":
            if target.watch_prefix or parse_bool(request.query, "watch"):
                if target.subresource is not None:
                    raise MethodNotAllowedError("watch is not supported on subresources")
                kwargs = watch_kwargs(request.query, target.namespace, target.name)
                encode = event_encoder(handler.printer())
                return await stream_watch(
                    request, client.watch(target.info.gvr, **kwargs), encode, self.watches
                )
            if target.name is None:
                return await handler.list()
            return await handler.get()
        if target.watch_prefix:
            raise MethodNotAllowedError(f"{method} is not supported on watch paths")
        if method == "POST":
            return await handler.create()
        if method == "PUT" and target.name is not None:
            return await handler.update()
        if method == "PATCH" and target.name is not None:
            return await handler.patch()
        if method == "DELETE":
            return await handler.delete()
        raise MethodNotAllowedError(f"{method} is not supported on {request.path}")


def _only_get(request: web.Request) -> None:
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowedError(f"{request.method} is not supported on {request.path}")
