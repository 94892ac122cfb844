"""Controllers end to end over HTTP: the simulator's HTTP door, Shoal's HttpClient, a real Manager.

Also runs ``shoal run`` as a subprocess against the session's served simulator.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from e2e.conftest import BackgroundSimulator
from shoal.api import GroupVersionResource, NotFoundError, Object
from shoal.cache import CacheOptions, ReflectorOptions
from shoal.client import HttpClient
from shoal.controller import (
    Controller,
    ControllerOptions,
    Manager,
    ManagerOptions,
    ReconcileContext,
    Request,
    Result,
    TerminalError,
)
from shoal.sim import Fault, Simulator
from shoal.sim._serve import serve
from shoal.testing import eventually
from shoal.workqueue import ItemExponentialFailureRateLimiter

CMS = GroupVersionResource("", "v1", "configmaps")
SECRETS = GroupVersionResource("", "v1", "secrets")
FAST_RETRIES = ControllerOptions(rate_limiter=ItemExponentialFailureRateLimiter(0.005, 0.05))


@pytest.fixture
async def cluster() -> AsyncIterator[tuple[Simulator, HttpClient]]:
    async with Simulator() as sim, serve(sim) as served, HttpClient.from_url(served.url) as client:
        yield sim, client


def manager_for(client: HttpClient) -> Manager:
    return Manager(
        client,
        options=ManagerOptions(
            http_port=0,
            registry=CollectorRegistry(),
            cache=CacheOptions(reflector=ReflectorOptions(backoff_initial=0.01, backoff_max=0.1)),
            graceful_shutdown_timeout=5.0,
        ),
    )


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": data,
    }


class CountingWriter:
    """Writes ``status=done`` into the ConfigMap once; counts reconciles per request."""

    def __init__(self) -> None:
        self.seen: Counter[Request] = Counter()
        self.errors = 0

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        self.seen[request] += 1
        try:
            obj = await ctx.reader.get(CMS, request.name, namespace=request.namespace)
        except NotFoundError:
            return None
        if obj.get("data", {}).get("status") == "done":
            return None
        obj.setdefault("data", {})["status"] = "done"
        try:
            await ctx.client.update(CMS, obj)
        except Exception:
            self.errors += 1
            raise
        return None


async def test_owned_secret_events_reconcile_the_owning_configmap(
    cluster: tuple[Simulator, HttpClient],
) -> None:
    _, client = cluster
    manager = manager_for(client)
    reconciler = CountingWriter()
    Controller.build(manager).for_(CMS).owns(SECRETS).complete(reconciler)
    owner = await client.create(CMS, configmap("owner"))
    async with manager:
        request = Request("default", "owner")

        async def done() -> bool:
            return (await client.get(CMS, "owner", namespace="default"))["data"].get("status") == "done"

        await eventually(done)
        before = reconciler.seen[request]
        ref = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": "owner",
            "uid": owner["metadata"]["uid"],
            "controller": True,
        }
        secret: Object = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "child", "namespace": "default", "ownerReferences": [ref]},
        }
        await client.create(SECRETS, secret)
        await eventually(lambda: reconciler.seen[request] == before + 1)
        assert set(reconciler.seen) == {request}


async def test_failing_reconcile_backs_off_and_later_succeeds(cluster: tuple[Simulator, HttpClient]) -> None:
    sim, client = cluster
    manager = manager_for(client)
    reconciler = CountingWriter()
    Controller.build(manager).for_(CMS).with_options(FAST_RETRIES).named("writer").complete(reconciler)
    await client.create(CMS, configmap("a"))
    sim.faults.add(Fault(verb="update", resource="configmaps", code=500, times=3))
    async with manager:

        async def done() -> bool:
            return (await client.get(CMS, "a", namespace="default"))["data"].get("status") == "done"

        await eventually(done)
        assert reconciler.errors == 3
        errors = manager.registry.get_sample_value(
            "controller_runtime_reconcile_errors_total", {"controller": "writer"}
        )
        assert errors == 3


class AlwaysTerminal:
    def __init__(self) -> None:
        self.attempts = 0

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        self.attempts += 1
        raise TerminalError("this ConfigMap can never be reconciled")


async def test_terminal_error_stops_retries(cluster: tuple[Simulator, HttpClient]) -> None:
    _, client = cluster
    manager = manager_for(client)
    reconciler = AlwaysTerminal()
    controller = Controller.build(manager).for_(CMS).with_options(FAST_RETRIES).complete(reconciler)
    await client.create(CMS, configmap("a"))
    async with manager:
        await eventually(lambda: reconciler.attempts == 1)
        queue = controller.queue
        assert queue is not None
        await eventually(lambda: queue.statistics().processing == 0)
        # With 5 ms backoff a retry would have happened many times over by now.
        await asyncio.sleep(0.2)
        assert reconciler.attempts == 1
        assert (queue.statistics().depth, queue.statistics().waiting) == (0, 0)
        terminal = manager.registry.get_sample_value(
            "controller_runtime_terminal_reconcile_errors_total", {"controller": "configmaps"}
        )
        assert terminal == 1


def test_shoal_run_reconciles_against_the_served_simulator(
    served: BackgroundSimulator, kubeconfig_path: Path
) -> None:
    async def create(sim: Simulator) -> None:
        await sim.client().create(CMS, configmap("run-target"))

    async def labelled(sim: Simulator) -> bool:
        obj = await sim.client().get(CMS, "run-target", namespace="default")
        return (obj["metadata"].get("labels") or {}).get("reconciled") == "yes"

    served.run(create)
    repo = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    command = [
        sys.executable,
        "-m",
        "shoal.cli",
        "run",
        "tests.e2e.controller.sample_reconciler:Labeler",
        "--for",
        "v1/ConfigMap",
        "--kubeconfig",
        str(kubeconfig_path),
        "--http-port",
        "0",
    ]
    proc = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not served.run(labelled):
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "shoal run did not reconcile the ConfigMap"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, output.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
