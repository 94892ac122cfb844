"""Running the HTTP door: serve a simulator on a local port and tell clients where it is.

``serve`` is what tests, benchmarks and the ``shoal sim`` command share: it binds (127.0.0.1 and a free
port by default, so nothing is exposed by accident), yields a :class:`ServedSimulator` with the URL, and
on exit closes every connection, watch streams included. The kubeconfig it writes is the standard file
kubectl, the official client and kopf all read, so pointing a real tool at the simulator is one
``KUBECONFIG=`` away.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml
from aiohttp import web

from ._http import HttpApi, ServerOptions, SimulatorSurface
from ._latency import resolve_profile
from ._simulator import Simulator
from ._version import DEFAULT_KUBE_VERSION, git_version

DEFAULT_KUBECONFIG = Path(".shoal/kubeconfig")
CONTEXT = "shoal"


def kubeconfig(url: str, token: str | None = None, namespace: str = "default") -> dict[str, Any]:
    """A kubeconfig with one cluster, user and context, all named ``shoal``."""
    user: dict[str, Any] = {"token": token} if token is not None else {}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": url}}],
        "users": [{"name": CONTEXT, "user": user}],
        "contexts": [
            {"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace}}
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write_kubeconfig(path: str | os.PathLike[str], url: str, token: str | None = None) -> Path:
    """Write :func:`kubeconfig` to ``path`` (parents created, mode 0600 since it may hold a token)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(kubeconfig(url, token), sort_keys=False)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return target


@dataclass(frozen=True, slots=True)
class ServedSimulator:
    """A simulator being served: ``url`` is ``http://host:port``."""

    sim: SimulatorSurface
    host: str
    port: int
    token: str | None
    api: HttpApi

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def kubeconfig(self) -> dict[str, Any]:
        return kubeconfig(self.url, self.token)

    def write_kubeconfig(self, path: str | os.PathLike[str] = DEFAULT_KUBECONFIG) -> Path:
        return write_kubeconfig(path, self.url, self.token)

    def kubectl_hint(self, path: str | os.PathLike[str] = DEFAULT_KUBECONFIG) -> str:
        """A command a user can paste into another terminal to look at the simulator."""
        return f"KUBECONFIG={Path(path).resolve()} kubectl get all -A"


@asynccontextmanager
async def serve(
    sim: SimulatorSurface,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    *,
    kube_version: str | None = None,
) -> AsyncIterator[ServedSimulator]:
    """Serve ``sim`` over HTTP for the duration of the ``async with`` block; ``/version`` reports
    ``kube_version``, by default the simulator's own (the one its nodes' kubelets report)."""
    options = ServerOptions(token=token, kube_version=kube_version or sim.kube_version)
    api = HttpApi(sim, options)
    runner = web.AppRunner(
        api.application(), handler_cancellation=True, access_log=None, shutdown_timeout=0.25
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, backlog=1024)
        await site.start()
        bound = _bound_port(runner)
        api.discovery.server_address = f"{host}:{bound}"
        yield ServedSimulator(sim, host, bound, token, api)
    finally:
        await runner.cleanup()


def _bound_port(runner: web.AppRunner) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("the HTTP door is not listening on a TCP port")


def _say(text: str, stream: TextIO = sys.stdout) -> None:
    stream.write(text + "\n")
    stream.flush()


def _simulator_options(profile: str, nodes: int) -> dict[str, Any]:
    resolve_profile(profile)
    options: dict[str, Any] = {"profile": profile}
    if nodes < 0:
        raise ValueError(f"--nodes must not be negative, got {nodes}")
    if nodes:
        options["nodes"] = nodes
    return options


async def _serve_forever(
    options: dict[str, Any], host: str, port: int, token: str | None, path: Path, kube_version: str
) -> None:
    async with (
        Simulator(**options, kube_version=kube_version) as sim,
        serve(sim, host, port, token) as served,
    ):
        written = served.write_kubeconfig(path)
        _say(f"Kubernetes API simulator serving at {served.url} (reports {git_version(kube_version)})")
        _say(f"kubeconfig written to {written}")
        _say(f"try in another terminal:  KUBECONFIG={written.resolve()} kubectl get namespaces")
        _say("press Ctrl-C to stop")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        _say("stopping")


def run_simulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    profile: str = "none",
    nodes: int = 0,
    token: str | None = None,
    kubeconfig_path: str | os.PathLike[str] = DEFAULT_KUBECONFIG,
    kube_version: str = DEFAULT_KUBE_VERSION,
) -> int:
    """``shoal sim``: serve a fresh simulator until interrupted. Returns the process exit code."""
    try:
        options = _simulator_options(profile, nodes)
    except ValueError as exc:
        _say(f"shoal sim: {exc}", sys.stderr)
        return 2
    main = _serve_forever(options, host, port, token, Path(kubeconfig_path), kube_version)
    try:
        try:
            import uvloop
        except ImportError:
            asyncio.run(main)
        else:
            uvloop.run(main)
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        _say(f"shoal sim: {exc}", sys.stderr)
        return 1
    return 0
