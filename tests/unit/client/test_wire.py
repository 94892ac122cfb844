"""What HttpClient puts on the wire: paths, query parameters, headers and bodies as the apiserver
expects them, and what it makes of the answers."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from shoal.api import GVR, ConflictError, GoneError, NotFoundError, PatchType, Preconditions
from shoal.client import HttpClient, TransportError

from .conftest import Recorder

PODS = GVR("", "v1", "pods")
DEPLOYMENTS = GVR("apps", "v1", "deployments")
NODES = GVR("", "v1", "nodes")


def make_client(recorder: Recorder, **options: object) -> HttpClient:
    return HttpClient.from_url(recorder.url, "t0k", registry=CollectorRegistry(), **options)


async def test_verbs_map_to_paths_params_and_bodies(recorder: Recorder) -> None:
    recorder.json("GET", "/api/v1", {"resources": [{"name": "pods", "kind": "Pod", "namespaced": True}]})
    async with make_client(recorder, user_agent="shoal-test") as client:
        await client.get(PODS, "p1", namespace="ns")
        await client.list(
            DEPLOYMENTS,
            label_selector="app in (a,b),!x",
            field_selector="metadata.name=d",
            limit=50,
            continue_="tok",
            resource_version="0",
            resource_version_match="NotOlderThan",
        )
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "namespace": "ns"}}
        await client.create(PODS, pod, dry_run=True, field_manager="mgr")
        await client.update(PODS, pod, field_validation="Strict")
        await client.update_status(PODS, pod)
        await client.patch(
            PODS, "p1", [{"op": "remove", "path": "/x"}], patch_type=PatchType.JSON, namespace="ns"
        )
        await client.patch_status(PODS, "p1", {"status": {}}, namespace="ns")
        await client.patch(
            DEPLOYMENTS,
            "d",
            {"spec": {}},
            patch_type=PatchType.APPLY,
            namespace="ns",
            field_manager="m",
            force=True,
        )
        await client.delete(
            PODS,
            "p1",
            namespace="ns",
            propagation_policy="Foreground",
            grace_period_seconds=0,
            preconditions=Preconditions(uid="u1", resource_version="7"),
            dry_run=True,
        )
        await client.delete(PODS, "p2", namespace="ns")
        await client.delete_collection(
            PODS, namespace="ns", label_selector="a=b", propagation_policy="Background"
        )

    discovery = [x for x in recorder.requests if x.path == "/api/v1"]
    assert len(discovery) == 1  # the body's namespace is used once discovery says pods are namespaced
    r = [x for x in recorder.requests if x.path != "/api/v1"]
    assert [(x.method, x.path) for x in r] == [
        ("GET", "/api/v1/namespaces/ns/pods/p1"),
        ("GET", "/apis/apps/v1/deployments"),
        ("POST", "/api/v1/namespaces/ns/pods"),
        ("PUT", "/api/v1/namespaces/ns/pods/p1"),
        ("PUT", "/api/v1/namespaces/ns/pods/p1/status"),
        ("PATCH", "/api/v1/namespaces/ns/pods/p1"),
        ("PATCH", "/api/v1/namespaces/ns/pods/p1/status"),
        ("PATCH", "/apis/apps/v1/namespaces/ns/deployments/d"),
        ("DELETE", "/api/v1/namespaces/ns/pods/p1"),
        ("DELETE", "/api/v1/namespaces/ns/pods/p2"),
        ("DELETE", "/api/v1/namespaces/ns/pods"),
    ]
    assert r[0].headers["Authorization"] == "Bearer t0k"
    assert r[0].headers["User-Agent"] == "shoal-test"
    assert r[1].query == {
        "labelSelector": "app in (a,b),!x",
        "fieldSelector": "metadata.name=d",
        "limit": "50",
        "continue": "tok",
        "resourceVersion": "0",
        "resourceVersionMatch": "NotOlderThan",
    }
    assert r[2].query == {"dryRun": "All", "fieldManager": "mgr"}
    assert r[2].headers["Content-Type"] == "application/json"
    assert r[2].body == pod
    assert r[3].query == {"fieldValidation": "Strict"}
    assert r[5].headers["Content-Type"] == "application/json-patch+json"
    assert r[5].body == [{"op": "remove", "path": "/x"}]
    assert r[6].headers["Content-Type"] == "application/merge-patch+json"
    assert r[7].headers["Content-Type"] == "application/apply-patch+yaml"
    assert r[7].query == {"fieldManager": "m", "force": "true"}
    assert r[8].body == {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "propagationPolicy": "Foreground",
        "gracePeriodSeconds": 0,
        "preconditions": {"uid": "u1", "resourceVersion": "7"},
        "dryRun": ["All"],
    }
    assert r[9].body is None
    assert r[10].query == {"labelSelector": "a=b"}
    assert r[10].body == {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}


async def test_failure_status_raises_typed_error_and_is_counted(recorder: Recorder) -> None:
    recorder.json(
        "GET",
        "/api/v1/namespaces/ns/pods/gone",
        {"kind": "Status", "code": 404, "reason": "NotFound", "message": 'pods "gone" not found'},
        status=404,
    )
    registry = CollectorRegistry()
    async with HttpClient.from_url(recorder.url, registry=registry) as client:
        with pytest.raises(NotFoundError, match='pods "gone" not found'):
            await client.get(PODS, "gone", namespace="ns")
        await client.get(PODS, "there", namespace="ns")
        stats = client.statistics()
        assert stats.count("get", "pods") == 2
        assert stats.errors == 1
    host = recorder.url.removeprefix("http://")
    assert (
        registry.get_sample_value(
            "rest_client_requests_total", {"code": "404", "method": "GET", "host": host}
        )
        == 1
    )
    assert (
        registry.get_sample_value("rest_client_request_duration_seconds_count", {"verb": "GET", "host": host})
        == 2
    )


async def test_connection_refused_is_a_transport_error() -> None:
    async with HttpClient.from_url("http://127.0.0.1:9", registry=CollectorRegistry()) as client:
        with pytest.raises(TransportError):
            await client.get(PODS, "p", namespace="ns")
        assert client.statistics().errors == 1


def watch_handler(*chunks: bytes, hold: asyncio.Event | None = None, abort: bool = False):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request)
        for chunk in chunks:
            await resp.write(chunk)
            await asyncio.sleep(0)
        if abort:
            assert request.transport is not None
            request.transport.close()
            return resp
        if hold is not None:
            await hold.wait()
        await resp.write_eof()
        return resp

    return handler


def line(kind: str, rv: int, name: str = "p") -> bytes:
    obj = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "resourceVersion": str(rv)}}
    return orjson.dumps({"type": kind, "object": obj}) + b"\n"


async def test_watch_parses_events_across_odd_chunk_boundaries(recorder: Recorder) -> None:
    body = line("ADDED", 5) + line("MODIFIED", 6) + line("BOOKMARK", 7) + line("DELETED", 8)
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    recorder.on("GET", "/api/v1/namespaces/ns/pods", watch_handler(*chunks))
    async with make_client(recorder) as client:
        events = [
            (e.type, e.object["metadata"]["resourceVersion"])
            async for e in client.watch(
                PODS, namespace="ns", resource_version="4", allow_bookmarks=True, timeout_seconds=30
            )
        ]
    assert events == [("ADDED", "5"), ("MODIFIED", "6"), ("BOOKMARK", "7"), ("DELETED", "8")]
    assert recorder.requests[0].query == {
        "watch": "true",
        "resourceVersion": "4",
        "allowWatchBookmarks": "true",
        "timeoutSeconds": "30",
    }


async def test_watch_error_event_410_raises_gone(recorder: Recorder) -> None:
    error = {
        "type": "ERROR",
        "object": {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"},
    }
    recorder.on("GET", "/api/v1/pods", watch_handler(line("ADDED", 3), orjson.dumps(error) + b"\n"))
    seen: list[str] = []

    async def consume() -> None:
        async for event in client.watch(PODS, resource_version="2"):
            seen.append(event.type)  # noqa: PERF401 (keep what arrived before the error)

    async with make_client(recorder) as client:
        with pytest.raises(GoneError):
            await consume()
    assert seen == ["ADDED"]


async def test_watch_http_error_raises_before_streaming(recorder: Recorder) -> None:
    recorder.json("GET", "/api/v1/pods", {"kind": "Status", "code": 409, "reason": "Conflict"}, status=409)
    async with make_client(recorder) as client:
        with pytest.raises(ConflictError):
            async for _ in client.watch(PODS, send_initial_events=True):
                pass
    assert recorder.requests[0].query == {
        "watch": "true",
        "sendInitialEvents": "true",
        "resourceVersionMatch": "NotOlderThan",
    }


async def test_watch_dropped_mid_event_ends_after_the_last_whole_event(recorder: Recorder) -> None:
    recorder.on("GET", "/api/v1/pods", watch_handler(line("ADDED", 3), line("ADDED", 4)[:10], abort=True))
    async with make_client(recorder) as client:
        events = [e.object["metadata"]["resourceVersion"] async for e in client.watch(PODS)]
        assert events == ["3"]


async def test_leaving_a_watch_early_closes_its_connection(recorder: Recorder) -> None:
    hold = asyncio.Event()
    recorder.on("GET", "/api/v1/pods", watch_handler(line("ADDED", 3), hold=hold))
    async with make_client(recorder) as client:
        stream = client.watch(PODS)
        first = await anext(stream)
        assert first.type == "ADDED"
        await stream.aclose()  # type: ignore[attr-defined]
        await client.get(PODS, "p", namespace="ns")  # the pool still serves requests
    hold.set()


async def test_expired_credentials_are_refreshed_once_on_401(recorder: Recorder) -> None:
    tokens = iter(["Bearer fresh"])

    async def guarded(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != "Bearer fresh":
            return web.Response(status=401, text="Unauthorized")
        return web.json_response({"kind": "Pod"})

    recorder.on("GET", "/api/v1/namespaces/ns/pods/p", guarded)
    from shoal.client import RestConfig

    config = RestConfig(host=recorder.url, authorization="Bearer stale", token_source=lambda: next(tokens))
    async with HttpClient(config, registry=CollectorRegistry()) as client:
        assert await client.get(PODS, "p", namespace="ns") == {"kind": "Pod"}
    assert [r.headers["Authorization"] for r in recorder.requests] == ["Bearer stale", "Bearer fresh"]


async def test_a_cluster_scoped_body_namespace_stays_out_of_the_path(recorder: Recorder) -> None:
    recorder.json("GET", "/api/v1", {"resources": [{"name": "nodes", "kind": "Node", "namespaced": False}]})
    node = {"metadata": {"name": "n1", "namespace": "default"}}
    async with make_client(recorder) as client:
        await client.create(NODES, node)
        await client.update(NODES, node)
        await client.create(PODS, {"metadata": {"name": "p", "namespace": "ns"}}, namespace="other")
    writes = [(x.method, x.path) for x in recorder.requests if x.method != "GET"]
    assert writes == [
        ("POST", "/api/v1/nodes"),
        ("PUT", "/api/v1/nodes/n1"),
        ("POST", "/api/v1/namespaces/other/pods"),
    ]


async def test_server_warnings_are_logged(recorder: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    async def warn(_: web.Request) -> web.StreamResponse:
        response = web.Response(body=b"{}", content_type="application/json")
        response.headers.add("Warning", '299 - "unknown field \\"spec.foo\\""')
        response.headers.add("Warning", '299 - "duplicate field \\"data\\""')
        return response

    recorder.on("POST", "/api/v1/namespaces/ns/pods", warn)
    async with make_client(recorder) as client:
        await client.create(PODS, {"metadata": {"name": "p"}}, namespace="ns")
    messages = [r.getMessage() for r in caplog.records if r.name == "shoal.client"]
    assert messages == [
        'server warning: unknown field "spec.foo"',
        'server warning: duplicate field "data"',
    ]
