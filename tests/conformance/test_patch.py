"""Patch: merge (RFC 7386), JSON (RFC 6902), strategic merge for built-ins, server-side apply."""

from __future__ import annotations

import pytest

from shoal.api import (
    BadRequestError,
    ConflictError,
    InvalidError,
    NotFoundError,
    Object,
    PatchType,
    UnsupportedMediaTypeError,
)
from shoal.client import Client

from ._support import CONFIGMAPS, DEPLOYMENTS, configmap, custom, deployment, is_gone, register_crd, rv


async def test_merge_patch_sets_and_removes_keys(client: Client, ns: str) -> None:
    made = await client.create(
        CONFIGMAPS, configmap("a", ns, data={"keep": "1", "drop": "2"}, labels={"x": "1"})
    )
    patched = await client.patch(
        CONFIGMAPS,
        "a",
        {"data": {"drop": None, "new": "3"}, "metadata": {"labels": {"y": "2"}}},
        namespace=ns,
    )
    assert patched["data"] == {"keep": "1", "new": "3"}
    assert patched["metadata"]["labels"] == {"x": "1", "y": "2"}
    assert rv(patched) > rv(made)
    assert (await client.get(CONFIGMAPS, "a", namespace=ns))["data"] == {"keep": "1", "new": "3"}


async def test_merge_patch_replaces_lists(client: Client, ns: str) -> None:
    await client.create(DEPLOYMENTS, deployment("web", ns))
    sidecar = {"name": "sidecar", "image": "busybox"}
    patch = {"spec": {"template": {"spec": {"containers": [sidecar]}}}}
    patched = await client.patch(DEPLOYMENTS, "web", patch, namespace=ns)
    assert [c["name"] for c in patched["spec"]["template"]["spec"]["containers"]] == ["sidecar"]


async def test_patch_with_stale_resource_version_is_conflict(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    await client.patch(CONFIGMAPS, "a", {"data": {"v": "2"}}, namespace=ns)
    stale = {"metadata": {"resourceVersion": made["metadata"]["resourceVersion"]}, "data": {"v": "3"}}
    with pytest.raises(ConflictError):
        await client.patch(CONFIGMAPS, "a", stale, namespace=ns)
    assert (await client.get(CONFIGMAPS, "a", namespace=ns))["data"] == {"v": "2"}


async def test_no_op_patch_keeps_resource_version(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    same = await client.patch(CONFIGMAPS, "a", {"data": {"v": "1"}}, namespace=ns)
    assert same["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


async def test_patch_of_missing_object_is_not_found(client: Client, ns: str) -> None:
    with pytest.raises(NotFoundError):
        await client.patch(CONFIGMAPS, "missing", {"data": {"v": "1"}}, namespace=ns)
    assert await is_gone(client, CONFIGMAPS, "missing", ns)


async def test_json_patch_applies_operations_in_order(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("a", ns, data={"old": "1", "gone": "x"}))
    ops = [
        {"op": "test", "path": "/data/old", "value": "1"},
        {"op": "replace", "path": "/data/old", "value": "2"},
        {"op": "add", "path": "/data/new", "value": "3"},
        {"op": "remove", "path": "/data/gone"},
        {"op": "copy", "from": "/data/new", "path": "/data/copied"},
    ]
    patched = await client.patch(CONFIGMAPS, "a", ops, patch_type=PatchType.JSON, namespace=ns)
    assert patched["data"] == {"old": "2", "new": "3", "copied": "3"}


async def test_json_patch_failing_test_op_changes_nothing(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    ops = [
        {"op": "replace", "path": "/data/v", "value": "2"},
        {"op": "test", "path": "/data/v", "value": "1"},
    ]
    with pytest.raises(InvalidError) as caught:
        await client.patch(CONFIGMAPS, "a", ops, patch_type=PatchType.JSON, namespace=ns)
    assert caught.value.code == 422
    now = await client.get(CONFIGMAPS, "a", namespace=ns)
    assert now["data"] == {"v": "1"}
    assert now["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


async def test_json_patch_on_missing_path_is_invalid(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    ops = [{"op": "remove", "path": "/data/absent"}]
    with pytest.raises(InvalidError):
        await client.patch(CONFIGMAPS, "a", ops, patch_type=PatchType.JSON, namespace=ns)
    assert (await client.get(CONFIGMAPS, "a", namespace=ns))["data"] == {"v": "1"}


def _containers(obj: Object) -> list[Object]:
    containers: list[Object] = obj["spec"]["template"]["spec"]["containers"]
    return containers


async def test_strategic_patch_merges_containers_by_name(client: Client, ns: str) -> None:
    two = [{"name": "app", "image": "app:1"}, {"name": "proxy", "image": "proxy:1"}]
    await client.create(DEPLOYMENTS, deployment("web", ns, containers=two))
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "proxy", "image": "proxy:2"}]}}}}
    patched = await client.patch(DEPLOYMENTS, "web", patch, patch_type=PatchType.STRATEGIC, namespace=ns)
    assert [(c["name"], c["image"]) for c in _containers(patched)] == [("app", "app:1"), ("proxy", "proxy:2")]


async def test_strategic_patch_adds_and_deletes_containers(client: Client, ns: str) -> None:
    two = [{"name": "app", "image": "app:1"}, {"name": "proxy", "image": "proxy:1"}]
    await client.create(DEPLOYMENTS, deployment("web", ns, containers=two))
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "proxy", "$patch": "delete"}, {"name": "log", "image": "log:1"}]
                }
            }
        }
    }
    patched = await client.patch(DEPLOYMENTS, "web", patch, patch_type=PatchType.STRATEGIC, namespace=ns)
    assert sorted(c["name"] for c in _containers(patched)) == ["app", "log"]


async def test_strategic_patch_merges_env_by_name(client: Client, ns: str) -> None:
    app = {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "1"}]}
    await client.create(DEPLOYMENTS, deployment("web", ns, containers=[app]))
    env_patch = [{"name": "B", "value": "2"}, {"name": "C", "value": "3"}]
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "env": env_patch}]}}}}
    patched = await client.patch(DEPLOYMENTS, "web", patch, patch_type=PatchType.STRATEGIC, namespace=ns)
    (container,) = _containers(patched)
    assert container["image"] == "app:1"
    assert {e["name"]: e["value"] for e in container["env"]} == {"A": "1", "B": "2", "C": "3"}


async def test_strategic_patch_merges_finalizers(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("a", ns, finalizers=["example.com/a"]))
    added = await client.patch(
        CONFIGMAPS,
        "a",
        {"metadata": {"finalizers": ["example.com/b"]}},
        patch_type=PatchType.STRATEGIC,
        namespace=ns,
    )
    assert sorted(added["metadata"]["finalizers"]) == ["example.com/a", "example.com/b"]
    removed = await client.patch(
        CONFIGMAPS,
        "a",
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/a"]}},
        patch_type=PatchType.STRATEGIC,
        namespace=ns,
    )
    assert removed["metadata"]["finalizers"] == ["example.com/b"]
    await client.patch(CONFIGMAPS, "a", {"metadata": {"finalizers": None}}, namespace=ns)


async def test_strategic_patch_on_custom_resource_is_unsupported_media_type(client: Client, ns: str) -> None:
    widgets = await register_crd(client, "widgets", "Widget")
    made = await client.create(widgets, custom("Widget", "w", ns, spec={"size": 1}))
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        await client.patch(widgets, "w", {"spec": {"size": 2}}, patch_type=PatchType.STRATEGIC, namespace=ns)
    assert caught.value.code == 415
    assert PatchType.MERGE.value in caught.value.message
    now = await client.get(widgets, "w", namespace=ns)
    assert now["spec"] == {"size": 1}
    assert now["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


async def test_merge_and_json_patches_work_on_custom_resources(client: Client, ns: str) -> None:
    widgets = await register_crd(client, "widgets", "Widget")
    await client.create(widgets, custom("Widget", "w", ns, spec={"size": 1, "color": "red"}))
    merged = await client.patch(widgets, "w", {"spec": {"color": None, "size": 2}}, namespace=ns)
    assert merged["spec"] == {"size": 2}
    ops = [{"op": "add", "path": "/spec/shape", "value": "round"}]
    patched = await client.patch(widgets, "w", ops, patch_type=PatchType.JSON, namespace=ns)
    assert patched["spec"] == {"size": 2, "shape": "round"}


async def test_apply_patch_creates_a_missing_object(client: Client, ns: str) -> None:
    body = configmap("applied", ns, data={"k": "v"})
    made = await client.patch(
        CONFIGMAPS, "applied", body, patch_type=PatchType.APPLY, namespace=ns, field_manager="conformance"
    )
    assert made["data"] == {"k": "v"}
    assert made["metadata"]["uid"]
    fetched = await client.get(CONFIGMAPS, "applied", namespace=ns)
    assert fetched["metadata"]["uid"] == made["metadata"]["uid"]


async def test_apply_patch_updates_an_existing_object(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"k": "v"}))
    body = configmap("a", ns, data={"k": "v2", "n": "1"})
    applied = await client.patch(
        CONFIGMAPS,
        "a",
        body,
        patch_type=PatchType.APPLY,
        namespace=ns,
        field_manager="conformance",
        force=True,
    )
    assert applied["data"] == {"k": "v2", "n": "1"}
    assert applied["metadata"]["uid"] == made["metadata"]["uid"]
    assert rv(applied) > rv(made)


async def test_apply_patch_needs_a_field_manager(client: Client, ns: str) -> None:
    with pytest.raises(InvalidError) as caught:
        await client.patch(CONFIGMAPS, "a", configmap("a", ns), patch_type=PatchType.APPLY, namespace=ns)
    assert caught.value.code == 422
    assert "fieldManager" in caught.value.message
    assert await is_gone(client, CONFIGMAPS, "a", ns)


@pytest.mark.parametrize(
    ("patch_type", "body"),
    [
        (PatchType.JSON, {"op": "add", "path": "/data/x", "value": "1"}),
        (PatchType.JSON, "not a list"),
        (PatchType.MERGE, "not an object"),
        (PatchType.STRATEGIC, [1, 2]),
    ],
)
async def test_malformed_patch_is_bad_request(
    client: Client, ns: str, patch_type: PatchType, body: object
) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    with pytest.raises(BadRequestError) as caught:
        await client.patch(CONFIGMAPS, "a", body, patch_type=patch_type, namespace=ns)
    assert caught.value.code == 400
    now = await client.get(CONFIGMAPS, "a", namespace=ns)
    assert now["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


@pytest.mark.parametrize(
    "operation",
    [{"op": "frobnicate", "path": "/data/x"}, {"path": "/data/x", "value": "1"}],
)
async def test_json_patch_with_unknown_operation_is_invalid(
    client: Client, ns: str, operation: object
) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    with pytest.raises(InvalidError):
        await client.patch(CONFIGMAPS, "a", [operation], patch_type=PatchType.JSON, namespace=ns)
    now = await client.get(CONFIGMAPS, "a", namespace=ns)
    assert now["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


async def test_dry_run_patch_persists_nothing(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    answered = await client.patch(CONFIGMAPS, "a", {"data": {"v": "2"}}, namespace=ns, dry_run=True)
    assert answered["data"] == {"v": "2"}
    now = await client.get(CONFIGMAPS, "a", namespace=ns)
    assert now["data"] == {"v": "1"}
    assert now["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


async def _apply(
    client: Client, ns: str, manager: str, data: dict[str, str], *, force: bool | None = None
) -> Object:
    """Server-side apply of ConfigMap ``s`` holding ``data``, as ``manager``."""
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}, "data": data}
    return await client.patch(
        CONFIGMAPS, "s", body, patch_type=PatchType.APPLY, namespace=ns, field_manager=manager, force=force
    )


async def test_apply_by_another_manager_conflicts_unless_forced(client: Client, ns: str) -> None:
    first = await _apply(client, ns, "one", {"x": "1"})
    with pytest.raises(ConflictError) as caught:
        await _apply(client, ns, "two", {"x": "2"})
    assert ".data.x" in caught.value.message
    now = await client.get(CONFIGMAPS, "s", namespace=ns)
    assert now["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    forced = await _apply(client, ns, "two", {"x": "2"}, force=True)
    assert forced["data"] == {"x": "2"}


async def test_apply_removes_fields_the_manager_stops_applying(client: Client, ns: str) -> None:
    await _apply(client, ns, "one", {"x": "1", "y": "1"})
    again = await _apply(client, ns, "one", {"x": "1"})
    assert again["data"] == {"x": "1"}


async def test_apply_records_the_manager_in_managed_fields(client: Client, ns: str) -> None:
    made = await _apply(client, ns, "one", {"x": "1"})
    entries = {(m["manager"], m["operation"]) for m in made["metadata"]["managedFields"]}
    assert ("one", "Apply") in entries
