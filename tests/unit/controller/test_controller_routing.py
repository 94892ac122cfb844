"""Event routing: initial-list and resync events are queued low, real changes high; leases can be lost."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shoal.cache import Snapshot
from shoal.client import Client
from shoal.controller import (
    Controller,
    EventRouter,
    Funcs,
    LeaderElectionLostError,
    LeaderElectionOptions,
    Manager,
    ReconcileContext,
    Request,
    Result,
    request_for_object,
)
from shoal.controller._leader import LEASES
from shoal.testing import eventually
from shoal.workqueue import Priority, WorkQueue

from .conftest import CMS, configmap, options


def obj(name: str, rv: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns", "resourceVersion": rv}}


async def test_initial_list_and_resync_are_low_priority_real_changes_high() -> None:
    queue: WorkQueue[Request] = WorkQueue()
    router = EventRouter(queue, request_for_object)
    router.on_add(obj("listed", "1"), True)
    router.on_update(obj("resynced", "2"), obj("resynced", "2"))
    router.on_add(obj("created", "3"), False)
    router.on_update(obj("changed", "4"), obj("changed", "5"))
    router.on_delete(obj("deleted", "6"))
    got = [await queue.get_with_priority() for _ in range(5)]
    assert got[:3] == [
        (Request("ns", "created"), Priority.HIGH),
        (Request("ns", "changed"), Priority.HIGH),
        (Request("ns", "deleted"), Priority.HIGH),
    ]
    assert sorted(got[3:]) == [
        (Request("ns", "listed"), Priority.LOW),
        (Request("ns", "resynced"), Priority.LOW),
    ]


async def test_a_page_of_adds_is_filtered_and_mapped_per_object_and_queued_once() -> None:
    queue: WorkQueue[Request] = WorkQueue()

    def mapper(o: dict[str, Any]) -> list[Request]:
        if o["metadata"]["name"] == "broken":
            raise ValueError("mapper bug")
        return [Request("ns", "owner"), Request.of(o)]

    skip_odd = Funcs(on_create=lambda o: int(o["metadata"]["resourceVersion"]) % 2 == 0)
    router = EventRouter(queue, mapper, [skip_odd])
    page = [obj("a", "2"), obj("b", "3"), obj("broken", "4"), obj("c", "6")]
    router.on_add_all([Snapshot(o) for o in page], True)
    got = [await queue.get_with_priority() for _ in range(len(queue))]
    assert got == [(Request("ns", n), Priority.LOW) for n in ("owner", "a", "c")]

    plain = EventRouter(queue, request_for_object)
    plain.on_add_all([Snapshot(obj("d", "7")), Snapshot(obj("e", "8"))], False)
    assert [await queue.get_with_priority() for _ in range(2)] == [
        (Request("ns", "d"), Priority.HIGH),
        (Request("ns", "e"), Priority.HIGH),
    ]


class Noop:
    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        return None


async def test_a_leader_that_cannot_renew_stops(client: Client) -> None:
    election = LeaderElectionOptions(
        name="lost",
        namespace="default",
        identity="me",
        lease_duration=2.0,
        renew_deadline=0.3,
        retry_period=0.05,
    )
    manager = Manager(client, options=options(leader_election=election))
    Controller.build(manager).for_(CMS).complete(Noop())
    await client.create(CMS, configmap("a"))
    with pytest.RaisesGroup(LeaderElectionLostError, flatten_subgroups=True):
        async with asyncio.TaskGroup() as tg:
            run = tg.create_task(manager.run())
            await manager.elected.wait()
            lease = await client.get(LEASES, "lost", namespace="default")
            lease["spec"]["holderIdentity"] = "someone-else"
            await client.update(LEASES, lease)
            await eventually(run.done)
