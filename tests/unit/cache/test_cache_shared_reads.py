"""Shared reads (``copy=False``): the informer's own dicts, and debug mode catching a caller that changes them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from shoal.api import GroupVersionResource, NotFoundError, Object, ObjectKey, WatchEvent, deep_copy
from shoal.cache import INDEX_OWNER_UID, Cache, CacheMutationError, CacheNotRunningError, CacheOptions
from shoal.client import Client
from shoal.testing import eventually

CMS = GroupVersionResource("", "v1", "configmaps")
LIST = {"apiVersion": "v1", "kind": "ConfigMapList", "metadata": {"resourceVersion": "100"}}


def configmap(name: str, namespace: str = "default", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def owned_by(obj: dict[str, Any], owner: Object) -> dict[str, Any]:
    m = owner["metadata"]
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": m["name"], "uid": m["uid"]}
    obj["metadata"]["ownerReferences"] = [ref]
    return obj


def filled_cache(objects: list[dict[str, Any]], *, debug: bool) -> Cache:
    """A cache whose informer holds ``objects`` as if listed (synced, but not running)."""
    cache = Cache(None, options=CacheOptions(debug=debug))  # type: ignore[arg-type]  # never lists
    cache.informer(CMS).replace(objects, LIST)
    return cache


async def test_a_shared_get_is_the_same_dict_each_time_and_a_copy_is_not(
    client: Client, cache: Cache
) -> None:
    await client.create(CMS, configmap("a", k="v"))
    reader = cache.reader
    shared = await reader.get(CMS, "a", namespace="default", copy=False)
    assert await reader.get(CMS, "a", namespace="default", copy=False) is shared
    copied = await reader.get(CMS, "a", namespace="default")
    assert copied == shared
    assert copied is not shared
    assert copied["data"] is not shared["data"]
    with pytest.raises(NotFoundError):
        await reader.get(CMS, "b", namespace="default", copy=False)


async def test_a_shared_dict_is_replaced_not_changed_by_a_later_event(client: Client, cache: Cache) -> None:
    await client.create(CMS, configmap("a", k="v1"))
    reader = cache.reader
    old = await reader.get(CMS, "a", namespace="default", copy=False)
    await client.patch(CMS, "a", {"data": {"k": "v2"}}, namespace="default")

    async def updated() -> bool:
        current = await reader.get(CMS, "a", namespace="default", copy=False)
        return bool(current["data"] == {"k": "v2"})

    await eventually(updated)
    assert old["data"] == {"k": "v1"}, "a kept shared dict stays the state it was read in"


async def test_a_shared_list_by_owner_index_is_sorted_and_a_new_list(client: Client, cache: Cache) -> None:
    owner = await client.create(CMS, configmap("owner"))
    for name in ("c", "a", "b"):
        await client.create(CMS, owned_by(configmap(name), owner))
    await client.create(CMS, owned_by(configmap("d", "kube-public"), owner))
    await client.create(CMS, configmap("unowned"))
    reader = cache.reader
    index = (INDEX_OWNER_UID, owner["metadata"]["uid"])

    async def all_listed() -> bool:
        return len(await reader.list(CMS, index=index, copy=False)) == 4

    await eventually(all_listed)
    everywhere = await reader.list(CMS, index=index, copy=False)
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in everywhere] == [
        ("default", "a"),
        ("default", "b"),
        ("default", "c"),
        ("kube-public", "d"),
    ]
    shared = await reader.list(CMS, namespace="default", index=index, copy=False)
    assert [o["metadata"]["name"] for o in shared] == ["a", "b", "c"]
    again = await reader.list(CMS, namespace="default", index=index, copy=False)
    assert again is not shared, "the list is the caller's own"
    assert all(x is y for x, y in zip(again, shared, strict=True)), "its items are the shared dicts"
    for one in shared:
        assert one is await reader.get(CMS, one["metadata"]["name"], namespace="default", copy=False)
    copied = await reader.list(CMS, namespace="default", index=index)
    assert copied == shared
    assert not any(x is y for x, y in zip(copied, shared, strict=True))
    shared.clear()  # changing the list, not its items, is allowed
    assert len(await reader.list(CMS, namespace="default", index=index, copy=False)) == 3


async def test_debug_mode_names_the_object_a_shared_get_changed_on_the_next_read(
    client: Client, cache: Cache
) -> None:
    await client.create(CMS, configmap("a", k="v"))
    reader = cache.reader
    shared = await reader.get(CMS, "a", namespace="default", copy=False)
    shared["data"]["k"] = "changed in place"
    with pytest.raises(CacheMutationError, match="configmaps default/a was mutated") as caught:
        await reader.get(CMS, "a", namespace="default")
    assert (caught.value.resource, caught.value.key) == (CMS, ("default", "a"))
    with pytest.raises(CacheMutationError, match="copy=False"):
        await reader.list(CMS, namespace="default", copy=False)


@pytest.mark.parametrize("event", ["MODIFIED", "DELETED"])
def test_debug_mode_names_the_object_a_shared_list_changed_on_its_next_event(event: str) -> None:
    owner = {"metadata": {"name": "owner", "uid": "u-1"}}
    cache = filled_cache([owned_by(configmap("a", k="v"), owner), configmap("b")], debug=True)
    listed = asyncio.run(cache.reader.list(CMS, index=(INDEX_OWNER_UID, "u-1"), copy=False))
    listed[0]["metadata"]["labels"] = {"added": "in place"}
    newer = configmap("a", k="v")
    newer["metadata"]["resourceVersion"] = "101"
    with pytest.raises(CacheMutationError, match="configmaps default/a was mutated"):
        cache.informer(CMS).apply(WatchEvent(event, newer))  # type: ignore[arg-type]


def test_without_debug_mode_a_shared_read_costs_no_check_and_no_copy() -> None:
    cache = filled_cache([configmap("a", k="v")], debug=False)
    shared = asyncio.run(cache.reader.get(CMS, "a", namespace="default", copy=False))
    snap = cache.informer(CMS).get(ObjectKey("default", "a"))
    assert snap is not None
    assert shared is snap.obj


async def test_a_shared_read_of_a_cache_that_is_not_running_says_so(client: Client) -> None:
    cache = Cache(client)
    with pytest.raises(CacheNotRunningError, match="not running"):
        await cache.reader.get(CMS, "a", namespace="default", copy=False)
    with pytest.raises(CacheNotRunningError, match="not running"):
        await cache.reader.list(CMS, index=(INDEX_OWNER_UID, "u"), copy=False)


json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
reads = st.lists(
    st.tuples(st.sampled_from(["get", "list"]), st.integers(0, 3), st.text(max_size=5), json_values),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(reads=reads)
def test_changing_private_copies_never_changes_the_cache(reads: list[tuple[str, int, str, Any]]) -> None:
    objects = [configmap(f"cm-{i}", k=str(i)) for i in range(4)]
    cache = filled_cache(deep_copy(objects), debug=True)
    reader = cache.reader

    async def read_and_scribble() -> None:
        for verb, i, key, value in reads:
            if verb == "get":
                got = [await reader.get(CMS, f"cm-{i}", namespace="default")]
            else:
                got = await reader.list(CMS, namespace="default")
            for obj in got:
                obj["data"][key] = value
                obj["metadata"][key or "x"] = value
                obj.pop("kind", None)

    asyncio.run(read_and_scribble())
    after = asyncio.run(cache.reader.list(CMS, copy=False))  # debug mode verifies every object
    assert after == objects
