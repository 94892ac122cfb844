"""Field validation: unknown fields are dropped, reported as warnings, or (Strict) reject the write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from shoal.api import GVR, BadRequestError, NotFoundError, Object, PatchType
from shoal.client import Client
from shoal.sim import Simulator, serve

from ._support import CONFIGMAPS, CRDS, DEPLOYMENTS, GROUP, configmap, crd, custom, deployment

WIDGETS = GVR(GROUP, "v1", "widgets")


def _deployment_with_unknown_fields(ns: str) -> Object:
    made = deployment("web", ns)
    made["spec"]["foo"] = 1
    made["spec"]["template"]["spec"]["containers"][0]["bar"] = True
    return made


async def _widgets(client: Client, schema: Object) -> None:
    """Register ``widgets`` whose ``v1`` schema is ``schema``."""
    body = crd("widgets", "Widget")
    body["spec"]["versions"][0]["schema"] = {"openAPIV3Schema": schema}
    await client.create(CRDS, body)


SIZED: Object = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "size": {"type": "integer"},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "items": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                },
            },
        },
        "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
    },
}


async def test_strict_create_names_every_unknown_field_and_writes_nothing(client: Client, ns: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        await client.create(DEPLOYMENTS, _deployment_with_unknown_fields(ns), field_validation="Strict")
    assert caught.value.code == 400
    assert "strict decoding error" in caught.value.message
    assert 'unknown field "spec.foo"' in caught.value.message
    assert 'unknown field "spec.template.spec.containers[0].bar"' in caught.value.message
    with pytest.raises(NotFoundError):
        await client.get(DEPLOYMENTS, "web", namespace=ns)


async def test_strict_create_of_known_fields_succeeds(client: Client, ns: str) -> None:
    made = await client.create(DEPLOYMENTS, deployment("web", ns), field_validation="Strict")
    assert made["spec"]["replicas"] == deployment("web", ns)["spec"]["replicas"]


@pytest.mark.parametrize("validation", [None, "Ignore", "Warn"])
async def test_lenient_writes_drop_unknown_fields(client: Client, ns: str, validation: str | None) -> None:
    made = await client.create(DEPLOYMENTS, _deployment_with_unknown_fields(ns), field_validation=validation)
    stored = await client.get(DEPLOYMENTS, "web", namespace=ns)
    for obj in (made, stored):
        assert "foo" not in obj["spec"]
        assert "bar" not in obj["spec"]["template"]["spec"]["containers"][0]
        assert obj["spec"]["template"]["spec"]["containers"][0]["image"]


async def test_strict_update_leaves_the_stored_object_unchanged(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"k": "v"}))
    changed = {**made, "data": {"k": "w"}, "bogus": 1}
    with pytest.raises(BadRequestError, match='unknown field "bogus"'):
        await client.update(CONFIGMAPS, changed, field_validation="Strict")
    assert await client.get(CONFIGMAPS, "a", namespace=ns) == made


@pytest.mark.parametrize(
    ("patch_type", "patch"),
    [
        (PatchType.MERGE, {"data": {"k": "w"}, "bogus": {"x": 1}}),
        (PatchType.STRATEGIC, {"data": {"k": "w"}, "bogus": {"x": 1}}),
        (
            PatchType.JSON,
            [{"op": "replace", "path": "/data/k", "value": "w"}, {"op": "add", "path": "/bogus", "value": 1}],
        ),
    ],
)
async def test_strict_patch_leaves_the_stored_object_unchanged(
    client: Client, ns: str, patch_type: PatchType, patch: Any
) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"k": "v"}))
    with pytest.raises(BadRequestError, match='unknown field "bogus"'):
        await client.patch(
            CONFIGMAPS, "a", patch, patch_type=patch_type, namespace=ns, field_validation="Strict"
        )
    assert await client.get(CONFIGMAPS, "a", namespace=ns) == made


async def test_strict_apply_that_would_create_writes_nothing(client: Client, ns: str) -> None:
    body = {**configmap("a", ns), "bogus": 1}
    with pytest.raises(BadRequestError, match='unknown field "bogus"'):
        await client.patch(
            CONFIGMAPS,
            "a",
            body,
            patch_type=PatchType.APPLY,
            namespace=ns,
            field_manager="test",
            field_validation="Strict",
        )
    with pytest.raises(NotFoundError):
        await client.get(CONFIGMAPS, "a", namespace=ns)


async def test_lenient_patch_drops_unknown_fields(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("a", ns))
    patched = await client.patch(CONFIGMAPS, "a", {"data": {"k": "w"}, "bogus": 1}, namespace=ns)
    assert patched["data"] == {"k": "w"}
    assert "bogus" not in patched


async def test_an_unsupported_field_validation_is_bad_request(client: Client, ns: str) -> None:
    with pytest.raises(BadRequestError, match='fieldValidation: Unsupported value: "Loud"'):
        await client.create(CONFIGMAPS, configmap("a", ns), field_validation="Loud")


async def test_custom_resources_follow_their_structural_schema(client: Client, ns: str) -> None:
    await _widgets(client, SIZED)
    spec = {"size": 1, "foo": 2, "extra": {"anything": {"goes": True}}, "items": [{"name": "a", "x": 1}]}
    with pytest.raises(BadRequestError) as caught:
        await client.create(WIDGETS, custom("Widget", "w", ns, spec=spec), field_validation="Strict")
    assert 'unknown field "spec.foo"' in caught.value.message
    assert 'unknown field "spec.items[0].x"' in caught.value.message
    assert "extra" not in caught.value.message
    made = await client.create(WIDGETS, custom("Widget", "w", ns, spec=spec), field_validation="Ignore")
    assert made["spec"] == {"size": 1, "extra": {"anything": {"goes": True}}, "items": [{"name": "a"}]}


async def test_custom_resource_status_writes_are_checked(client: Client, ns: str) -> None:
    await _widgets(client, SIZED)
    made = await client.create(WIDGETS, custom("Widget", "w", ns, spec={"size": 1}))
    with pytest.raises(BadRequestError, match=r'unknown field "status\.phase"'):
        await client.update_status(
            WIDGETS, {**made, "status": {"ready": True, "phase": "Up"}}, field_validation="Strict"
        )
    updated = await client.update_status(WIDGETS, {**made, "status": {"ready": True, "phase": "Up"}})
    assert updated["status"] == {"ready": True}


async def test_a_schema_without_properties_keeps_every_field(client: Client, ns: str) -> None:
    await _widgets(client, {"type": "object"})
    obj = {**custom("Widget", "w", ns, spec={"anything": 1}), "top": {"level": True}}
    made = await client.create(WIDGETS, obj, field_validation="Strict")
    assert made["spec"] == {"anything": 1}
    assert made["top"] == {"level": True}


# -- the HTTP door only: warnings travel as headers, and apply's 201 --------------------------------


@pytest.fixture
async def session(sim: Simulator) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    await sim.client().create(GVR("", "v1", "namespaces"), {"metadata": {"name": "w"}})
    async with serve(sim) as served, aiohttp.ClientSession() as http:
        yield http, served.url


@pytest.mark.parametrize("query", ["", "?fieldValidation=Warn"])
async def test_warn_answers_with_warning_headers(
    session: tuple[aiohttp.ClientSession, str], query: str
) -> None:
    http, url = session
    body = {**_deployment_with_unknown_fields("w")}
    async with http.post(f"{url}/apis/apps/v1/namespaces/w/deployments{query}", json=body) as response:
        assert response.status == 201
        warnings = response.headers.getall("Warning")
        created = await response.json()
    assert sorted(warnings) == [
        '299 - "unknown field \\"spec.foo\\""',
        '299 - "unknown field \\"spec.template.spec.containers[0].bar\\""',
    ]
    assert "foo" not in created["spec"]


async def test_ignore_and_known_fields_answer_without_warnings(
    session: tuple[aiohttp.ClientSession, str],
) -> None:
    http, url = session
    path = f"{url}/api/v1/namespaces/w/configmaps"
    async with http.post(f"{path}?fieldValidation=Ignore", json={**configmap("a", "w"), "x": 1}) as response:
        assert response.status == 201
        assert "Warning" not in response.headers
    async with http.post(path, json=configmap("b", "w")) as response:
        assert response.status == 201
        assert "Warning" not in response.headers


async def test_warn_on_a_patch_names_the_fields_it_sets(session: tuple[aiohttp.ClientSession, str]) -> None:
    http, url = session
    path = f"{url}/api/v1/namespaces/w/configmaps"
    async with http.post(path, json=configmap("a", "w")) as response:
        assert response.status == 201
    headers = {"Content-Type": "application/json-patch+json"}
    patch = [{"op": "add", "path": "/bogus", "value": {"x": 1}}]
    async with http.patch(f"{path}/a", json=patch, headers=headers) as response:
        assert response.status == 200
        assert response.headers.getall("Warning") == ['299 - "unknown field \\"bogus\\""']


async def test_strict_over_http_is_a_bad_request_status(session: tuple[aiohttp.ClientSession, str]) -> None:
    http, url = session
    body = {**configmap("a", "w"), "bogus": 1}
    async with http.post(
        f"{url}/api/v1/namespaces/w/configmaps?fieldValidation=Strict", json=body
    ) as response:
        assert response.status == 400
        status = await response.json()
    assert status["reason"] == "BadRequest"
    assert status["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"'
    )


async def test_server_side_apply_answers_201_when_it_creates(
    session: tuple[aiohttp.ClientSession, str],
) -> None:
    http, url = session
    path = f"{url}/api/v1/namespaces/w/configmaps/a?fieldManager=test"
    headers = {"Content-Type": "application/apply-patch+yaml"}
    body = configmap("a", "w", data={"k": "v"})
    async with http.patch(path, json=body, headers=headers) as response:
        assert response.status == 201
    async with http.patch(path, json={**body, "data": {"k": "w"}}, headers=headers) as response:
        assert response.status == 200
        assert (await response.json())["data"] == {"k": "w"}


@pytest.mark.parametrize(("query", "status"), [("?fieldValidation=Strict", 400), ("", 201)])
async def test_a_repeated_field_is_strict_error_or_warning(
    session: tuple[aiohttp.ClientSession, str], query: str, status: int
) -> None:
    http, url = session
    body = b'{"metadata": {"name": "a", "name": "a"}, "data": {"k": "v"}, "bogus": 1}'
    headers = {"Content-Type": "application/json"}
    path = f"{url}/api/v1/namespaces/w/configmaps"
    async with http.post(f"{path}{query}", data=body, headers=headers) as response:
        assert response.status == status
        answer = await response.json()
        warnings = response.headers.getall("Warning", [])
    if status == 400:
        assert answer["message"].endswith(
            'strict decoding error: duplicate field "metadata.name", unknown field "bogus"'
        )
        async with http.get(f"{path}/a") as response:
            assert response.status == 404
    else:
        assert warnings == [
            '299 - "duplicate field \\"metadata.name\\""',
            '299 - "unknown field \\"bogus\\""',
        ]
