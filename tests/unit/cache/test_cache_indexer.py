"""The indexed store and snapshots: index lookups stay exact across updates and deletes; copies are private."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from shoal.api import GroupVersionResource, ObjectKey
from shoal.cache import (
    INDEX_NAMESPACE,
    INDEX_OWNER_UID,
    CacheMutationError,
    Indexer,
    Snapshot,
    label_index,
)

PODS = GroupVersionResource("", "v1", "pods")


def pod(
    name: str,
    namespace: str = "ns",
    *,
    rv: str = "1",
    labels: dict[str, str] | None = None,
    owners: tuple[str, ...] = (),
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "resourceVersion": rv}
    if labels:
        meta["labels"] = labels
    if owners:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "X", "name": o, "uid": o} for o in owners]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta}


def names(snaps: list[Snapshot]) -> set[str]:
    return {s.key.name for s in snaps}


def test_indices_follow_updates_and_deletes() -> None:
    store = Indexer()
    store.add_index("app", label_index("app"))
    store.put(Snapshot(pod("a", labels={"app": "web"}, owners=("u1",))))
    store.put(Snapshot(pod("b", "other", labels={"app": "web"}, owners=("u1", "u2"))))
    assert names(store.by_index("app", "web")) == {"a", "b"}
    assert names(store.by_index(INDEX_OWNER_UID, "u2")) == {"b"}
    assert names(store.by_index(INDEX_NAMESPACE, "other")) == {"b"}

    store.put(Snapshot(pod("a", rv="2", labels={"app": "db"})))
    assert names(store.by_index("app", "web")) == {"b"}
    assert names(store.by_index("app", "db")) == {"a"}
    assert names(store.by_index(INDEX_OWNER_UID, "u1")) == {"b"}

    store.pop(ObjectKey("other", "b"))
    assert store.by_index("app", "web") == []
    assert store.index_values(INDEX_OWNER_UID) == []
    assert len(store) == 1


def test_index_added_late_files_existing_objects_and_unknown_index_raises() -> None:
    store = Indexer()
    store.put(Snapshot(pod("a", labels={"tier": "x"})))
    store.add_index("tier", label_index("tier"))
    assert names(store.by_index("tier", "x")) == {"a"}
    with pytest.raises(ValueError, match="already exists"):
        store.add_index("tier", label_index("tier"))
    with pytest.raises(KeyError):
        store.by_index("nope", "x")


ops = st.lists(
    st.tuples(
        st.booleans(),
        st.sampled_from(["a", "b", "c", "d"]),
        st.sampled_from(["n1", "n2"]),
        st.sampled_from(["web", "db", None]),
    ),
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(ops)
def test_index_equals_a_full_scan(operations: list[tuple[bool, str, str, str | None]]) -> None:
    store = Indexer()
    store.add_index("app", label_index("app"))
    for put, name, namespace, app in operations:
        if put:
            store.put(Snapshot(pod(name, namespace, labels={"app": app} if app else None)))
        else:
            store.pop(ObjectKey(namespace, name))
    for app in ("web", "db"):
        scan = {s.key for s in store if (s.obj["metadata"].get("labels") or {}).get("app") == app}
        assert {s.key for s in store.by_index("app", app)} == scan
    for namespace in ("n1", "n2"):
        assert {s.key for s in store.by_index(INDEX_NAMESPACE, namespace)} == {
            s.key for s in store if s.key.namespace == namespace
        }


def test_snapshot_copies_are_private_and_mutation_is_detected() -> None:
    snap = Snapshot(pod("a", labels={"app": "web"}))
    mine = snap.copy()
    mine["metadata"]["labels"]["app"] = "changed"
    assert snap.obj["metadata"]["labels"]["app"] == "web"
    assert snap.copy() == snap.obj
    snap.verify(PODS)

    snap.obj["metadata"]["labels"]["app"] = "oops"
    with pytest.raises(CacheMutationError, match="pods ns/a was mutated"):
        snap.verify(PODS)


def test_an_index_is_filed_on_its_first_lookup_then_kept_up_to_date() -> None:
    seen: list[str] = []

    def app(obj: dict[str, Any]) -> tuple[str, ...]:
        seen.append(obj["metadata"]["name"])
        value = (obj["metadata"].get("labels") or {}).get("app")
        return () if value is None else (value,)

    store = Indexer()
    store.add_index("app", app)
    store.put(Snapshot(pod("a", labels={"app": "web"})))
    store.put(Snapshot(pod("b", labels={"app": "db"})))
    assert seen == [], "no lookup yet, no index work"
    assert names(store.by_index("app", "web")) == {"a"}
    assert sorted(seen) == ["a", "b"]
    store.put(Snapshot(pod("b", rv="2", labels={"app": "web"})))
    assert seen[-1] == "b"
    assert names(store.by_index("app", "web")) == {"a", "b"}
    assert store.index_values("app") == ["web"]


def test_an_index_function_that_fails_leaves_the_index_to_be_built_again() -> None:
    failing = [True]

    def app(obj: dict[str, Any]) -> tuple[str, ...]:
        if failing[0]:
            raise RuntimeError("index function bug")
        return ((obj["metadata"].get("labels") or {}).get("app", ""),)

    store = Indexer()
    store.add_index("app", app)
    store.put(Snapshot(pod("a", labels={"app": "web"})))
    with pytest.raises(RuntimeError):
        store.by_index("app", "web")
    store.put(Snapshot(pod("b", labels={"app": "web"})))  # not filed in a half-built index
    failing[0] = False
    assert names(store.by_index("app", "web")) == {"a", "b"}


def test_a_checked_snapshot_detects_mutation_before_any_copy() -> None:
    snap = Snapshot(pod("a", labels={"app": "web"}), checked=True)
    snap.obj["metadata"]["labels"]["app"] = "oops"
    with pytest.raises(CacheMutationError):
        snap.verify(PODS)
    assert snap.copy()["metadata"]["labels"]["app"] == "web", "copies come from the bytes taken at store"
