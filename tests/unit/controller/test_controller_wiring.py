"""Builder wiring: owned objects map to their owner, mappers and predicates filter, the context works."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import pytest

from shoal.api import Object
from shoal.client import Client
from shoal.controller import (
    GENERATION_CHANGED,
    Controller,
    Funcs,
    Manager,
    ReconcileContext,
    Request,
    Result,
)
from shoal.testing import eventually

from .conftest import CMS, EVENTS, SECRETS, configmap


class Counting:
    def __init__(self) -> None:
        self.seen: Counter[Request] = Counter()
        self.contexts: list[ReconcileContext] = []

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        self.seen[request] += 1
        self.contexts.append(ctx)
        return None


def owned_secret(name: str, owner: Object, *, controller: bool = True) -> dict[str, Any]:
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
    }
    meta = {"name": name, "namespace": "default", "ownerReferences": [ref]}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": {}}


async def test_owned_object_events_map_to_the_owner(client: Client, manager: Manager) -> None:
    reconciler = Counting()
    Controller.build(manager).for_(CMS).owns(SECRETS).complete(reconciler)
    owner = await client.create(CMS, configmap("owner"))
    await client.create(CMS, configmap("bystander"))
    async with manager:
        owner_req, bystander = Request("default", "owner"), Request("default", "bystander")
        await eventually(lambda: reconciler.seen[owner_req] >= 1 and reconciler.seen[bystander] == 1)
        before = reconciler.seen[owner_req]
        await client.create(SECRETS, owned_secret("child", owner))
        await eventually(lambda: reconciler.seen[owner_req] == before + 1)
        await client.create(SECRETS, owned_secret("not-controlled", owner, controller=False))
        await client.delete(SECRETS, "child", namespace="default")
        await eventually(lambda: reconciler.seen[owner_req] == before + 2)
        assert reconciler.seen[bystander] == 1
        assert set(reconciler.seen) == {owner_req, bystander}


async def test_watches_mapper_and_predicates(client: Client, manager: Manager) -> None:
    reconciler = Counting()

    def secret_to_configmaps(obj: Object) -> list[Request]:
        target = obj["metadata"].get("annotations", {}).get("for")
        return [Request("default", target)] if target else []

    only_data_x = Funcs(on_create=lambda o: o.get("data", {}).get("x") == "1")
    (
        Controller.build(manager)
        .for_(CMS, predicates=[only_data_x])
        .watches(SECRETS, secret_to_configmaps)
        .named("mapped")
        .complete(reconciler)
    )
    await client.create(CMS, configmap("skipped", x="0"))
    await client.create(CMS, configmap("kept", x="1"))
    async with manager:
        await eventually(lambda: reconciler.seen[Request("default", "kept")] == 1)
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s", "namespace": "default", "annotations": {"for": "skipped"}},
        }
        await client.create(SECRETS, secret)
        await eventually(lambda: reconciler.seen[Request("default", "skipped")] == 1)


async def test_generation_changed_drops_status_and_metadata_only_updates(
    client: Client, manager: Manager
) -> None:
    reconciler = Counting()
    Controller.build(manager).for_(SECRETS).with_predicates(GENERATION_CHANGED).complete(reconciler)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default"}}
    await client.create(SECRETS, secret)
    async with manager:
        request = Request("default", "s")
        await eventually(lambda: reconciler.seen[request] == 1)
        current = await client.get(SECRETS, "s", namespace="default")
        current["metadata"]["labels"] = {"touched": "yes"}
        await client.update(SECRETS, current)
        # A deletion is always let through: once it arrives, the label-only update must not have been.
        await client.delete(SECRETS, "s", namespace="default")
        await eventually(lambda: reconciler.seen[request] == 2)


class UsesContext:
    def __init__(self) -> None:
        self.memo_sizes: list[int] = []
        self.ids: list[str] = []

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        self.memo_sizes.append(len(ctx.memo))
        obj = await ctx.memo.get(
            ("cm", request), lambda: ctx.reader.get(CMS, request.name, namespace=request.namespace)
        )
        again = await ctx.memo.get(("cm", request), lambda: ctx.reader.get(CMS, "other", namespace="x"))
        assert again is obj
        ctx.log.info("reconciling")
        self.ids.append(ctx.reconcile_id)
        await ctx.recorder.event(obj, "Normal", "Synced", "all good")
        return None


async def test_reconcile_context(client: Client, manager: Manager, caplog: pytest.LogCaptureFixture) -> None:
    reconciler = UsesContext()
    Controller.build(manager).for_(CMS).named("ctx").complete(reconciler)
    await client.create(CMS, configmap("a"))
    await client.create(CMS, configmap("b"))
    with caplog.at_level(logging.INFO, logger="shoal.controller"):
        async with manager:
            await eventually(lambda: len(reconciler.ids) == 2)

            async def two_events() -> bool:
                return len((await client.list(EVENTS, namespace="default"))["items"]) == 2

            await eventually(two_events)
    assert reconciler.memo_sizes == [0, 0], "each reconcile gets a fresh memo"
    assert len(set(reconciler.ids)) == 2
    events = (await client.list(EVENTS, namespace="default"))["items"]
    assert {e["involvedObject"]["name"] for e in events} == {"a", "b"}
    assert {(e["reason"], e["type"], e["source"]["component"]) for e in events} == {
        ("Synced", "Normal", "ctx")
    }
    lines = [r.getMessage() for r in caplog.records if "reconciling" in r.getMessage()]
    assert any(f"[ctx default/a {i}]" in line for line in lines for i in reconciler.ids)


def test_builder_rejects_mistakes(manager: Manager) -> None:
    with pytest.raises(ValueError, match="only once"):
        Controller.build(manager).for_(CMS).for_(SECRETS)
    with pytest.raises(ValueError, match="at least one"):
        Controller.build(manager).complete(Counting())
    with pytest.raises(ValueError, match="must be named"):
        Controller.build(manager).watches(SECRETS, lambda o: []).complete(Counting())
    Controller.build(manager).for_(CMS).complete(Counting())
    with pytest.raises(ValueError, match="already exists"):
        Controller.build(manager).for_(CMS).complete(Counting())
