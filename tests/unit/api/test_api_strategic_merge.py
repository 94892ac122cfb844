"""Strategic merge patch: merge keys of the built-in kinds, the directives, and the failure modes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from shoal.api import (
    GVK,
    BadRequestError,
    UnsupportedMediaTypeError,
    apply_merge_patch,
    apply_strategic_merge_patch,
    error_from_status,
    strategic_merge_supported,
)

POD_GVK = GVK("", "v1", "Pod")
DEPLOY_GVK = GVK("apps", "v1", "Deployment")


def _pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "finalizers": ["a", "b"],
            "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "o", "uid": "u1"}],
        },
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "app:1",
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    "ports": [{"containerPort": 80, "name": "http"}],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                },
                {"name": "sidecar", "image": "side:1"},
            ],
            "volumes": [{"name": "data", "emptyDir": {}}],
            "tolerations": [{"key": "a", "operator": "Exists"}],
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}, {"type": "Initialized", "status": "True"}]
        },
    }


def _apply(patch: dict[str, Any], obj: dict[str, Any] | None = None, gvk: GVK = POD_GVK) -> dict[str, Any]:
    target = obj if obj is not None else _pod()
    before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)
    result = apply_strategic_merge_patch(target, patch, gvk)
    assert target == before
    assert patch == patch_before
    return result


def test_containers_merge_by_name() -> None:
    out = _apply({"spec": {"containers": [{"name": "app", "image": "app:2"}, {"name": "new", "image": "n"}]}})
    containers = out["spec"]["containers"]
    assert [c["name"] for c in containers] == ["app", "sidecar", "new"]
    assert containers[0]["image"] == "app:2"
    assert containers[0]["env"] == _pod()["spec"]["containers"][0]["env"]
    # A merge patch, by contrast, replaces the list.
    assert (
        len(apply_merge_patch(_pod(), {"spec": {"containers": [{"name": "app"}]}})["spec"]["containers"]) == 1
    )


def test_env_ports_and_mounts_merge() -> None:
    out = _apply(
        {
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "env": [{"name": "B", "value": "two"}, {"name": "C", "value": "3"}],
                        "ports": [{"containerPort": 443, "name": "https"}],
                        "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
                    }
                ]
            }
        }
    )
    app = out["spec"]["containers"][0]
    assert app["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "two"},
        {"name": "C", "value": "3"},
    ]
    assert [p["containerPort"] for p in app["ports"]] == [80, 443]
    assert app["volumeMounts"] == [{"name": "data", "mountPath": "/data", "readOnly": True}]


def test_service_ports_merge_by_port() -> None:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 80}]},
    }
    out = _apply(
        {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}}, svc, GVK("", "v1", "Service")
    )
    assert out["spec"]["ports"] == [{"port": 80, "targetPort": 8080}, {"port": 443}]


def test_conditions_merge_by_type() -> None:
    out = _apply({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    assert out["status"]["conditions"] == [
        {"type": "Ready", "status": "True"},
        {"type": "Initialized", "status": "True"},
    ]


def test_finalizers_merge_by_value_and_delete_from_primitive_list() -> None:
    out = _apply({"metadata": {"finalizers": ["b", "c"]}})
    assert out["metadata"]["finalizers"] == ["a", "b", "c"]
    out = _apply({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["d"]}})
    assert out["metadata"]["finalizers"] == ["b", "d"]


def test_owner_references_merge_by_uid() -> None:
    new_ref = {"apiVersion": "v1", "kind": "Y", "name": "q", "uid": "u2"}
    out = _apply({"metadata": {"ownerReferences": [new_ref]}})
    assert [r["uid"] for r in out["metadata"]["ownerReferences"]] == ["u1", "u2"]
    out = _apply({"metadata": {"ownerReferences": [{"uid": "u1", "$patch": "delete"}]}})
    assert out["metadata"]["ownerReferences"] == []


def test_tolerations_are_replaced() -> None:
    out = _apply({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}})
    assert out["spec"]["tolerations"] == [{"key": "b", "operator": "Exists"}]


def test_delete_item_directive() -> None:
    out = _apply({"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}})
    assert [c["name"] for c in out["spec"]["containers"]] == ["app"]


def test_replace_list_directive() -> None:
    out = _apply({"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "o"}]}})
    assert out["spec"]["containers"] == [{"name": "only", "image": "o"}]


def test_replace_and_delete_map_directives() -> None:
    out = _apply({"metadata": {"$patch": "replace", "name": "p"}})
    assert out["metadata"] == {"name": "p"}
    out = _apply({"status": {"$patch": "delete"}})
    assert out["status"] == {}
    out = _apply({"spec": {"$patch": "merge", "hostname": "h"}})
    assert out["spec"]["hostname"] == "h"
    assert "$patch" not in out["spec"]


def test_set_element_order() -> None:
    out = _apply(
        {
            "spec": {
                "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}],
                "containers": [{"name": "app", "image": "app:3"}],
            }
        }
    )
    assert [c["name"] for c in out["spec"]["containers"]] == ["sidecar", "app"]
    assert out["spec"]["containers"][1]["image"] == "app:3"
    out = _apply({"metadata": {"$setElementOrder/finalizers": ["b", "a"]}})
    assert out["metadata"]["finalizers"] == ["b", "a"]


def test_retain_keys() -> None:
    out = _apply(
        {
            "spec": {
                "volumes": [{"name": "data", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/x"}}]
            }
        }
    )
    assert out["spec"]["volumes"] == [{"name": "data", "hostPath": {"path": "/x"}}]


def test_null_deletes_and_new_keys_drop_directives() -> None:
    out = _apply({"spec": {"tolerations": None, "new": {"x": None, "y": [{"$patch": "replace"}, 1]}}})
    assert "tolerations" not in out["spec"]
    assert out["spec"]["new"] == {"y": [1]}


def test_deployment_template_containers_merge() -> None:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "template": {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}}
        },
    }
    out = _apply(
        {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "2"}]}}}}, deploy, DEPLOY_GVK
    )
    assert out["spec"]["template"]["spec"]["containers"] == [
        {"name": "a", "image": "1"},
        {"name": "b", "image": "2"},
    ]


def test_configmap_behaves_like_merge_patch() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}}
    patch = {"data": {"a": None, "c": "3"}}
    assert _apply(patch, cm, GVK("", "v1", "ConfigMap")) == apply_merge_patch(cm, patch)


@pytest.mark.parametrize(
    "patch",
    [
        {"spec": {"containers": [{"image": "no-name"}]}},
        {"spec": {"containers": ["not-a-map"]}},
        {"spec": {"$patch": "explode"}},
        {"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}},
        {"spec": {"$retainKeys": "x"}},
    ],
)
def test_malformed_patches_are_400(patch: dict[str, Any]) -> None:
    with pytest.raises(BadRequestError) as info:
        apply_strategic_merge_patch(_pod(), patch, POD_GVK)
    assert isinstance(error_from_status(info.value.status()), BadRequestError)


def test_patch_must_be_an_object() -> None:
    with pytest.raises(BadRequestError):
        apply_strategic_merge_patch(_pod(), [1], POD_GVK)


def test_custom_resources_are_415() -> None:
    crd_gvk = GVK("example.com", "v1", "Widget")
    assert not strategic_merge_supported(crd_gvk)
    assert strategic_merge_supported(DEPLOY_GVK)
    assert strategic_merge_supported(GVK("coordination.k8s.io", "v1", "Lease"))
    with pytest.raises(UnsupportedMediaTypeError) as info:
        apply_strategic_merge_patch({"kind": "Widget"}, {}, crd_gvk)
    assert info.value.code == 415
    assert "application/merge-patch+json" in info.value.message


_scalar = st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=2)
_keys = st.sampled_from(["a", "b", "c"])
_value = st.recursive(
    _scalar,
    lambda inner: (
        st.lists(st.booleans() | st.integers(-3, 3) | st.text(max_size=2), max_size=3)
        | st.dictionaries(_keys, inner, max_size=3)
    ),
    max_leaves=10,
)
_doc = st.dictionaries(_keys, _value.filter(lambda v: v is not None), max_size=3)


@settings(max_examples=200, deadline=None)
@given(_doc, st.dictionaries(_keys, _value, max_size=3))
def test_without_merging_lists_it_is_a_merge_patch(data: dict[str, Any], patch: dict[str, Any]) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data}
    wrapped = {"data": patch}
    assert _apply(wrapped, cm, GVK("", "v1", "ConfigMap")) == apply_merge_patch(cm, wrapped)
