"""kopf, unmodified, runs an operator against the simulator's HTTP door.

kopf is started as its own process (``python -m kopf run --standalone -A``) reading the kubeconfig the
server fixture wrote. The test drives objects through Shoal's HttpClient and waits by watching them
until the status and finalizers kopf writes appear (or the objects disappear), never by sleeping.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from shoal.api import GVR, NotFoundError, Object
from shoal.client import HttpClient

pytestmark = [pytest.mark.kopf, pytest.mark.slow]

HERE = Path(__file__).parent
CRDS = GVR("apiextensions.k8s.io", "v1", "customresourcedefinitions")
GADGETS = GVR("kopf.shoal.test", "v1", "gadgets")
FINALIZER = "kopf.zalando.org/KopfFinalizerMarker"
COUNT = 100
DEADLINE = 45.0

GADGET_CRD: Object = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.kopf.shoal.test"},
    "spec": {
        "group": "kopf.shoal.test",
        "scope": "Namespaced",
        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                },
            }
        ],
    },
}

Condition = Callable[[Object | None], bool]


async def wait_for_all(client: HttpClient, names: set[str], condition: Condition, what: str) -> None:
    """List, then watch from the list's resourceVersion, until ``condition`` holds for every name.

    ``condition`` receives the object's latest state, or None once it was deleted.
    """
    listed = await client.list(GADGETS, namespace="default")
    state: dict[str, Object | None] = dict.fromkeys(names)
    for item in listed["items"]:
        if item["metadata"]["name"] in names:
            state[item["metadata"]["name"]] = item
    pending = {n for n in names if not condition(state[n])}
    if not pending:
        return
    try:
        async with asyncio.timeout(DEADLINE):
            async for event in client.watch(
                GADGETS, namespace="default", resource_version=listed["metadata"]["resourceVersion"]
            ):
                name = event.object["metadata"]["name"]
                if name not in names:
                    continue
                state[name] = None if event.type == "DELETED" else event.object
                if condition(state[name]):
                    pending.discard(name)
                else:
                    pending.add(name)
                if not pending:
                    return
    except TimeoutError:
        sample = sorted(pending)[:3]
        pytest.fail(f"{len(pending)} gadgets never reached {what}; e.g. {[state[n] for n in sample]}")
    pytest.fail(f"the watch ended with {len(pending)} gadgets short of {what}")


def reconciled(size: int, phase: str) -> Condition:
    def check(obj: Object | None) -> bool:
        if obj is None:
            return False
        status = obj.get("status") or {}
        finalizers = obj["metadata"].get("finalizers") or []
        return status.get("phase") == phase and status.get("observedSize") == size and FINALIZER in finalizers

    return check


def gone(obj: Object | None) -> bool:
    return obj is None


@pytest.fixture
async def kopf_operator(kubeconfig_path: Path, tmp_path: Path) -> AsyncIterator[Path]:
    """kopf running the gadget operator; yields its log file (shown when the test fails)."""
    log_path = tmp_path / "kopf.log"
    env = {**os.environ, "KUBECONFIG": str(kubeconfig_path), "HOME": str(tmp_path)}
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kopf",
            "run",
            "--standalone",
            "-A",
            str(HERE / "gadget_operator.py"),
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )
        try:
            yield log_path
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            # Captured by pytest and shown only when the test fails.
            sys.stdout.write(log_path.read_text(errors="replace")[-6000:])


async def test_kopf_reconciles_updates_and_finalizes_100_gadgets(
    shoal_client: HttpClient, kopf_operator: Path
) -> None:
    client = shoal_client
    await client.create(CRDS, GADGET_CRD)
    names = {f"gadget-{i:03d}" for i in range(COUNT)}
    async with asyncio.TaskGroup() as tg:
        for name in sorted(names):
            body = {
                "apiVersion": "kopf.shoal.test/v1",
                "kind": "Gadget",
                "metadata": {"name": name},
                "spec": {"size": 1},
            }
            tg.create_task(client.create(GADGETS, body, namespace="default"))
    await wait_for_all(client, names, reconciled(1, "Created"), "phase Created with kopf's finalizer")

    async with asyncio.TaskGroup() as tg:
        for name in sorted(names):
            tg.create_task(client.patch(GADGETS, name, {"spec": {"size": 2}}, namespace="default"))
    await wait_for_all(client, names, reconciled(2, "Updated"), "phase Updated with size 2")

    async with asyncio.TaskGroup() as tg:
        for name in sorted(names):
            tg.create_task(client.delete(GADGETS, name, namespace="default"))
    await wait_for_all(client, names, gone, "deletion (kopf removing its finalizer)")
    with pytest.raises(NotFoundError):
        await client.get(GADGETS, "gadget-000", namespace="default")
