"""Helpers shared by the conformance tests: resource names, object builders, polling and watch reading.

Everything here speaks the Client protocol only, so each test runs unchanged through every door of the
simulator (in-process and HTTP) and, in principle, against a real apiserver.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from shoal.api import GVR, NotFoundError, Object, WatchEvent
from shoal.client import Client

NAMESPACES = GVR("", "v1", "namespaces")
CONFIGMAPS = GVR("", "v1", "configmaps")
SECRETS = GVR("", "v1", "secrets")
PODS = GVR("", "v1", "pods")
DEPLOYMENTS = GVR("apps", "v1", "deployments")
STATEFUL_SETS = GVR("apps", "v1", "statefulsets")
DAEMON_SETS = GVR("apps", "v1", "daemonsets")
JOBS = GVR("batch", "v1", "jobs")
CRON_JOBS = GVR("batch", "v1", "cronjobs")
CRDS = GVR("apiextensions.k8s.io", "v1", "customresourcedefinitions")

GROUP = "conformance.shoal.dev"
GENERATED_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
T = TypeVar("T")

HOLD = "conformance.shoal.dev/hold"
"""A finalizer no controller owns: it keeps an object alive until the test removes it."""


async def is_gone(client: Client, resource: GVR, name: str, namespace: str | None = None) -> bool:
    """True when GET answers 404."""
    try:
        await client.get(resource, name, namespace=namespace)
    except NotFoundError:
        return True
    return False


async def names(client: Client, resource: GVR, namespace: str | None = None, **options: Any) -> set[str]:
    """The names a LIST returns."""
    listing = await client.list(resource, namespace=namespace, **options)
    return {item["metadata"]["name"] for item in listing["items"]}


def rv(obj: Object) -> int:
    """An object's resourceVersion as a number (the simulator's are etcd-like revisions)."""
    return int(obj["metadata"]["resourceVersion"])


def configmap(
    name: str,
    namespace: str | None = None,
    *,
    data: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    **metadata: Any,
) -> Object:
    meta: dict[str, Any] = {"name": name, **metadata}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": dict(data or {})}


def pod(
    name: str,
    namespace: str,
    *,
    node_name: str | None = None,
    labels: dict[str, str] | None = None,
    grace_seconds: int | None = None,
) -> Object:
    spec: dict[str, Any] = {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10"}]}
    if node_name:
        spec["nodeName"] = node_name
    if grace_seconds is not None:
        spec["terminationGracePeriodSeconds"] = grace_seconds
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def deployment(
    name: str, namespace: str, *, replicas: int = 1, containers: list[Object] | None = None
) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": containers or [{"name": "main", "image": "nginx:1.27"}]},
            },
        },
    }


def _pod_template(labels: dict[str, str] | None, restart_policy: str | None = None) -> Object:
    spec: dict[str, Any] = {"containers": [{"name": "main", "image": "busybox:1.37"}]}
    if restart_policy is not None:
        spec["restartPolicy"] = restart_policy
    return {"metadata": {"labels": labels}, "spec": spec} if labels else {"spec": spec}


def stateful_set(name: str, namespace: str, *, replicas: int = 1) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "serviceName": name,
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": _pod_template({"app": name}),
        },
    }


def daemon_set(name: str, namespace: str) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": _pod_template({"app": name})},
    }


def job_spec(restart_policy: str | None = "Never", labels: dict[str, str] | None = None) -> Object:
    """A Job's spec without a selector (the server generates one)."""
    return {"template": _pod_template(labels, restart_policy)}


def job(name: str, namespace: str, **spec: Any) -> Object:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {**job_spec(), **spec},
    }


def cron_job(name: str, namespace: str, *, schedule: str = "*/5 * * * *") -> Object:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"schedule": schedule, "jobTemplate": {"spec": job_spec("OnFailure")}},
    }


def owner_reference(owner: Object, *, block: bool = False) -> Object:
    ref: dict[str, Any] = {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
    }
    if block:
        ref["blockOwnerDeletion"] = True
    return ref


def crd(plural: str, kind: str, *, scope: str = "Namespaced", status: bool = True) -> Object:
    """A v1 CustomResourceDefinition in the conformance group, served as ``v1``."""
    open_object = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    version: dict[str, Any] = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {
            "openAPIV3Schema": {"type": "object", "properties": {"spec": open_object, "status": open_object}}
        },
    }
    if status:
        version["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": scope,
            "names": {
                "plural": plural,
                "singular": kind.lower(),
                "kind": kind,
                "listKind": f"{kind}List",
            },
            "versions": [version],
        },
    }


async def register_crd(
    client: Client, plural: str, kind: str, *, scope: str = "Namespaced", status: bool = True
) -> GVR:
    """Create the CRD and return the resource it serves."""
    await client.create(CRDS, crd(plural, kind, scope=scope, status=status))
    return GVR(GROUP, "v1", plural)


def custom(kind: str, name: str, namespace: str | None = None, *, spec: Object | None = None) -> Object:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": f"{GROUP}/v1", "kind": kind, "metadata": meta, "spec": dict(spec or {})}


class EventReader:
    """Reads a watch stream with a bound on every wait, so a missing event fails instead of hanging."""

    def __init__(self, stream: AsyncIterator[WatchEvent]) -> None:
        self.stream = stream

    async def next(self, within: float = 5.0) -> WatchEvent:
        async with asyncio.timeout(within):
            return await anext(self.stream)

    async def take(self, count: int, *, within: float = 5.0) -> list[WatchEvent]:
        """The next ``count`` events, BOOKMARKs left out."""
        out: list[WatchEvent] = []
        async with asyncio.timeout(within):
            while len(out) < count:
                event = await anext(self.stream)
                if event.type != "BOOKMARK":
                    out.append(event)
        return out

    async def until(self, stop: Callable[[WatchEvent], bool], *, within: float = 5.0) -> list[WatchEvent]:
        """Every event (BOOKMARKs left out) up to, not including, the first one ``stop`` accepts."""
        out: list[WatchEvent] = []
        async with asyncio.timeout(within):
            async for event in self.stream:
                if stop(event):
                    return out
                if event.type != "BOOKMARK":
                    out.append(event)
        raise AssertionError(f"the stream ended before the expected event; got {summary(out)}")

    async def rest(self, *, within: float = 10.0) -> list[WatchEvent]:
        """Every event until the server ends the stream, BOOKMARKs included."""
        out: list[WatchEvent] = []
        async with asyncio.timeout(within):
            out.extend([event async for event in self.stream])
        return out


@asynccontextmanager
async def watching(client: Client, resource: GVR, **options: Any) -> AsyncIterator[EventReader]:
    """Open a watch and close it when the block ends."""
    stream = client.watch(resource, **options)
    try:
        yield EventReader(stream)
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()


def summary(events: list[WatchEvent]) -> list[tuple[str, str]]:
    """``(type, name)`` per event: what most stream assertions compare."""
    return [(e.type, e.object.get("metadata", {}).get("name", "")) for e in events]


def is_added(name: str) -> Callable[[WatchEvent], bool]:
    return lambda e: e.type == "ADDED" and e.object["metadata"]["name"] == name


async def events_before_marker(
    client: Client, reader: EventReader, namespace: str, *, labels: dict[str, str] | None = None
) -> list[WatchEvent]:
    """Create a marker ConfigMap and return what the watch delivers before the marker's ADDED.

    Later changes arrive after earlier ones, so this proves nothing was left out or repeated without
    waiting for silence.
    """
    marker = await client.create(CONFIGMAPS, configmap("zz-marker", namespace, labels=labels))
    assert marker["metadata"]["name"] == "zz-marker"
    return await reader.until(is_added("zz-marker"))


Snapshot = dict[tuple[str, str, str], str]
SNAPSHOT_RESOURCES = (NAMESPACES, CONFIGMAPS, SECRETS, PODS, DEPLOYMENTS, CRDS)


async def snapshot(client: Client, *extra: GVR) -> Snapshot:
    """Every object the tests may touch, keyed by resource/namespace/name, valued by resourceVersion."""
    out: Snapshot = {}
    for resource in (*SNAPSHOT_RESOURCES, *extra):
        listing = await client.list(resource)
        for item in listing["items"]:
            meta = item["metadata"]
            out[(str(resource), meta.get("namespace", ""), meta["name"])] = meta["resourceVersion"]
    return out
