"""Create: server-set metadata, generateName, duplicates, namespaces, body checks, dry run."""

from __future__ import annotations

import re

import pytest

from shoal.api import (
    AlreadyExistsError,
    BadRequestError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
)
from shoal.client import Client
from shoal.testing import eventually

from ._support import (
    CONFIGMAPS,
    DEPLOYMENTS,
    GENERATED_SUFFIX_ALPHABET,
    HOLD,
    NAMESPACES,
    configmap,
    custom,
    deployment,
    is_gone,
    names,
    register_crd,
    rv,
)

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


async def test_create_sets_uid_creation_timestamp_and_resource_version(client: Client, ns: str) -> None:
    created = await client.create(CONFIGMAPS, configmap("a", ns, data={"k": "v"}, uid="chosen-by-client"))
    meta = created["metadata"]
    assert meta["uid"]
    assert meta["uid"] != "chosen-by-client"
    assert RFC3339.match(meta["creationTimestamp"])
    assert rv(created) > 0
    assert created["apiVersion"] == "v1"
    assert created["kind"] == "ConfigMap"
    assert created["data"] == {"k": "v"}
    fetched = await client.get(CONFIGMAPS, "a", namespace=ns)
    assert fetched["metadata"]["uid"] == meta["uid"]
    assert fetched["metadata"]["resourceVersion"] == meta["resourceVersion"]
    assert fetched["metadata"]["creationTimestamp"] == meta["creationTimestamp"]


async def test_create_sets_generation_one_on_kinds_with_spec(client: Client, ns: str) -> None:
    made = await client.create(DEPLOYMENTS, deployment("web", ns))
    assert made["metadata"]["generation"] == 1
    widgets = await register_crd(client, "widgets", "Widget")
    widget = await client.create(widgets, custom("Widget", "w", ns, spec={"size": 1}))
    assert widget["metadata"]["generation"] == 1
    assert widget["metadata"]["uid"]


async def test_each_write_gets_a_higher_resource_version(client: Client, ns: str) -> None:
    first = await client.create(CONFIGMAPS, configmap("a", ns))
    second = await client.create(CONFIGMAPS, configmap("b", ns))
    changed = await client.update(CONFIGMAPS, {**first, "data": {"x": "1"}})
    assert rv(first) < rv(second) < rv(changed)


async def test_create_without_kind_and_api_version_takes_them_from_the_resource(
    client: Client, ns: str
) -> None:
    created = await client.create(CONFIGMAPS, {"metadata": {"name": "bare"}, "data": {}}, namespace=ns)
    assert created["kind"] == "ConfigMap"
    assert created["apiVersion"] == "v1"


async def test_generate_name_appends_five_random_characters(client: Client, ns: str) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "web-", "namespace": ns}}
    first = await client.create(CONFIGMAPS, body)
    second = await client.create(CONFIGMAPS, body)
    for made in (first, second):
        name = made["metadata"]["name"]
        assert name.startswith("web-")
        assert len(name) == len("web-") + 5
        assert set(name[len("web-") :]) <= set(GENERATED_SUFFIX_ALPHABET)
        assert made["metadata"]["generateName"] == "web-"
    assert first["metadata"]["name"] != second["metadata"]["name"]
    assert await names(client, CONFIGMAPS, ns) >= {first["metadata"]["name"], second["metadata"]["name"]}


async def test_duplicate_create_is_already_exists(client: Client, ns: str) -> None:
    original = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    with pytest.raises(AlreadyExistsError) as caught:
        await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "2"}))
    err = caught.value
    assert (err.code, err.reason) == (409, "AlreadyExists")
    assert err.message == 'configmaps "a" already exists'
    assert (err.name, err.kind) == ("a", "configmaps")
    after = await client.get(CONFIGMAPS, "a", namespace=ns)
    assert after["data"] == {"v": "1"}
    assert after["metadata"]["resourceVersion"] == original["metadata"]["resourceVersion"]


async def test_same_name_in_another_namespace_is_another_object(client: Client, ns: str) -> None:
    a = await client.create(CONFIGMAPS, configmap("a", ns))
    b = await client.create(CONFIGMAPS, configmap("a", "default"))
    assert a["metadata"]["uid"] != b["metadata"]["uid"]


async def test_create_in_missing_namespace_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.create(CONFIGMAPS, configmap("a", "nowhere"))
    err = caught.value
    assert err.code == 404
    assert err.message == 'namespaces "nowhere" not found'
    assert (err.name, err.kind) == ("nowhere", "namespaces")


async def test_create_in_terminating_namespace_is_forbidden(client: Client) -> None:
    await client.create(NAMESPACES, {"metadata": {"name": "closing"}})
    await client.create(CONFIGMAPS, configmap("held", "closing", finalizers=[HOLD]))
    await client.delete(NAMESPACES, "closing")

    async def terminating() -> bool:
        namespace = await client.get(NAMESPACES, "closing")
        return namespace["status"].get("phase") == "Terminating"

    await eventually(terminating)
    with pytest.raises(ForbiddenError) as caught:
        await client.create(CONFIGMAPS, configmap("late", "closing"))
    assert caught.value.code == 403
    assert "because it is being terminated" in caught.value.message
    assert await is_gone(client, CONFIGMAPS, "late", "closing")

    await client.patch(CONFIGMAPS, "held", {"metadata": {"finalizers": None}}, namespace="closing")
    assert await eventually(lambda: is_gone(client, NAMESPACES, "closing"))


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [("v1", "Secret"), ("apps/v1", "ConfigMap"), ("v2", "ConfigMap")],
)
async def test_body_kind_or_version_mismatch_is_bad_request(
    client: Client, ns: str, api_version: str, kind: str
) -> None:
    body = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "a", "namespace": ns}}
    with pytest.raises(BadRequestError) as caught:
        await client.create(CONFIGMAPS, body)
    assert caught.value.code == 400
    assert await is_gone(client, CONFIGMAPS, "a", ns)


async def test_body_namespace_must_match_the_request_namespace(client: Client, ns: str) -> None:
    with pytest.raises(BadRequestError):
        await client.create(CONFIGMAPS, configmap("a", "default"), namespace=ns)
    assert await is_gone(client, CONFIGMAPS, "a", ns)
    assert await is_gone(client, CONFIGMAPS, "a", "default")


@pytest.mark.parametrize("name", ["Upper", "under_score", "-leading", "trailing-", "a" * 254, "a/b"])
async def test_invalid_name_is_invalid_naming_metadata_name(client: Client, ns: str, name: str) -> None:
    with pytest.raises(InvalidError) as caught:
        await client.create(CONFIGMAPS, configmap(name, ns))
    err = caught.value
    assert err.code == 422
    assert "metadata.name" in err.fields
    assert err.message.startswith(f'ConfigMap "{name}" is invalid: metadata.name')
    assert await names(client, CONFIGMAPS, ns) == set()


async def test_missing_name_is_invalid(client: Client, ns: str) -> None:
    with pytest.raises(InvalidError) as caught:
        await client.create(
            CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, namespace=ns
        )
    assert "metadata.name" in caught.value.fields


async def test_namespace_names_are_dns_labels(client: Client) -> None:
    with pytest.raises(InvalidError) as caught:
        await client.create(NAMESPACES, {"metadata": {"name": "has.dot"}})
    assert "metadata.name" in caught.value.fields
    assert await is_gone(client, NAMESPACES, "has.dot")


async def test_dry_run_create_persists_nothing(client: Client, ns: str) -> None:
    before = await client.list(CONFIGMAPS, namespace=ns)
    answered = await client.create(CONFIGMAPS, configmap("dry", ns, data={"k": "v"}), dry_run=True)
    assert answered["metadata"]["name"] == "dry"
    assert answered["data"] == {"k": "v"}
    assert await is_gone(client, CONFIGMAPS, "dry", ns)
    after = await client.list(CONFIGMAPS, namespace=ns)
    assert after["items"] == before["items"] == []
    # The name is still free: a real create succeeds.
    await client.create(CONFIGMAPS, configmap("dry", ns))


async def test_dry_run_create_still_validates(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("a", ns))
    with pytest.raises(AlreadyExistsError):
        await client.create(CONFIGMAPS, configmap("a", ns), dry_run=True)
    with pytest.raises(InvalidError):
        await client.create(CONFIGMAPS, configmap("Bad", ns), dry_run=True)


async def test_new_namespace_is_active_and_the_system_namespaces_exist(client: Client) -> None:
    made = await client.create(
        NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}
    )
    assert made["status"]["phase"] == "Active"
    assert made["spec"]["finalizers"] == ["kubernetes"]
    assert await names(client, NAMESPACES) >= {
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "x",
    }


async def test_cluster_scoped_create_drops_a_body_namespace(client: Client) -> None:
    made = await client.create(NAMESPACES, {"metadata": {"name": "x", "namespace": "default"}})
    assert "namespace" not in made["metadata"]


async def test_unknown_fields_of_built_in_kinds_are_dropped(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, {**configmap("a", ns), "bogus": 1})
    assert "bogus" not in made
    assert "bogus" not in await client.get(CONFIGMAPS, "a", namespace=ns)


async def test_a_null_creation_timestamp_in_a_pod_template_is_not_stored(client: Client, ns: str) -> None:
    """kubectl up to 1.33 sends ``creationTimestamp: null`` in a template's metadata; the apiserver
    decodes it as a zero time, which the version the simulator reports leaves out. Create and update."""
    body = deployment("web", ns)
    body["spec"]["template"]["metadata"]["creationTimestamp"] = None
    made = await client.create(DEPLOYMENTS, body)
    assert made["spec"]["template"]["metadata"] == {"labels": {"app": "web"}}
    made["spec"]["template"]["metadata"]["creationTimestamp"] = None
    made["spec"]["replicas"] = 2
    updated = await client.update(DEPLOYMENTS, made)
    assert updated["spec"]["template"]["metadata"] == {"labels": {"app": "web"}}
    stored = await client.get(DEPLOYMENTS, "web", namespace=ns)
    assert "creationTimestamp" not in stored["spec"]["template"]["metadata"]


async def test_generate_name_keeps_names_within_63_characters(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, {"metadata": {"generateName": "x" * 70, "namespace": ns}})
    name = made["metadata"]["name"]
    assert len(name) == 63
    assert name.startswith("x" * 58)
