"""A rejected write leaves the store exactly as it was (invariant 7), over random operation sequences."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from hypothesis import given, settings, strategies as st

from shoal.api import ApiError, PatchType, Preconditions
from shoal.client import Client
from shoal.sim import Simulator

from ._helpers import CONFIGMAPS, DEPLOYMENTS, PODS, configmap

Op = Callable[[Client, str], Awaitable[Any]]


async def _current_rv(client: Client, name: str) -> str:
    try:
        obj = await client.get(CONFIGMAPS, name, namespace="default")
    except ApiError:
        return "1"
    return str(obj["metadata"]["resourceVersion"])


def _ops() -> dict[str, Op]:
    async def update(client: Client, name: str, *, stale: bool) -> Any:
        rv = "1" if stale else await _current_rv(client, name)
        body = configmap(name, resourceVersion=rv)
        body["data"] = {"v": rv}
        return await client.update(CONFIGMAPS, body)

    deployment = {
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }
    return {
        "create": lambda c, n: c.create(CONFIGMAPS, configmap(n)),
        "create bad name": lambda c, n: c.create(CONFIGMAPS, configmap(n.upper() + "_")),
        "create bad label": lambda c, n: c.create(CONFIGMAPS, configmap(n, labels={"k": "not ok!"})),
        "create missing namespace": lambda c, n: c.create(CONFIGMAPS, configmap(n, "nowhere")),
        "update": lambda c, n: update(c, n, stale=False),
        "update stale": lambda c, n: update(c, n, stale=True),
        "patch": lambda c, n: c.patch(CONFIGMAPS, n, {"data": {"p": n}}, namespace="default"),
        "patch bad label": lambda c, n: c.patch(
            CONFIGMAPS, n, {"metadata": {"labels": {"-x": "y"}}}, namespace="default"
        ),
        "json patch failing test": lambda c, n: c.patch(
            CONFIGMAPS,
            n,
            [{"op": "add", "path": "/data", "value": {}}, {"op": "test", "path": "/data/q", "value": 1}],
            patch_type=PatchType.JSON,
            namespace="default",
        ),
        "patch rename": lambda c, n: c.patch(
            CONFIGMAPS, n, {"metadata": {"name": "other"}}, namespace="default"
        ),
        "status of a kind without status": lambda c, n: c.update_status(CONFIGMAPS, configmap(n)),
        "delete": lambda c, n: c.delete(CONFIGMAPS, n, namespace="default"),
        "delete wrong uid": lambda c, n: c.delete(
            CONFIGMAPS, n, namespace="default", preconditions=Preconditions(uid="nope")
        ),
        "finalize": lambda c, n: c.patch(
            CONFIGMAPS, n, {"metadata": {"finalizers": ["unit/hold"]}}, namespace="default"
        ),
        "unfinalize": lambda c, n: c.patch(
            CONFIGMAPS, n, {"metadata": {"finalizers": None}}, namespace="default"
        ),
        "pod without containers": lambda c, n: c.create(
            PODS, {"metadata": {"name": n, "namespace": "default"}, "spec": {"containers": []}}
        ),
        "deployment": lambda c, n: c.create(DEPLOYMENTS, deployment),
        "deployment negative replicas": lambda c, n: c.patch(
            DEPLOYMENTS, "d", {"spec": {"replicas": -1}}, namespace="default"
        ),
        "apply without manager": lambda c, n: c.patch(
            CONFIGMAPS, n, configmap(n), patch_type=PatchType.APPLY, namespace="default"
        ),
    }


OPS = _ops()


def _state(sim: Simulator) -> tuple[Any, ...]:
    storages = sorted({info.storage for info in sim.resources.all()})
    return (
        sim.store.revision,
        {s: dict(sim.store.objects(s)) for s in storages},
        sim.resources.revision,
    )


async def _run(steps: list[tuple[str, str]]) -> int:
    rejected = 0
    async with Simulator() as sim:
        client = sim.client()
        for op, name in steps:
            before = _state(sim)
            try:
                await OPS[op](client, name)
            except ApiError:
                rejected += 1
                assert _state(sim) == before, f"{op} on {name} was rejected but changed the store"
    return rejected


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(sorted(OPS)), st.sampled_from(["a", "b"])), min_size=1, max_size=25)
)
def test_a_rejected_write_changes_nothing(steps: list[tuple[str, str]]) -> None:
    asyncio.run(_run(steps))


def test_the_operations_do_get_rejected() -> None:
    steps = [("create", "a"), ("update stale", "a"), ("create bad name", "a"), ("deployment", "a")]
    steps += [("deployment negative replicas", "a"), ("finalize", "a"), ("delete", "a"), ("finalize", "a")]
    assert asyncio.run(_run(steps)) == 3
