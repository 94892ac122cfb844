"""Requeue priority (``Result.priority``), the aging threshold option, and the lazily built context."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict

import pytest

from shoal.client import Client
from shoal.controller import Controller, ControllerOptions, Manager, ReconcileContext, Request, Result
from shoal.fanout import Memo
from shoal.testing import eventually
from shoal.workqueue import Priority

from .conftest import CMS, configmap


class RequeueTwice:
    """Requeues each request once (at ``requeue_priority``), recording the priority of every reconcile."""

    def __init__(self, requeue_priority: int | None) -> None:
        self.requeue_priority = requeue_priority
        self.priorities: defaultdict[Request, list[int]] = defaultdict(list)

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        self.priorities[request].append(ctx.priority)
        if len(self.priorities[request]) == 1:
            return Result(requeue_after=0.001, priority=self.requeue_priority)
        return None


@pytest.mark.parametrize(
    ("requeue_priority", "expected"),
    [(None, [Priority.LOW, Priority.LOW]), (Priority.HIGH, [Priority.LOW, Priority.HIGH])],
)
async def test_requeue_keeps_the_priority_unless_the_result_names_one(
    client: Client, manager: Manager, requeue_priority: int | None, expected: list[int]
) -> None:
    reconciler = RequeueTwice(requeue_priority)
    Controller.build(manager).for_(CMS).named("requeue").complete(reconciler)
    await client.create(CMS, configmap("a"))  # in the initial list: queued at LOW
    async with manager:
        request = Request("default", "a")
        await eventually(lambda: len(reconciler.priorities[request]) == 2)
    assert reconciler.priorities[request] == expected


async def test_aging_threshold_reaches_the_work_queue(client: Client, manager: Manager) -> None:
    reconciler = RequeueTwice(None)
    controller = (
        Controller.build(manager)
        .for_(CMS)
        .named("aging")
        .with_options(ControllerOptions(aging_threshold=0.25))
        .complete(reconciler)
    )
    async with manager:
        await eventually(lambda: controller.queue is not None)
        assert controller.queue is not None
        assert controller.queue.aging_threshold == 0.25
    with pytest.raises(ValueError, match="aging_threshold"):
        ControllerOptions(aging_threshold=0)


def test_context_parts_are_built_on_first_use_and_ids_are_unique(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    from shoal.cache import Cache

    cache = Cache(client)
    contexts = [
        ReconcileContext(
            client=client,
            reader=cache.reader,
            recorder=None,  # type: ignore[arg-type]
            controller="c",
            request=Request("ns", f"n{i}"),
        )
        for i in range(1000)
    ]
    ids = [ctx.reconcile_id for ctx in contexts]
    assert len(set(ids)) == len(ids)
    assert all(str(uuid.UUID(i)) == i for i in ids), "reconcile ids are UUID-shaped"
    ctx = contexts[0]
    assert ctx.reconcile_id == ids[0], "the id is stable"
    assert isinstance(ctx.memo, Memo)
    assert ctx.memo is ctx.memo
    assert ctx.memo is not contexts[1].memo
    with caplog.at_level(logging.INFO, logger="shoal.controller"):
        ctx.log.info("hello")
    record = caplog.records[-1]
    assert record.reconcile_id == ids[0]  # type: ignore[attr-defined]
    assert record.request == "ns/n0"  # type: ignore[attr-defined]
    assert f"[c ns/n0 {ids[0]}] hello" in record.getMessage()
    with pytest.raises(AttributeError):
        ctx.priority = 3  # type: ignore[misc]
