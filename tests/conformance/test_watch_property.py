"""Invariant 3 as a property: watchers started at any revision, amid any writes, miss and repeat nothing.

Writes are sequential, so their results fix the one correct history; every watcher started from a
revision must deliver exactly the suffix of that history after it, in order, each change once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings, strategies as st

from shoal.api import WatchEvent
from shoal.client import Client

from ._support import CONFIGMAPS, EventReader, configmap, is_added, rv, watching
from .conftest import SimulatedClient

NAMES = ("a", "b", "c")
MARKER = "zz-marker"


@dataclass(frozen=True)
class Change:
    """One write as the store answered it; ``version`` is None for deletions (the answer is the old state)."""

    type: str
    name: str
    version: int | None


@dataclass
class Watcher:
    opened_after: int
    start_index: int
    events: list[WatchEvent] = field(default_factory=list)


operations = st.lists(st.tuples(st.sampled_from(["write", "delete"]), st.sampled_from(NAMES)), max_size=24)


async def _apply(client: Client, op: str, name: str, present: set[str], step: int) -> Change | None:
    if op == "write" and name in present:
        changed = await client.update(CONFIGMAPS, configmap(name, "default", data={"step": str(step)}))
        return Change("MODIFIED", name, rv(changed))
    if op == "write":
        present.add(name)
        made = await client.create(CONFIGMAPS, configmap(name, "default", data={"step": str(step)}))
        return Change("ADDED", name, rv(made))
    if name in present:
        present.discard(name)
        await client.delete(CONFIGMAPS, name, namespace="default")
        return Change("DELETED", name, None)
    return None


async def _follow(reader: EventReader, into: list[WatchEvent]) -> None:
    async for event in reader.stream:
        into.append(event)
        if is_added(MARKER)(event):
            return


def _check(watcher: Watcher, history: list[Change]) -> None:
    expected = history[watcher.start_index :]
    got = [e for e in watcher.events if e.type != "BOOKMARK"]
    assert got, "the watcher saw nothing, not even the marker"
    assert is_added(MARKER)(got[-1])
    got = got[:-1]
    assert [(e.type, e.object["metadata"]["name"]) for e in got] == [(c.type, c.name) for c in expected]
    versions = [rv(e.object) for e in got]
    assert versions == sorted(set(versions)), "resourceVersions must strictly increase"
    for event, change in zip(got, expected, strict=True):
        if change.version is not None:
            assert rv(event.object) == change.version


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, data=st.data())
async def test_watchers_never_skip_duplicate_or_reorder(
    fresh: SimulatedClient, ops: list[tuple[str, str]], data: st.DataObject
) -> None:
    async with fresh() as (_sim, client):
        start = await client.list(CONFIGMAPS, namespace="default")
        versions = [int(start["metadata"]["resourceVersion"])]
        history: list[Change] = []
        present: set[str] = set()
        openings = data.draw(
            st.lists(st.integers(0, len(ops)), min_size=1, max_size=4), label="open after op"
        )
        watchers: list[Watcher] = []
        async with asyncio.timeout(20), asyncio.TaskGroup() as group:
            for step in range(len(ops) + 1):
                for opened_after in (o for o in openings if o == step):
                    start_index = data.draw(st.integers(0, len(history)), label="start at change")
                    watcher = Watcher(opened_after, start_index)
                    watchers.append(watcher)
                    version = versions[start_index]
                    group.create_task(_open_and_follow(client, str(version), watcher))
                if step < len(ops):
                    change = await _apply(client, *ops[step], present, step)
                    if change is not None:
                        history.append(change)
                        versions.append(change.version or await _current(client))
                    await asyncio.sleep(0)
            await client.create(CONFIGMAPS, configmap(MARKER, "default"))
        for watcher in watchers:
            _check(watcher, history)


async def _open_and_follow(client: Client, version: str, watcher: Watcher) -> None:
    async with watching(client, CONFIGMAPS, namespace="default", resource_version=version) as reader:
        await _follow(reader, watcher.events)


async def _current(client: Client) -> int:
    """The revision right after a deletion (whose answer carries the object's previous version)."""
    listing = await client.list(CONFIGMAPS, namespace="default")
    return int(listing["metadata"]["resourceVersion"])
