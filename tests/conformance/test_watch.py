"""Watch: replay from a resourceVersion, selectors, bookmarks, 410 after compaction, streaming lists."""

from __future__ import annotations

import pytest

from shoal.api import GoneError, WatchEvent
from shoal.client import Client
from shoal.sim import Simulator

from ._support import (
    CONFIGMAPS,
    NAMESPACES,
    configmap,
    custom,
    events_before_marker,
    is_added,
    register_crd,
    rv,
    summary,
    watching,
)

INITIAL_EVENTS_END = "k8s.io/initial-events-end"


async def test_watch_from_resource_version_delivers_each_later_change_once_in_order(
    client: Client, ns: str
) -> None:
    before = await client.create(CONFIGMAPS, configmap("before", ns))
    a = await client.create(CONFIGMAPS, configmap("a", ns))
    a2 = await client.update(CONFIGMAPS, {**a, "data": {"v": "2"}})
    b = await client.create(CONFIGMAPS, configmap("b", ns))
    await client.delete(CONFIGMAPS, "a", namespace=ns)
    async with watching(
        client, CONFIGMAPS, namespace=ns, resource_version=before["metadata"]["resourceVersion"]
    ) as w:
        events = await events_before_marker(client, w, ns)
    assert summary(events) == [("ADDED", "a"), ("MODIFIED", "a"), ("ADDED", "b"), ("DELETED", "a")]
    assert [rv(e.object) for e in events[:3]] == [rv(a), rv(a2), rv(b)]
    assert rv(events[3].object) > rv(b)
    assert events[1].object["data"] == {"v": "2"}
    assert all(e.object["kind"] == "ConfigMap" for e in events)


async def test_watch_sees_changes_made_after_it_started(client: Client, ns: str) -> None:
    start = await client.list(CONFIGMAPS, namespace=ns)
    async with watching(
        client, CONFIGMAPS, namespace=ns, resource_version=start["metadata"]["resourceVersion"]
    ) as w:
        made = await client.create(CONFIGMAPS, configmap("a", ns))
        (first,) = await w.take(1)
        assert (first.type, rv(first.object)) == ("ADDED", rv(made))
        await client.patch(CONFIGMAPS, "a", {"data": {"v": "1"}}, namespace=ns)
        await client.delete(CONFIGMAPS, "a", namespace=ns)
        events = await events_before_marker(client, w, ns)
    assert summary(events) == [("MODIFIED", "a"), ("DELETED", "a")]


async def test_watch_without_resource_version_starts_with_the_current_objects(
    client: Client, ns: str
) -> None:
    await client.create(CONFIGMAPS, configmap("a", ns))
    await client.create(CONFIGMAPS, configmap("b", ns))
    async with watching(client, CONFIGMAPS, namespace=ns) as w:
        initial = await w.take(2)
        assert sorted(summary(initial)) == [("ADDED", "a"), ("ADDED", "b")]
        await client.create(CONFIGMAPS, configmap("c", ns))
        events = await events_before_marker(client, w, ns)
    assert summary(events) == [("ADDED", "c")]


async def test_watch_in_a_namespace_sees_only_that_namespace(client: Client, ns: str) -> None:
    start = await client.list(CONFIGMAPS)
    version = start["metadata"]["resourceVersion"]
    async with (
        watching(client, CONFIGMAPS, namespace=ns, resource_version=version) as here,
        watching(client, CONFIGMAPS, resource_version=version) as everywhere,
    ):
        await client.create(CONFIGMAPS, configmap("elsewhere", "default"))
        await client.create(CONFIGMAPS, configmap("here", ns))
        assert summary(await events_before_marker(client, here, ns)) == [("ADDED", "here")]
        assert summary(await everywhere.until(is_added("zz-marker"))) == [
            ("ADDED", "elsewhere"),
            ("ADDED", "here"),
        ]


async def test_label_selector_watch_sees_objects_enter_and_leave(client: Client, ns: str) -> None:
    start = await client.list(CONFIGMAPS, namespace=ns)
    options = {
        "namespace": ns,
        "resource_version": start["metadata"]["resourceVersion"],
        "label_selector": "app=web",
    }
    async with watching(client, CONFIGMAPS, **options) as w:
        await client.create(CONFIGMAPS, configmap("a", ns, labels={"app": "web"}))
        await client.create(CONFIGMAPS, configmap("other", ns, labels={"app": "db"}))
        left = await client.patch(CONFIGMAPS, "a", {"metadata": {"labels": {"app": "db"}}}, namespace=ns)
        await client.patch(CONFIGMAPS, "a", {"data": {"unseen": "change"}}, namespace=ns)
        await client.patch(CONFIGMAPS, "a", {"metadata": {"labels": {"app": "web"}}}, namespace=ns)
        await client.patch(CONFIGMAPS, "a", {"data": {"seen": "change"}}, namespace=ns)
        await client.delete(CONFIGMAPS, "other", namespace=ns)
        events = await events_before_marker(client, w, ns, labels={"app": "web"})
    assert summary(events) == [("ADDED", "a"), ("DELETED", "a"), ("ADDED", "a"), ("MODIFIED", "a")]
    # Leaving the selector is a DELETED of the last state the watcher could see, at the leaving revision.
    assert events[1].object["metadata"]["labels"] == {"app": "web"}
    assert rv(events[1].object) == rv(left)


async def test_field_selector_watch(client: Client, ns: str) -> None:
    start = await client.list(CONFIGMAPS, namespace=ns)
    options = {
        "namespace": ns,
        "resource_version": start["metadata"]["resourceVersion"],
        "field_selector": "metadata.name=a",
    }
    async with watching(client, CONFIGMAPS, **options) as w:
        await client.create(CONFIGMAPS, configmap("b", ns))
        await client.create(CONFIGMAPS, configmap("a", ns))
        await client.patch(CONFIGMAPS, "b", {"data": {"v": "1"}}, namespace=ns)
        await client.patch(CONFIGMAPS, "a", {"data": {"v": "1"}}, namespace=ns)
        await client.delete(CONFIGMAPS, "b", namespace=ns)
        await client.delete(CONFIGMAPS, "a", namespace=ns)
        events = await w.take(3)
    assert summary(events) == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


async def test_too_old_resource_version_is_gone_after_compaction(
    sim: Simulator, client: Client, ns: str
) -> None:
    old = await client.create(CONFIGMAPS, configmap("a", ns))
    await client.patch(CONFIGMAPS, "a", {"data": {"v": "1"}}, namespace=ns)
    sim.compact()
    with pytest.raises(GoneError) as caught:
        async with watching(
            client, CONFIGMAPS, namespace=ns, resource_version=old["metadata"]["resourceVersion"]
        ) as w:
            await w.next()
    assert caught.value.code == 410

    # A watch from the current revision still works.
    now = await client.list(CONFIGMAPS, namespace=ns)
    async with watching(
        client, CONFIGMAPS, namespace=ns, resource_version=now["metadata"]["resourceVersion"]
    ) as w:
        assert summary(await events_before_marker(client, w, ns)) == []


async def test_send_initial_events_then_bookmark_marks_the_end(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("a", ns))
    await client.create(CONFIGMAPS, configmap("b", ns))
    async with watching(
        client, CONFIGMAPS, namespace=ns, send_initial_events=True, allow_bookmarks=True
    ) as w:
        initial = []
        while True:
            event = await w.next()
            if event.type == "BOOKMARK":
                if _ends_initial_events(event):
                    bookmark = event
                    break
                continue
            initial.append(event)
        assert sorted(summary(initial)) == [("ADDED", "a"), ("ADDED", "b")]
        assert rv(bookmark.object) >= max(rv(e.object) for e in initial)
        await client.create(CONFIGMAPS, configmap("c", ns))
        assert summary(await events_before_marker(client, w, ns)) == [("ADDED", "c")]


async def test_bookmarks_arrive_when_asked(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns))
    options = {"namespace": ns, "resource_version": made["metadata"]["resourceVersion"], "timeout_seconds": 3}
    async with watching(client, CONFIGMAPS, allow_bookmarks=True, **options) as w:
        events = await w.rest()
    bookmarks = [e for e in events if e.type == "BOOKMARK"]
    assert bookmarks
    for bookmark in bookmarks:
        assert bookmark.object["kind"] == "ConfigMap"
        assert rv(bookmark.object) >= rv(made)
        assert set(bookmark.object["metadata"]) <= {"resourceVersion", "annotations"}


async def test_no_bookmarks_unless_asked_and_timeout_ends_the_stream(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns))
    options = {"namespace": ns, "resource_version": made["metadata"]["resourceVersion"], "timeout_seconds": 2}
    async with watching(client, CONFIGMAPS, **options) as w:
        await client.patch(CONFIGMAPS, "a", {"data": {"v": "1"}}, namespace=ns)
        events = await w.rest()
    assert summary(events) == [("MODIFIED", "a")]


async def test_deleted_event_carries_the_last_state(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"last": "state"}))
    async with watching(
        client, CONFIGMAPS, namespace=ns, resource_version=made["metadata"]["resourceVersion"]
    ) as w:
        await client.delete(CONFIGMAPS, "a", namespace=ns)
        (deleted,) = await w.take(1)
    assert deleted.type == "DELETED"
    assert deleted.object["data"] == {"last": "state"}
    assert deleted.object["metadata"]["uid"] == made["metadata"]["uid"]


async def test_watch_custom_and_cluster_scoped_resources(client: Client) -> None:
    widgets = await register_crd(client, "widgets", "Widget", scope="Cluster")
    start = await client.list(widgets)
    namespaces = await client.list(NAMESPACES)
    async with (
        watching(client, widgets, resource_version=start["metadata"]["resourceVersion"]) as on_widgets,
        watching(
            client, NAMESPACES, resource_version=namespaces["metadata"]["resourceVersion"]
        ) as on_namespaces,
    ):
        await client.create(widgets, custom("Widget", "w", spec={"size": 1}))
        await client.patch(widgets, "w", {"spec": {"size": 2}})
        await client.delete(widgets, "w")
        await client.create(NAMESPACES, {"metadata": {"name": "fresh"}})
        widget_events = await on_widgets.take(3)
        (namespace_event,) = await on_namespaces.take(1)
    assert summary(widget_events) == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]
    assert all(e.object["kind"] == "Widget" for e in widget_events)
    assert widget_events[1].object["spec"] == {"size": 2}
    assert (namespace_event.type, namespace_event.object["metadata"]["name"]) == ("ADDED", "fresh")


async def test_initial_events_honour_the_selector(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("web", ns, labels={"app": "web"}))
    await client.create(CONFIGMAPS, configmap("db", ns, labels={"app": "db"}))
    options = {
        "namespace": ns,
        "label_selector": "app=web",
        "send_initial_events": True,
        "allow_bookmarks": True,
    }
    async with watching(client, CONFIGMAPS, **options) as w:
        initial = await w.until(lambda e: e.type == "BOOKMARK" and _ends_initial_events(e))
    assert summary(initial) == [("ADDED", "web")]


def _ends_initial_events(event: WatchEvent) -> bool:
    annotations = event.object["metadata"].get("annotations") or {}
    return annotations.get(INITIAL_EVENTS_END) == "true"
