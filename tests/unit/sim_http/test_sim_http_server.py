"""The HTTP door against a real simulator: status codes, Status bodies, negotiation, watch streams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from shoal.sim import Fault, Simulator
from shoal.sim._negotiation import MAX_BODY_BYTES
from shoal.sim._serve import ServedSimulator, serve

CMS = "/api/v1/namespaces/default/configmaps"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator() as simulator:
        yield simulator


@pytest.fixture
async def served(sim: Simulator) -> AsyncIterator[ServedSimulator]:
    async with serve(sim) as door:
        yield door


@pytest.fixture
async def http(served: ServedSimulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=served.url, headers={"User-Agent": "unit-test"}) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, path: str, body: Any = None, **headers: str
) -> tuple[int, Any, aiohttp.ClientResponse]:
    data = body if isinstance(body, bytes) or body is None else orjson.dumps(body)
    if data is not None:
        headers.setdefault("Content-Type", "application/json")
    async with http.request(method, path, data=data, headers=headers) as response:
        raw = await response.read()
        return response.status, orjson.loads(raw) if raw and raw[:1] in b"{[" else raw, response


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def assert_status(body: Any, code: int, reason: str) -> None:
    assert body["kind"] == "Status"
    assert body["apiVersion"] == "v1"
    assert (body["code"], body["reason"]) == (code, reason)


async def test_crud_round_trip_and_accounting(sim: Simulator, http: aiohttp.ClientSession) -> None:
    code, created, _ = await call(http, "POST", CMS, configmap("a", k="v"))
    assert code == 201
    assert created["metadata"]["namespace"] == "default"
    code, got, _ = await call(http, "GET", f"{CMS}/a")
    assert (code, got["data"]) == (200, {"k": "v"})
    code, patched, _ = await call(
        http, "PATCH", f"{CMS}/a", {"data": {"k": "w"}}, **{"Content-Type": "application/merge-patch+json"}
    )
    assert (code, patched["data"]) == (200, {"k": "w"})
    code, _, _ = await call(http, "DELETE", f"{CMS}/a")
    assert code == 200
    code, body, _ = await call(http, "GET", f"{CMS}/a")
    assert_status(body, 404, "NotFound")
    assert sim.accounting.count(verb="create", resource="configmaps", user_agent="unit-test") == 1
    assert sim.accounting.count(verb="patch", resource="configmaps", user_agent="unit-test") == 1


async def test_bad_input_leaves_the_store_unchanged(sim: Simulator, http: aiohttp.ClientSession) -> None:
    before = sim.store.revision
    _, body, _ = await call(http, "POST", CMS, b"{not json", **{"Content-Type": "application/json"})
    assert_status(body, 400, "BadRequest")
    _, body, _ = await call(http, "POST", CMS, b"- a\n- : [", **{"Content-Type": "application/yaml"})
    assert_status(body, 400, "BadRequest")
    _, body, _ = await call(http, "POST", CMS, b"\xa1\x00", **{"Content-Type": "application/cbor"})
    assert_status(body, 415, "UnsupportedMediaType")
    huge = orjson.dumps(configmap("big", blob="x" * (MAX_BODY_BYTES + 1)))
    _, body, _ = await call(http, "POST", CMS, huge, **{"Content-Type": "application/json"})
    assert_status(body, 413, "RequestEntityTooLarge")
    _, body, _ = await call(http, "PUT", f"{CMS}/other", configmap("mismatch"))
    assert_status(body, 400, "BadRequest")
    _, body, _ = await call(http, "POST", CMS, {**configmap("x"), "kind": "Secret"})
    assert_status(body, 400, "BadRequest")
    assert sim.store.revision == before


async def test_unknown_paths_and_methods(http: aiohttp.ClientSession) -> None:
    _, body, _ = await call(http, "GET", "/api/v1/gizmos")
    assert_status(body, 404, "NotFound")
    assert body["message"] == "the server could not find the requested resource"
    _, body, _ = await call(http, "GET", "/api/v1/nodes/n1/scale")
    assert_status(body, 404, "NotFound")
    _, body, _ = await call(http, "POST", "/api")
    assert_status(body, 405, "MethodNotAllowed")
    code, _, _ = await call(http, "GET", "/version/")
    assert code == 200


async def test_server_side_apply_needs_a_field_manager_and_creates(http: aiohttp.ClientSession) -> None:
    apply = {"Content-Type": "application/apply-patch+yaml"}
    yaml_body = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\ndata: {k: v}\n"
    code, body, _ = await call(http, "PATCH", f"{CMS}/applied", yaml_body, **apply)
    assert_status(body, 422, "Invalid")
    code, body, _ = await call(http, "PATCH", f"{CMS}/applied?fieldManager=unit", yaml_body, **apply)
    assert code in (200, 201)
    assert body["data"] == {"k": "v"}


async def test_token_required_when_configured(sim: Simulator) -> None:
    async with serve(sim, token="s3cret") as door, aiohttp.ClientSession(base_url=door.url) as http:
        _, body, _ = await call(http, "GET", "/api/v1/namespaces")
        assert_status(body, 401, "Unauthorized")
        code, _, _ = await call(http, "GET", "/api/v1/namespaces", Authorization="Bearer s3cret")
        assert code == 200
        code, _, _ = await call(http, "GET", "/healthz")
        assert code == 200


async def test_too_many_requests_carries_retry_after(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.faults.add(Fault(verb="create", resource="configmaps", code=429, retry_after=3, times=1))
    code, body, response = await call(http, "POST", CMS, configmap("throttled"))
    assert code == 429
    assert_status(body, 429, "TooManyRequests")
    assert response.headers["Retry-After"] == "3"


async def test_table_for_lists_and_objects(http: aiohttp.ClientSession) -> None:
    await call(http, "POST", CMS, configmap("t", a="1", b="2"))
    _, table, _ = await call(http, "GET", CMS, Accept=TABLE)
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert table["rows"][0]["cells"][:2] == ["t", 2]
    _, one, _ = await call(http, "GET", f"{CMS}/t?includeObject=Object", Accept=TABLE)
    assert one["rows"][0]["object"]["data"] == {"a": "1", "b": "2"}


async def read_events(response: aiohttp.ClientResponse, count: int) -> list[dict[str, Any]]:
    events = []
    while len(events) < count:
        line = await asyncio.wait_for(response.content.readline(), 5)
        assert line, "stream ended early"
        events.append(orjson.loads(line))
    return events


async def test_watch_streams_changes_and_bookmarks(http: aiohttp.ClientSession) -> None:
    _, listed, _ = await call(http, "GET", CMS)
    rv = listed["metadata"]["resourceVersion"]
    async with http.get(f"{CMS}?watch=True&resourceVersion={rv}") as response:
        assert response.status == 200
        await call(http, "POST", CMS, configmap("w1"))
        await call(http, "DELETE", f"{CMS}/w1")
        events = await read_events(response, 2)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "w1"),
        ("DELETED", "w1"),
    ]


async def test_watch_from_a_compacted_revision_is_an_in_stream_410(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    await call(http, "POST", CMS, configmap("old"))
    sim.compact()
    async with http.get(f"{CMS}?watch=1&resourceVersion=1") as response:
        assert response.status == 200
        (event,) = await read_events(response, 1)
    assert event["type"] == "ERROR"
    assert_status(event["object"], 410, "Expired")


async def test_send_initial_events_needs_not_older_than(http: aiohttp.ClientSession) -> None:
    _, body, _ = await call(http, "GET", f"{CMS}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true")
    assert_status(body, 422, "Invalid")
    query = "watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"
    await call(http, "POST", CMS, configmap("initial"))
    async with http.get(f"{CMS}?{query}") as response:
        events = await read_events(response, 2)
    assert events[0]["type"] == "ADDED"
    assert events[1]["type"] == "BOOKMARK"
    assert events[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"] == "true"


async def test_client_disconnect_ends_the_server_watch(sim: Simulator, served: ServedSimulator) -> None:
    async with aiohttp.ClientSession(base_url=served.url) as http:
        response = await http.get(f"{CMS}?watch=true")
        await asyncio.sleep(0.1)
        assert sim.store.watcher_count("configmaps") == 1
        response.close()
    for _ in range(100):
        if sim.store.watcher_count("configmaps") == 0:
            break
        await asyncio.sleep(0.02)
    assert sim.store.watcher_count("configmaps") == 0


async def test_watch_table_rows(http: aiohttp.ClientSession) -> None:
    async with http.get(f"{CMS}?watch=true", headers={"Accept": TABLE}) as response:
        await call(http, "POST", CMS, configmap("row", a="1"))
        (event,) = await read_events(response, 1)
    assert event["object"]["kind"] == "Table"
    assert event["object"]["rows"][0]["cells"][:2] == ["row", 1]


async def test_discovery_negotiation(http: aiohttp.ClientSession) -> None:
    v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    _, body, response = await call(http, "GET", "/apis", Accept=v2)
    assert body["kind"] == "APIGroupDiscoveryList"
    assert "as=APIGroupDiscoveryList" in response.headers["Content-Type"]
    _, body, response = await call(http, "GET", "/apis", Accept="*/*")
    assert body["kind"] == "APIGroupList"
    assert response.headers["Content-Type"].startswith("application/json")
