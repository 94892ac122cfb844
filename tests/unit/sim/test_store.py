"""The store's history, compaction, snapshots at old revisions, indexes, and continue tokens."""

from __future__ import annotations

import pytest

from shoal.api import BadRequestError, GoneError
from shoal.sim import Simulator
from shoal.sim._lists import decode_continue, encode_continue

from ._helpers import CONFIGMAPS, configmap, owner_ref


async def test_history_keeps_the_configured_number_of_changes_per_resource() -> None:
    sim = Simulator(history=3)
    client = sim.client()
    first = await client.create(CONFIGMAPS, configmap("a"))
    for i in range(5):
        await client.patch(CONFIGMAPS, "a", {"data": {"i": str(i)}}, namespace="default")
    latest = sim.store.revision
    assert [c.revision for c in sim.store.changes_since("configmaps", latest - 3)] == [
        latest - 2,
        latest - 1,
        latest,
    ]
    with pytest.raises(GoneError, match="too old resource version"):
        sim.store.changes_since("configmaps", int(first["metadata"]["resourceVersion"]))
    # Another resource's history is independent: secrets still replay from the start.
    assert sim.store.changes_since("secrets", 0) == []


async def test_compact_makes_older_watches_and_tokens_gone() -> None:
    sim = Simulator()
    client = sim.client()
    for name in "abc":
        await client.create(CONFIGMAPS, configmap(name))
    page = await client.list(CONFIGMAPS, namespace="default", limit=1)
    before = page["metadata"]["resourceVersion"]
    await client.create(CONFIGMAPS, configmap("d"))
    sim.compact()
    with pytest.raises(GoneError):
        async for _ in client.watch(CONFIGMAPS, resource_version=before):
            pass
    with pytest.raises(GoneError, match="continue parameter is too old"):
        await client.list(CONFIGMAPS, namespace="default", limit=1, continue_=page["metadata"]["continue"])
    # A watch from the current revision still works after compaction.
    now = str(sim.store.revision)
    await client.create(CONFIGMAPS, configmap("e"))
    async for event in client.watch(CONFIGMAPS, resource_version=now):
        assert (event.type, event.object["metadata"]["name"]) == ("ADDED", "e")
        break


async def test_state_at_rebuilds_each_revision() -> None:
    sim = Simulator()
    client = sim.client()
    await client.create(CONFIGMAPS, configmap("a"))
    r1 = sim.store.revision
    await client.patch(CONFIGMAPS, "a", {"data": {"x": "1"}}, namespace="default")
    await client.create(CONFIGMAPS, configmap("b"))
    r2 = sim.store.revision
    await client.delete(CONFIGMAPS, "a", namespace="default")
    at1 = sim.store.state_at("configmaps", r1)
    assert set(at1) == {("default", "a")}
    assert "data" not in at1[("default", "a")]
    at2 = sim.store.state_at("configmaps", r2)
    assert set(at2) == {("default", "a"), ("default", "b")}
    assert at2[("default", "a")]["data"] == {"x": "1"}
    assert set(sim.store.state_at("configmaps", sim.store.revision)) == {("default", "b")}


async def test_exact_list_at_an_old_revision() -> None:
    sim = Simulator()
    client = sim.client()
    await client.create(CONFIGMAPS, configmap("a"))
    old = str(sim.store.revision)
    await client.create(CONFIGMAPS, configmap("b"))
    listing = await client.list(
        CONFIGMAPS, namespace="default", resource_version=old, resource_version_match="Exact"
    )
    assert [i["metadata"]["name"] for i in listing["items"]] == ["a"]
    assert listing["metadata"]["resourceVersion"] == old


def test_continue_token_round_trip_and_rejection() -> None:
    token = encode_continue(42, ("ns", "name"))
    assert decode_continue(token) == (42, ("ns", "name"))
    for bad in ("garbage", encode_continue(42, ("a", "b"))[:-3] + "!!!", "e30"):
        with pytest.raises(BadRequestError, match="continue key is not valid"):
            decode_continue(bad)


async def test_paging_is_consistent_while_writes_continue() -> None:
    sim = Simulator()
    client = sim.client()
    for i in range(6):
        await client.create(CONFIGMAPS, configmap(f"cm-{i}"))
    first = await client.list(CONFIGMAPS, namespace="default", limit=2)
    await client.delete(CONFIGMAPS, "cm-3", namespace="default")
    await client.create(CONFIGMAPS, configmap("cm-9"))
    names = [i["metadata"]["name"] for i in first["items"]]
    token = first["metadata"]["continue"]
    while token:
        page = await client.list(CONFIGMAPS, namespace="default", limit=2, continue_=token)
        assert page["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
        names += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue", "")
    assert names == [f"cm-{i}" for i in range(6)]


async def test_indexes_follow_writes() -> None:
    sim = Simulator()
    client = sim.client()
    owner = await client.create(CONFIGMAPS, configmap("owner"))
    await client.create(CONFIGMAPS, configmap("dep", ownerReferences=[owner_ref(owner)]))
    uid = owner["metadata"]["uid"]
    assert [ref for ref, _ in sim.store.dependents(uid)] == [("configmaps", "default", "dep")]
    assert sim.store.population("default") == 2
    await client.patch(CONFIGMAPS, "dep", {"metadata": {"ownerReferences": None}}, namespace="default")
    assert sim.store.dependents(uid) == []
    await client.delete(CONFIGMAPS, "dep", namespace="default")
    assert sim.store.population("default") == 1
    assert sim.store.by_uid(uid) is not None


async def test_noop_write_keeps_the_revision_and_emits_nothing() -> None:
    sim = Simulator()
    client = sim.client()
    made = await client.create(CONFIGMAPS, {**configmap("a"), "data": {"k": "v"}})
    revision = sim.store.revision
    again = await client.update(CONFIGMAPS, made)
    patched = await client.patch(CONFIGMAPS, "a", {"data": {"k": "v"}}, namespace="default")
    assert again["metadata"]["resourceVersion"] == patched["metadata"]["resourceVersion"] == str(revision)
    assert sim.store.revision == revision
    assert sim.store.changes_since("configmaps", revision) == []
