"""``shoal demo``: the embedded simulator at work, in one screen.

It starts a simulator in this process, watches five kinds in a fresh namespace (a ConfigMap, a Secret,
a Pod, a CustomResourceDefinition and one of its custom resources), performs the writes a controller
would (create, update, status update, patch, delete with a finalizer, a rejected stale update) and
prints every watch event with its resourceVersion, so the store's guarantees are visible: one global
revision, each change delivered once and in order, status apart from spec, finalizers honoured.
With ``--keep-running`` the simulator is then served over HTTP for kubectl until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from rich.console import Console
from rich.table import Table

from shoal.api import GVR, ConflictError, Object, WatchEvent
from shoal.sim import SimClient, Simulator, serve

NAMESPACE = "demo"
NAMESPACES = GVR("", "v1", "namespaces")
CONFIGMAPS = GVR("", "v1", "configmaps")
SECRETS = GVR("", "v1", "secrets")
PODS = GVR("", "v1", "pods")
CRDS = GVR("apiextensions.k8s.io", "v1", "customresourcedefinitions")
GADGETS = GVR("demo.shoal.dev", "v1", "gadgets")
WATCHED = (CONFIGMAPS, SECRETS, PODS, GADGETS)
EXPECTED_EVENTS = 12

GADGET_CRD: Object = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.demo.shoal.dev"},
    "spec": {
        "group": "demo.shoal.dev",
        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "shortNames": ["gd"]},
        "scope": "Namespaced",
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


def _describe(event: WatchEvent) -> str:
    obj, m = event.object, event.object["metadata"]
    if event.type == "DELETED":
        return "removed from the store"
    parts = []
    if "generation" in m:
        parts.append(f"generation {m['generation']}")
    status = obj.get("status") or {}
    if status:
        parts.append("status " + ", ".join(f"{k}={v}" for k, v in sorted(status.items())))
    if m.get("deletionTimestamp"):
        parts.append(f"deleting, held by {m.get('finalizers') or []}")
    if obj.get("data"):
        parts.append(f"data keys {sorted(obj['data'])}")
    return ", ".join(parts)


async def _watch(client: SimClient, resource: GVR, start: str, sink: list[WatchEvent]) -> None:
    async for event in client.watch(resource, namespace=NAMESPACE, resource_version=start):
        sink.append(event)  # noqa: PERF401 (the stream runs until cancelled)


async def _scenario(client: SimClient, notes: list[str]) -> None:
    cm = await client.create(
        CONFIGMAPS, {"metadata": {"name": "settings", "namespace": NAMESPACE}, "data": {"color": "blue"}}
    )
    await client.create(
        SECRETS, {"metadata": {"name": "token", "namespace": NAMESPACE}, "stringData": {"token": "s3cr3t"}}
    )
    pod = {
        "metadata": {"name": "web", "namespace": NAMESPACE, "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
    }
    await client.create(PODS, pod)
    gadget = {
        "apiVersion": "demo.shoal.dev/v1",
        "kind": "Gadget",
        "metadata": {"name": "g1", "namespace": NAMESPACE, "finalizers": ["demo.shoal.dev/cleanup"]},
        "spec": {"size": 1},
    }
    await client.create(GADGETS, gadget)

    cm["data"]["color"] = "green"
    await client.update(CONFIGMAPS, cm)
    try:
        await client.update(CONFIGMAPS, cm)
    except ConflictError as exc:
        notes.append(f"stale update rejected: 409 {exc.message}")
    await client.patch_status(PODS, "web", {"status": {"phase": "Running"}}, namespace=NAMESPACE)
    await client.patch(GADGETS, "g1", {"spec": {"size": 3}}, namespace=NAMESPACE)
    await client.patch_status(GADGETS, "g1", {"status": {"ready": True}}, namespace=NAMESPACE)
    await client.delete(GADGETS, "g1", namespace=NAMESPACE)
    notes.append("gadget g1 deleted: held by its finalizer until a controller removes it")
    await client.patch(GADGETS, "g1", {"metadata": {"finalizers": None}}, namespace=NAMESPACE)
    await client.delete(SECRETS, "token", namespace=NAMESPACE)
    await client.delete(PODS, "web", namespace=NAMESPACE)


async def _settle(sink: list[WatchEvent], expected: int) -> None:
    for _ in range(200):
        if len(sink) >= expected:
            return
        await asyncio.sleep(0.01)


async def _run(keep_running: bool) -> int:
    console = Console()
    async with Simulator() as sim:
        client = sim.client(user_agent="shoal-demo")
        await client.create(NAMESPACES, {"metadata": {"name": NAMESPACE}})
        crd = await client.create(CRDS, GADGET_CRD)
        established = [c["type"] for c in crd["status"]["conditions"] if c["status"] == "True"]
        notes = [f"CRD {crd['metadata']['name']} created: {', '.join(established)}; gadgets served at once"]
        start = str(sim.store.revision)
        events: list[WatchEvent] = []
        async with asyncio.TaskGroup() as tasks:
            streams = [tasks.create_task(_watch(client, r, start, events)) for r in WATCHED]
            await _scenario(client, notes)
            await _settle(events, EXPECTED_EVENTS)
            for stream in streams:
                stream.cancel()
        events.sort(key=lambda e: int(e.object["metadata"]["resourceVersion"]))
        table = Table(
            title=f"watch events in namespace {NAMESPACE!r} (store revision now {sim.store.revision})"
        )
        for column in ("rv", "event", "kind", "name", "what the object says"):
            table.add_column(column)
        for event in events:
            m = event.object["metadata"]
            table.add_row(m["resourceVersion"], event.type, event.object["kind"], m["name"], _describe(event))
        console.print(table)
        for note in notes:
            console.print(f"• {note}")
        console.print(
            f"• requests served: {sim.accounting.count(user_agent='shoal-demo')}, "
            f"writes: {sim.accounting.writes(user_agent='shoal-demo')}"
        )
        if keep_running:
            await _serve_until_interrupted(sim, console)
    return 0


async def _serve_until_interrupted(sim: Simulator, console: Console) -> None:
    async with serve(sim) as served:
        path = served.write_kubeconfig()
        console.print(f"serving at {served.url}; try: {served.kubectl_hint(path)}  (Ctrl-C stops)")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()


def run_demo(keep_running: bool = False) -> int:
    """Entry point of ``shoal demo``; returns the exit code."""
    return asyncio.run(_run(keep_running))
