"""Invariant 3 as a property: watchers started at any revision, amid any writes, miss and repeat nothing.

Writes are sequential, so their results fix the one correct history; every watcher started from a
revision must deliver exactly the suffix of that history after it, in order, each change once. A
watcher with a label selector sees that history through its selector: an object entering it is ADDED,
one leaving it is DELETED, changes outside it are not sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings, strategies as st

from shoal.api import WatchEvent
from shoal.client import Client

from ._support import CONFIGMAPS, configmap, is_added, rv, watching
from .conftest import SimulatedClient

NAMES = ("a", "b", "c")
MARKER = "zz-marker"
SELECTOR = "keep=yes"


@dataclass(frozen=True)
class Change:
    """One write as the store answered it, with whether the object matched the selector before and after.

    ``version`` is None for deletions: their answer carries the object's previous resourceVersion.
    """

    type: str
    name: str
    version: int | None
    matched_before: bool
    matches_after: bool

    def seen_through_selector(self) -> str | None:
        """The event type a ``keep=yes`` watcher gets for this change, or None when it gets nothing."""
        if self.type == "ADDED":
            return "ADDED" if self.matches_after else None
        if self.type == "DELETED":
            return "DELETED" if self.matched_before else None
        if self.matched_before and self.matches_after:
            return "MODIFIED"
        if self.matches_after:
            return "ADDED"
        return "DELETED" if self.matched_before else None


@dataclass
class Watcher:
    start_index: int
    selective: bool
    events: list[WatchEvent] = field(default_factory=list)

    def expected(self, history: list[Change]) -> list[tuple[str, str, int | None]]:
        out: list[tuple[str, str, int | None]] = []
        for change in history[self.start_index :]:
            kind = change.seen_through_selector() if self.selective else change.type
            if kind is not None:
                out.append((kind, change.name, change.version))
        return out


operations = st.lists(
    st.tuples(st.sampled_from(["write", "delete"]), st.sampled_from(NAMES), st.booleans()), max_size=24
)


async def _apply(
    client: Client, op: str, name: str, keep: bool, kept: dict[str, bool], step: int
) -> Change | None:
    labels = {"keep": "yes" if keep else "no"}
    body = configmap(name, "default", data={"step": str(step)}, labels=labels)
    if op == "write" and name in kept:
        changed = await client.update(CONFIGMAPS, body)
        before, kept[name] = kept[name], keep
        return Change("MODIFIED", name, rv(changed), before, keep)
    if op == "write":
        made = await client.create(CONFIGMAPS, body)
        kept[name] = keep
        return Change("ADDED", name, rv(made), False, keep)
    if name in kept:
        await client.delete(CONFIGMAPS, name, namespace="default")
        return Change("DELETED", name, None, kept.pop(name), False)
    return None


async def _follow(client: Client, version: str, watcher: Watcher) -> None:
    options = {"label_selector": SELECTOR} if watcher.selective else {}
    async with watching(
        client, CONFIGMAPS, namespace="default", resource_version=version, **options
    ) as reader:
        async for event in reader.stream:
            watcher.events.append(event)
            if is_added(MARKER)(event):
                return


def _check(watcher: Watcher, history: list[Change]) -> None:
    got = [e for e in watcher.events if e.type != "BOOKMARK"]
    assert got, "the watcher saw nothing, not even the marker"
    assert is_added(MARKER)(got[-1])
    got = got[:-1]
    expected = watcher.expected(history)
    assert [(e.type, e.object["metadata"]["name"]) for e in got] == [(t, n) for t, n, _ in expected]
    versions = [rv(e.object) for e in got]
    assert versions == sorted(set(versions)), "resourceVersions must strictly increase"
    for event, (_, _, version) in zip(got, expected, strict=True):
        if version is not None:
            assert rv(event.object) == version


async def _current(client: Client) -> int:
    """The revision right after a deletion (whose answer carries the object's previous version)."""
    listing = await client.list(CONFIGMAPS, namespace="default")
    return int(listing["metadata"]["resourceVersion"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, data=st.data())
async def test_watchers_never_skip_duplicate_or_reorder(
    fresh: SimulatedClient, ops: list[tuple[str, str, bool]], data: st.DataObject
) -> None:
    async with fresh() as (_sim, client):
        start = await client.list(CONFIGMAPS, namespace="default")
        versions = [int(start["metadata"]["resourceVersion"])]
        history: list[Change] = []
        kept: dict[str, bool] = {}
        openings = data.draw(
            st.lists(st.integers(0, len(ops)), min_size=1, max_size=5), label="open before op"
        )
        watchers: list[Watcher] = []
        async with asyncio.timeout(20), asyncio.TaskGroup() as group:
            for step in range(len(ops) + 1):
                for _ in range(openings.count(step)):
                    watcher = Watcher(
                        start_index=data.draw(st.integers(0, len(history)), label="start after change"),
                        selective=data.draw(st.booleans(), label="selective"),
                    )
                    watchers.append(watcher)
                    group.create_task(_follow(client, str(versions[watcher.start_index]), watcher))
                if step < len(ops):
                    change = await _apply(client, *ops[step], kept, step)
                    if change is not None:
                        history.append(change)
                        versions.append(change.version or await _current(client))
                    await asyncio.sleep(0)
            await client.create(CONFIGMAPS, configmap(MARKER, "default", labels={"keep": "yes"}))
        for watcher in watchers:
            _check(watcher, history)
