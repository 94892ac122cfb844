"""Watch streams: queue overflow, selector transitions, bookmarks, initial events, timeouts, drops."""

from __future__ import annotations

import asyncio

import pytest

from shoal.api import GoneError, InvalidError, WatchEvent
from shoal.api._fields import FieldSelector
from shoal.api._selectors import LabelSelector
from shoal.sim import INITIAL_EVENTS_END, Change, Fault, Simulator, Watcher

from ._helpers import CONFIGMAPS, configmap


def _cm(name: str, rv: int, **labels: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", "resourceVersion": str(rv), "labels": labels},
    }


def test_event_for_turns_selector_transitions_into_added_and_deleted() -> None:
    watcher = Watcher(
        "configmaps",
        namespace="default",
        labels=LabelSelector.parse("app=web"),
        fields=FieldSelector.everything(),
    )
    web, db = _cm("a", 1, app="web"), _cm("a", 2, app="db")
    leave = watcher.event_for(Change(2, "MODIFIED", db, web))
    assert leave is not None
    assert leave.type == "DELETED"
    # The apiserver's cacher sends the last matching state, stamped with the change's revision.
    assert leave.object["metadata"]["labels"] == {"app": "web"}
    assert leave.object["metadata"]["resourceVersion"] == "2"
    enter = watcher.event_for(Change(3, "MODIFIED", _cm("a", 3, app="web"), db))
    assert enter is not None
    assert enter.type == "ADDED"
    assert watcher.event_for(Change(4, "MODIFIED", _cm("a", 4, app="db"), db)) is None
    other_ns = {**db, "metadata": {**db["metadata"], "namespace": "other", "labels": {"app": "web"}}}  # type: ignore[dict-item]
    assert watcher.event_for(Change(5, "ADDED", other_ns, None)) is None


async def test_a_watcher_that_falls_behind_is_closed_with_410() -> None:
    sim = Simulator(watch_queue_size=3)
    client = sim.client()
    stream = client.watch(CONFIGMAPS, resource_version=str(sim.store.revision))
    first = asyncio.ensure_future(anext(stream))
    for _ in range(5):
        await asyncio.sleep(0)
    assert sim.store.watcher_count("configmaps") == 1
    for i in range(10):
        sim.server.create(sim.resources.for_storage("configmaps"), configmap(f"cm-{i}"))  # type: ignore[arg-type]
    with pytest.raises(GoneError, match="fell too far behind"):
        await first
    await stream.aclose()
    assert sim.store.watcher_count("configmaps") == 0


async def test_bookmarks_when_idle_and_at_the_end_of_initial_events() -> None:
    sim = Simulator(bookmark_interval=0.01)
    client = sim.client()
    await client.create(CONFIGMAPS, configmap("a"))
    events: list[WatchEvent] = []
    async for event in client.watch(
        CONFIGMAPS, namespace="default", send_initial_events=True, allow_bookmarks=True, timeout_seconds=5
    ):
        events.append(event)
        if len(events) == 3:
            break
    assert [e.type for e in events] == ["ADDED", "BOOKMARK", "BOOKMARK"]
    end = events[1].object
    assert end["metadata"]["annotations"] == {INITIAL_EVENTS_END: "true"}
    assert end["metadata"]["resourceVersion"] == str(sim.store.revision)
    assert end["kind"] == "ConfigMap"
    assert "annotations" not in events[2].object["metadata"]


async def test_send_initial_events_needs_not_older_than() -> None:
    sim = Simulator()
    with pytest.raises(InvalidError):
        async for _ in sim.client().watch(
            CONFIGMAPS, send_initial_events=True, resource_version_match="Exact"
        ):
            pass


async def test_timeout_ends_the_stream() -> None:
    sim = Simulator()
    seen = [e async for e in sim.client().watch(CONFIGMAPS, resource_version="1", timeout_seconds=0.05)]
    assert seen == []
    assert sim.store.watcher_count("configmaps") == 0


async def test_watch_drop_fault_ends_streams_after_n_events() -> None:
    sim = Simulator()
    client = sim.client()
    for name in "abcd":
        await client.create(CONFIGMAPS, configmap(name))
    sim.faults.add(Fault(verb="watch", resource="configmaps", drop_after=2))
    seen = [e.object["metadata"]["name"] async for e in client.watch(CONFIGMAPS, resource_version="0")]
    assert seen == ["a", "b"]
    sim.faults.clear()
    seen = [
        e.object["metadata"]["name"]
        async for e in client.watch(CONFIGMAPS, resource_version="0", timeout_seconds=0.05)
    ]
    assert seen == ["a", "b", "c", "d"]


async def test_watch_without_resource_version_starts_with_current_objects() -> None:
    sim = Simulator()
    client = sim.client()
    await client.create(CONFIGMAPS, configmap("a", labels={"x": "1"}))
    await client.create(CONFIGMAPS, configmap("b"))
    stream = client.watch(CONFIGMAPS, label_selector="x=1")
    first = await anext(stream)
    await client.create(CONFIGMAPS, configmap("c", labels={"x": "1"}))
    second = await anext(stream)
    await stream.aclose()
    assert [
        (first.type, first.object["metadata"]["name"]),
        (second.type, second.object["metadata"]["name"]),
    ] == [
        ("ADDED", "a"),
        ("ADDED", "c"),
    ]


async def test_aclose_ends_open_watches() -> None:
    sim = Simulator()
    stream = sim.client().watch(CONFIGMAPS, resource_version=str(sim.store.revision))
    pending = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    await sim.aclose()
    with pytest.raises(StopAsyncIteration):
        await pending


async def test_a_burst_is_taken_in_one_batch_but_an_idle_watcher_wakes_at_once() -> None:
    watcher = Watcher(
        "configmaps",
        namespace=None,
        labels=LabelSelector.everything(),
        fields=FieldSelector.everything(),
        batch_interval=0.05,
    )
    batches: list[list[str]] = []

    async def consume() -> None:
        while len(batches) < 2:
            await watcher.wait()
            batches.append([e.object["metadata"]["name"] for e in watcher.take()])

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    watcher.offer(Change(1, "ADDED", _cm("a", 1), None))
    for _ in range(3):
        await asyncio.sleep(0)
    assert batches == [["a"]]
    for rv, name in enumerate("bcd", start=2):
        watcher.offer(Change(rv, "ADDED", _cm(name, rv), None))
        await asyncio.sleep(0)
    await task
    assert batches == [["a"], ["b", "c", "d"]]


async def test_a_timed_out_stream_that_allows_bookmarks_ends_with_one() -> None:
    sim = Simulator(bookmark_interval=60)
    client = sim.client()
    await client.create(CONFIGMAPS, configmap("a"))
    events = [
        e
        async for e in client.watch(
            CONFIGMAPS, resource_version=str(sim.store.revision), allow_bookmarks=True, timeout_seconds=0.02
        )
    ]
    assert [e.type for e in events] == ["BOOKMARK"]
    assert events[0].object["metadata"]["resourceVersion"] == str(sim.store.revision)


async def test_each_watcher_gets_objects_of_its_own() -> None:
    sim = Simulator()
    client = sim.client()
    start = str(sim.store.revision)
    streams = [client.watch(CONFIGMAPS, namespace="default", resource_version=start) for _ in range(2)]
    heads = [asyncio.ensure_future(anext(stream)) for stream in streams]
    for _ in range(5):
        await asyncio.sleep(0)
    assert sim.store.watcher_count("configmaps") == 2
    await client.create(CONFIGMAPS, configmap("a", labels={"app": "web"}))
    await client.create(CONFIGMAPS, configmap("b", labels={"app": "web"}))
    first = [await heads[0], await anext(streams[0])]
    for event in first:
        event.object["metadata"]["labels"]["app"] = "changed"
        event.object["metadata"]["name"] = "changed"
        event.object["data"] = {"x": "y"}
    second = [await heads[1], await anext(streams[1])]
    assert [e.object["metadata"]["name"] for e in second] == ["a", "b"]
    assert [e.object["metadata"]["labels"] for e in second] == [{"app": "web"}] * 2
    assert all("data" not in e.object for e in second)
    stored = await client.get(CONFIGMAPS, "a", namespace="default")
    assert stored["metadata"]["labels"] == {"app": "web"}
    assert second[0].object == stored
    for stream in streams:
        await stream.aclose()


async def test_watchers_due_together_share_one_wake_up_timer() -> None:
    sim = Simulator()
    info = sim.resources.for_storage("configmaps")
    assert info is not None
    watchers = [
        Watcher(
            "configmaps",
            namespace=None,
            labels=LabelSelector.everything(),
            fields=FieldSelector.everything(),
            batch_interval=0.05,
            wakeups=sim.store.wakeups,
        )
        for _ in range(3)
    ]
    for watcher in watchers:
        sim.store.watch(watcher)
    batches: list[list[list[str]]] = [[] for _ in watchers]

    async def consume(watcher: Watcher, into: list[list[str]]) -> None:
        while len(into) < 2:
            await watcher.wait()
            into.append([e.object["metadata"]["name"] for e in watcher.take()])

    async with asyncio.TaskGroup() as tasks:
        for watcher, into in zip(watchers, batches, strict=True):
            tasks.create_task(consume(watcher, into))
        await asyncio.sleep(0)
        sim.server.create(info, configmap("a"))  # idle watchers wake at once
        for _ in range(3):
            await asyncio.sleep(0)
        assert batches == [[["a"]]] * 3
        sim.server.create(info, configmap("b"))  # now they wait out the interval, on one timer
        sim.server.create(info, configmap("c"))
        assert sim.store.wakeups.timers == 1
    assert batches == [[["a"], ["b", "c"]]] * 3
    assert sim.store.wakeups.timers == 0
