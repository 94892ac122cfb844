"""Status subresource split, generation, finalizer rules, secrets, server-side apply bookkeeping."""

from __future__ import annotations

import base64

import pytest

from shoal.api import ConflictError, InvalidError, PatchType
from shoal.sim import Simulator

from ._helpers import CONFIGMAPS, CRDS, PODS, SECRETS, WIDGETS, configmap, widget_crd


def _widget(name: str, **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "unit.shoal.dev/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }


async def test_status_and_spec_writes_are_separate() -> None:
    sim = Simulator()
    client = sim.client()
    await client.create(CRDS, widget_crd())
    made = await client.create(WIDGETS, {**_widget("w", size=1), "status": {"ready": True}})
    assert "status" not in made
    assert made["metadata"]["generation"] == 1
    st = await client.patch_status(
        WIDGETS,
        "w",
        {"spec": {"size": 9}, "status": {"ready": True}, "metadata": {"labels": {"x": "y"}}},
        namespace="default",
    )
    assert st["spec"] == {"size": 1}
    assert st["status"] == {"ready": True}
    assert "labels" not in st["metadata"]
    assert st["metadata"]["generation"] == 1
    main = await client.patch(
        WIDGETS, "w", {"spec": {"size": 2}, "status": {"ready": False}}, namespace="default"
    )
    assert main["spec"] == {"size": 2}
    assert main["status"] == {"ready": True}
    assert main["metadata"]["generation"] == 2
    labelled = await client.patch(WIDGETS, "w", {"metadata": {"labels": {"a": "b"}}}, namespace="default")
    assert labelled["metadata"]["generation"] == 2


async def test_custom_resource_update_needs_a_resource_version() -> None:
    sim = Simulator()
    client = sim.client()
    await client.create(CRDS, widget_crd())
    await client.create(WIDGETS, _widget("w", size=1))
    with pytest.raises(InvalidError, match="must be specified for an update") as caught:
        await client.update(WIDGETS, _widget("w", size=2))
    assert caught.value.fields == ["metadata.resourceVersion"]
    # Built-ins update unconditionally.
    await client.create(CONFIGMAPS, configmap("c"))
    assert (await client.update(CONFIGMAPS, {**configmap("c"), "data": {"k": "v"}}))["data"] == {"k": "v"}
    with pytest.raises(ConflictError, match="the object has been modified"):
        await client.update(CONFIGMAPS, configmap("c", resourceVersion="1"))


async def test_no_new_finalizers_on_a_deleting_object() -> None:
    sim = Simulator()
    client = sim.client()
    await client.create(CONFIGMAPS, configmap("c", finalizers=["unit/a"]))
    await client.delete(CONFIGMAPS, "c", namespace="default")
    with pytest.raises(InvalidError, match="no new finalizers") as caught:
        await client.patch(
            CONFIGMAPS, "c", {"metadata": {"finalizers": ["unit/a", "unit/b"]}}, namespace="default"
        )
    assert caught.value.fields == ["metadata.finalizers"]


async def test_secret_string_data_is_folded_into_data() -> None:
    sim = Simulator()
    client = sim.client()
    made = await client.create(
        SECRETS,
        {"metadata": {"name": "s", "namespace": "default"}, "data": {"a": "eA=="}, "stringData": {"b": "hi"}},
    )
    assert made["data"] == {"a": "eA==", "b": base64.b64encode(b"hi").decode()}
    assert "stringData" not in made


async def test_apply_owns_fields_per_manager() -> None:
    sim = Simulator()
    client = sim.client()

    async def apply(manager: str, data: dict[str, str], force: bool | None = None) -> dict[str, object]:
        body = {**configmap("c"), "data": data}
        return await client.patch(
            CONFIGMAPS,
            "c",
            body,
            patch_type=PatchType.APPLY,
            namespace="default",
            field_manager=manager,
            force=force,
        )

    made = await apply("one", {"a": "1", "b": "1"})
    entry = made["metadata"]["managedFields"][0]  # type: ignore[index]
    assert (entry["manager"], entry["operation"]) == ("one", "Apply")
    assert entry["fieldsV1"] == {"f:data": {"f:a": {}, "f:b": {}}}
    revision = sim.store.revision
    assert (await apply("one", {"a": "1", "b": "1"}))["metadata"]["resourceVersion"] == str(revision)  # type: ignore[index]
    shared = await apply("two", {"b": "1", "c": "2"})  # same value: no conflict, both own b
    assert shared["data"] == {"a": "1", "b": "1", "c": "2"}
    with pytest.raises(ConflictError, match=r'conflict with "one" using v1: \.data\.a'):
        await apply("two", {"a": "9"})
    forced = await apply("two", {"a": "9", "b": "1"}, force=True)
    assert forced["data"] == {"a": "9", "b": "1"}  # two stopped applying c: removed
    owners = {e["manager"]: e["fieldsV1"] for e in forced["metadata"]["managedFields"]}  # type: ignore[index]
    assert owners == {"one": {"f:data": {"f:b": {}}}, "two": {"f:data": {"f:a": {}, "f:b": {}}}}
    # one no longer applies b, but two still owns it: it stays.
    kept = await apply("one", {})
    assert kept["data"] == {"a": "9", "b": "1"}


async def test_generate_name_and_dry_run() -> None:
    sim = Simulator()
    client = sim.client()
    revision = sim.store.revision
    dry = await client.create(
        CONFIGMAPS, {"metadata": {"generateName": "x-", "namespace": "default"}}, dry_run=True
    )
    assert dry["metadata"]["name"].startswith("x-")
    assert len(dry["metadata"]["name"]) == 7
    assert "resourceVersion" not in dry["metadata"]
    assert sim.store.revision == revision
    made = await client.create(CONFIGMAPS, {"metadata": {"generateName": "x-", "namespace": "default"}})
    assert made["metadata"]["creationTimestamp"].endswith("Z")
    assert made["metadata"]["uid"]


async def test_kind_rules_on_update() -> None:
    sim = Simulator()
    client = sim.client()
    pod = {
        "metadata": {"name": "p", "namespace": "default", "bogus": 1},
        "spec": {"containers": [{"name": "c", "image": "i"}]},
        "extra": True,
    }
    made = await client.create(PODS, pod)
    assert "extra" not in made
    assert "bogus" not in made["metadata"]
    bound = await client.patch(PODS, "p", {"spec": {"nodeName": "n1"}}, namespace="default")
    assert bound["spec"]["nodeName"] == "n1"
    with pytest.raises(InvalidError) as caught:
        await client.patch(PODS, "p", {"spec": {"nodeName": "n2"}}, namespace="default")
    assert caught.value.fields == ["spec"]
    retagged = await client.patch(
        PODS, "p", {"spec": {"containers": [{"name": "c", "image": "j"}]}}, namespace="default"
    )
    assert retagged["spec"]["containers"][0]["image"] == "j"
