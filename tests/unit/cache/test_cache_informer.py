"""The informer as a reflector's store: a relist becomes exactly the difference, in handler calls."""

from __future__ import annotations

from typing import Any

import pytest

from shoal.api import GroupVersionKind, GroupVersionResource, ObjectKey, WatchEvent
from shoal.cache import CacheMutationError, Informer, InformerOptions, Snapshot

CMS = GroupVersionResource("", "v1", "configmaps")


def cm(name: str, rv: str, data: str = "x") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "ns", "resourceVersion": rv},
        "data": {"k": data},
    }


LIST = {"apiVersion": "v1", "kind": "ConfigMapList", "metadata": {"resourceVersion": "9"}}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def on_add(self, obj: dict[str, Any], is_in_initial_list: bool) -> None:
        self.calls.append(("add", obj["metadata"]["name"], is_in_initial_list))

    def on_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.calls.append(
            (
                "update",
                new["metadata"]["name"],
                (old["metadata"]["resourceVersion"], new["metadata"]["resourceVersion"]),
            )
        )

    def on_delete(self, obj: dict[str, Any]) -> None:
        self.calls.append(("delete", obj["metadata"]["name"], None))


def informer(debug: bool = False) -> Informer:
    return Informer(None, CMS, options=InformerOptions(debug=debug))  # type: ignore[arg-type]


def test_relist_emits_only_the_difference() -> None:
    inf = informer()
    rec = Recorder()
    inf.add_handler(rec)
    inf.replace([cm("a", "1"), cm("b", "2")], LIST)
    assert inf.has_synced
    assert inf.kind == GroupVersionKind("", "v1", "ConfigMap")
    assert sorted(rec.calls) == [("add", "a", True), ("add", "b", True)]

    rec.calls.clear()
    inf.apply(WatchEvent("MODIFIED", cm("a", "3")))
    inf.apply(WatchEvent("MODIFIED", cm("a", "3")))  # a replayed event changes nothing
    assert rec.calls == [("update", "a", ("1", "3"))]

    rec.calls.clear()
    inf.replace([cm("a", "3"), cm("c", "7")], LIST)  # b deleted and c added while disconnected
    assert sorted(rec.calls) == [("add", "c", False), ("delete", "b", None)]
    assert sorted(k.name for k in inf.indexer.list_keys()) == ["a", "c"]


def test_late_handler_is_told_of_every_cached_object() -> None:
    inf = informer()
    inf.replace([cm("a", "1")], LIST)
    rec = Recorder()
    inf.add_handler(rec)
    assert rec.calls == [("add", "a", True)]


def test_failing_handler_does_not_stop_the_others() -> None:
    class Broken(Recorder):
        def on_add(self, obj: dict[str, Any], is_in_initial_list: bool) -> None:
            raise RuntimeError("bug in a mapper")

    inf = informer()
    rec = Recorder()
    inf.add_handler(Broken())
    inf.add_handler(rec)
    inf.replace([cm("a", "1")], LIST)
    assert rec.calls == [("add", "a", True)]


def test_debug_mode_detects_a_handler_mutating_the_cache() -> None:
    class Mutating(Recorder):
        def on_add(self, obj: dict[str, Any], is_in_initial_list: bool) -> None:
            obj["data"]["k"] = "changed in place"

    inf = informer(debug=True)
    inf.add_handler(Mutating())
    inf.replace([cm("a", "1")], LIST)
    with pytest.raises(CacheMutationError):
        inf.get(ObjectKey("ns", "a"))
    with pytest.raises(CacheMutationError):
        inf.apply(WatchEvent("MODIFIED", cm("a", "2")))


def test_debug_mode_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOAL_CACHE_DEBUG", "1")
    assert Informer(None, CMS).debug  # type: ignore[arg-type]
    monkeypatch.setenv("SHOAL_CACHE_DEBUG", "0")
    assert not Informer(None, CMS).debug  # type: ignore[arg-type]


def test_pages_reach_handlers_before_the_list_ends() -> None:
    inf = informer()
    rec = Recorder()
    inf.add_handler(rec)
    inf.begin_list()
    inf.add_page([cm("a", "1"), cm("b", "2")])
    assert rec.calls == [("add", "a", True), ("add", "b", True)]
    assert not inf.has_synced, "synced only once the whole list is in"
    inf.add_page([cm("c", "3")])
    inf.end_list(LIST)
    assert inf.has_synced
    assert [c[1] for c in rec.calls] == ["a", "b", "c"]

    # A relist that restarts halfway: only the pages after the restart are the server's state.
    rec.calls.clear()
    inf.begin_list()
    inf.add_page([cm("a", "1"), cm("d", "4")])
    inf.begin_list()
    inf.add_page([cm("a", "1"), cm("c", "5")])
    inf.end_list(LIST)
    assert sorted(rec.calls) == [
        ("add", "d", False),
        ("delete", "b", None),
        ("delete", "d", None),
        ("update", "c", ("3", "5")),
    ]
    assert sorted(k.name for k in inf.indexer.list_keys()) == ["a", "c"]


class BatchRecorder(Recorder):
    def on_add_all(self, snapshots: list[Snapshot], is_in_initial_list: bool) -> None:
        self.calls.append(("add_all", ",".join(s.key.name for s in snapshots), is_in_initial_list))


def test_batch_handlers_get_runs_of_adds_in_the_page_order() -> None:
    inf = informer()
    batch, single = BatchRecorder(), Recorder()
    inf.add_handler(batch)
    inf.add_handler(single)
    inf.begin_list()
    inf.add_page([cm("a", "1"), cm("b", "2")])
    inf.add_page([cm("c", "3")])
    inf.end_list(LIST)
    assert batch.calls == [("add_all", "a,b", True), ("add_all", "c", True)]
    assert single.calls == [("add", "a", True), ("add", "b", True), ("add", "c", True)]

    batch.calls.clear()
    inf.replace([cm("a", "1"), cm("d", "4"), cm("b", "5"), cm("e", "6"), cm("c", "3")], LIST)
    assert batch.calls == [("add_all", "d", False), ("update", "b", ("2", "5")), ("add_all", "e", False)]

    late = BatchRecorder()
    inf.add_handler(late)
    assert len(late.calls) == 1
    assert sorted(late.calls[0][1].split(",")) == ["a", "b", "c", "d", "e"]


def test_kind_comes_from_the_list_when_items_carry_none() -> None:
    inf = informer()
    bare = cm("a", "1")
    del bare["kind"], bare["apiVersion"]
    inf.replace([bare], LIST)
    assert inf.kind == GroupVersionKind("", "v1", "ConfigMap")
