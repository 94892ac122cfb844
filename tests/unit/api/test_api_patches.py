"""Merge patch, JSON patch and create_merge_patch: semantics, purity and apiserver-shaped errors."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from shoal.api import (
    BadRequestError,
    InvalidError,
    RequestEntityTooLargeError,
    apply_json_patch,
    apply_merge_patch,
    create_merge_patch,
    error_from_status,
)

CM: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "c", "labels": {"a": "1", "b": "2"}},
    "data": {"k": "v"},
    "list": [1, 2, 3],
}


@pytest.mark.parametrize(
    ("patch", "expected_changes"),
    [
        (
            {"metadata": {"labels": {"c": "3"}}},
            {"metadata": {"name": "c", "labels": {"a": "1", "b": "2", "c": "3"}}},
        ),
        ({"metadata": {"labels": {"a": None}}}, {"metadata": {"name": "c", "labels": {"b": "2"}}}),
        ({"metadata": {"labels": None}}, {"metadata": {"name": "c"}}),
        ({"list": [9]}, {"list": [9]}),
        ({"data": "scalar"}, {"data": "scalar"}),
        ({"new": {"deep": {"x": None, "y": 1}}}, {"new": {"deep": {"y": 1}}}),
        ({}, {}),
    ],
)
def test_merge_patch(patch: dict[str, Any], expected_changes: dict[str, Any]) -> None:
    before = copy.deepcopy(CM)
    patch_before = copy.deepcopy(patch)
    result = apply_merge_patch(CM, patch)
    assert result == {**CM, **expected_changes}
    assert before == CM
    assert patch_before == patch


def test_merge_patch_result_is_private() -> None:
    result = apply_merge_patch(CM, {"data": {"z": "1"}})
    result["metadata"]["labels"]["x"] = "mutated"
    result["list"].append(4)
    assert "x" not in CM["metadata"]["labels"]
    assert CM["list"] == [1, 2, 3]


@pytest.mark.parametrize("patch", [None, [1], "x", 3])
def test_merge_patch_must_be_object(patch: Any) -> None:
    with pytest.raises(BadRequestError, match="Invalid JSON Patch"):
        apply_merge_patch(CM, patch)


def test_create_merge_patch_minimal() -> None:
    modified = copy.deepcopy(CM)
    modified["metadata"]["labels"]["a"] = "changed"
    del modified["metadata"]["labels"]["b"]
    modified["list"] = [1, 2]
    assert create_merge_patch(CM, modified) == {
        "metadata": {"labels": {"a": "changed", "b": None}},
        "list": [1, 2],
    }
    assert create_merge_patch(CM, copy.deepcopy(CM)) == {}


def test_create_merge_patch_is_type_strict() -> None:
    assert create_merge_patch({"a": 1}, {"a": True}) == {"a": True}
    assert create_merge_patch({"a": 1}, {"a": 1.0}) == {"a": 1.0}
    assert create_merge_patch({"a": [1]}, {"a": [True]}) == {"a": [True]}


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, width=16)
    | st.text(max_size=3)
)
_keys = st.sampled_from(["a", "b", "c", "d"])


def _no_null_objects(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=3) | st.dictionaries(
        _keys, children.filter(lambda v: v is not None), max_size=3
    )


_json = st.recursive(_scalars, _no_null_objects, max_leaves=12)
_objects = st.dictionaries(_keys, _json.filter(lambda v: v is not None), max_size=4)


@settings(max_examples=300, deadline=None)
@given(_objects, _objects)
def test_create_then_apply_round_trips(a: dict[str, Any], b: dict[str, Any]) -> None:
    a_before, b_before = copy.deepcopy(a), copy.deepcopy(b)
    patch = create_merge_patch(a, b)
    assert apply_merge_patch(a, patch) == b
    assert (patch == {}) == (a == b and create_merge_patch(b, a) == {})
    assert a == a_before
    assert b == b_before


DOC: dict[str, Any] = {"a": 1, "l": [1, 2], "o": {"x": "y"}}


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        ([{"op": "add", "path": "/b", "value": 2}], {**DOC, "b": 2}),
        ([{"op": "add", "path": "/l/-", "value": 3}], {**DOC, "l": [1, 2, 3]}),
        ([{"op": "add", "path": "/l/0", "value": 0}], {**DOC, "l": [0, 1, 2]}),
        ([{"op": "remove", "path": "/o/x"}], {**DOC, "o": {}}),
        ([{"op": "replace", "path": "/a", "value": [True]}], {**DOC, "a": [True]}),
        ([{"op": "move", "from": "/o/x", "path": "/m"}], {"a": 1, "l": [1, 2], "o": {}, "m": "y"}),
        ([{"op": "copy", "from": "/l", "path": "/o/l"}], {**DOC, "o": {"x": "y", "l": [1, 2]}}),
        (
            [{"op": "test", "path": "/o/x", "value": "y"}, {"op": "remove", "path": "/a"}],
            {"l": [1, 2], "o": {"x": "y"}},
        ),
        ([{"op": "add", "path": "/o~1p", "value": 1}], {**DOC, "o/p": 1}),
        ([], DOC),
    ],
)
def test_json_patch(ops: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    before = copy.deepcopy(DOC)
    assert apply_json_patch(DOC, ops) == expected
    assert before == DOC


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "test", "path": "/a", "value": 2}],
        [{"op": "test", "path": "/a", "value": True}],
        [{"op": "test", "path": "/nope", "value": 1}],
        [{"op": "remove", "path": "/nope"}],
        [{"op": "replace", "path": "/nope", "value": 1}],
        [{"op": "add", "path": "/l/9", "value": 1}],
        [{"op": "move", "from": "/nope", "path": "/x"}],
        [{"op": "bogus", "path": "/a"}],
        [{"op": "add", "value": 1}],
        [{"op": "add", "path": "a", "value": 1}],
        [{"op": "add", "path": "/b", "value": 1}, {"op": "test", "path": "/a", "value": 0}],
    ],
)
def test_json_patch_failures_are_422_and_atomic(ops: list[dict[str, Any]]) -> None:
    before = copy.deepcopy(DOC)
    with pytest.raises(InvalidError) as info:
        apply_json_patch(DOC, ops)
    assert info.value.code == 422
    assert info.value.message == "the server rejected our request due to an error in our request"
    assert before == DOC
    again = error_from_status(info.value.status())
    assert isinstance(again, InvalidError)
    assert again.causes == info.value.causes


@pytest.mark.parametrize("ops", [{"op": "add"}, "x", None, [1], [[{"op": "add"}]]])
def test_json_patch_undecodable_is_400(ops: Any) -> None:
    with pytest.raises(BadRequestError):
        apply_json_patch(DOC, ops)


def test_json_patch_too_many_ops() -> None:
    ops = [{"op": "test", "path": "/a", "value": 1}] * 10001
    with pytest.raises(RequestEntityTooLargeError):
        apply_json_patch(DOC, ops)


def test_json_patch_result_does_not_alias_ops() -> None:
    value = {"deep": [1]}
    result = apply_json_patch(DOC, [{"op": "add", "path": "/v", "value": value}])
    result["v"]["deep"].append(2)
    assert value == {"deep": [1]}
