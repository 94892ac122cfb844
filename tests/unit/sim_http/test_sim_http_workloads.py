"""The workload kinds at the HTTP door: discovery, OpenAPI, ``kubectl get`` tables and ``/scale``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from shoal.sim import Simulator
from shoal.sim._resources import BUILTIN_RESOURCES, ResourceInfo
from shoal.sim._serve import serve
from shoal.sim._tables import TablePrinter

STS = "/apis/apps/v1/namespaces/default/statefulsets"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with (
        Simulator() as sim,
        serve(sim) as door,
        aiohttp.ClientSession(base_url=door.url, headers={"User-Agent": "unit-test"}) as session,
    ):
        yield session


async def call(
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    body: Any = None,
    content_type: str = "application/json",
) -> tuple[int, Any]:
    data = None if body is None else orjson.dumps(body)
    async with http.request(method, path, data=data, headers={"Content-Type": content_type}) as response:
        return response.status, orjson.loads(await response.read())


def stateful_set(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "serviceName": name,
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }


async def test_stateful_set_scale_subresource(http: aiohttp.ClientSession) -> None:
    status, _ = await call(http, "POST", STS, stateful_set("db", 2))
    assert status == 201
    status, scale = await call(http, "GET", f"{STS}/db/scale")
    assert status == 200
    assert (scale["kind"], scale["apiVersion"]) == ("Scale", "autoscaling/v1")
    assert (scale["spec"]["replicas"], scale["status"]["selector"]) == (2, "app=db")
    status, scale = await call(http, "PUT", f"{STS}/db/scale", {**scale, "spec": {"replicas": 3}})
    assert (status, scale["spec"]["replicas"]) == (200, 3)
    status, scale = await call(
        http, "PATCH", f"{STS}/db/scale", {"spec": {"replicas": 5}}, "application/merge-patch+json"
    )
    assert (status, scale["spec"]["replicas"]) == (200, 5)
    _, stored = await call(http, "GET", f"{STS}/db")
    assert (stored["spec"]["replicas"], stored["metadata"]["generation"]) == (5, 3)


async def test_daemon_sets_and_jobs_have_no_scale(http: aiohttp.ClientSession) -> None:
    for path in (
        "/apis/apps/v1/namespaces/default/daemonsets/x/scale",
        "/apis/batch/v1/namespaces/default/jobs/x/scale",
    ):
        status, body = await call(http, "GET", path)
        assert (status, body["reason"]) == (404, "NotFound")


async def test_legacy_and_aggregated_discovery(http: aiohttp.ClientSession) -> None:
    _, batch = await call(http, "GET", "/apis/batch/v1")
    by_name = {r["name"]: r for r in batch["resources"]}
    assert set(by_name) == {"jobs", "jobs/status", "cronjobs", "cronjobs/status"}
    assert (by_name["cronjobs"]["kind"], by_name["cronjobs"]["shortNames"]) == ("CronJob", ["cj"])
    assert "shortNames" not in by_name["jobs"]
    assert by_name["jobs"]["categories"] == ["all"]
    _, apps = await call(http, "GET", "/apis/apps/v1")
    names = {r["name"]: r for r in apps["resources"]}
    assert {"statefulsets/scale", "statefulsets/status", "daemonsets/status"} <= set(names)
    assert "daemonsets/scale" not in names
    assert (names["statefulsets"]["shortNames"], names["daemonsets"]["shortNames"]) == (["sts"], ["ds"])
    async with http.get("/apis", headers={"Accept": AGGREGATED}) as response:
        groups = {g["metadata"]["name"]: g for g in (await response.json())["items"]}
    resources = {r["resource"]: r for r in groups["batch"]["versions"][0]["resources"]}
    assert resources["jobs"]["responseKind"] == {"group": "batch", "version": "v1", "kind": "Job"}
    assert [s["subresource"] for s in resources["cronjobs"]["subresources"]] == ["status"]


async def test_openapi_offers_field_validation_for_the_new_kinds(http: aiohttp.ClientSession) -> None:
    _, index = await call(http, "GET", "/openapi/v3")
    _, doc = await call(http, "GET", index["paths"]["apis/batch/v1"]["serverRelativeURL"])
    patch = doc["paths"]["/apis/batch/v1/namespaces/{namespace}/cronjobs/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"]["kind"] == "CronJob"
    assert "fieldValidation" in {p["name"] for p in patch["parameters"]}
    _, apps = await call(http, "GET", index["paths"]["apis/apps/v1"]["serverRelativeURL"])
    assert "/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}/status" in apps["paths"]


async def test_job_table_over_http(http: aiohttp.ClientSession) -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "pi"},
        "spec": {
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}]}}
        },
    }
    status, _ = await call(http, "POST", "/apis/batch/v1/namespaces/default/jobs", job)
    assert status == 201
    async with http.get("/apis/batch/v1/namespaces/default/jobs", headers={"Accept": TABLE}) as response:
        table = await response.json()
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Status",
        "Completions",
        "Duration",
        "Age",
    ]
    assert table["rows"][0]["cells"][:4] == ["pi", "Running", "0/1", ""]


def _info(resource: str) -> ResourceInfo:
    return next(i for i in BUILTIN_RESOURCES if i.gvr.resource == resource)


def _rfc3339(seconds_ago: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds_ago))


@pytest.mark.parametrize(
    ("spec", "status", "cells"),
    [
        ({}, {}, ["Running", "0/1", ""]),
        ({"completions": 3}, {"succeeded": 2}, ["Running", "2/3", ""]),
        ({"parallelism": 4}, {}, ["Running", "0/1 of 4", ""]),
        (
            {"completions": 1},
            {
                "succeeded": 1,
                "startTime": "2026-01-01T00:00:00Z",
                "completionTime": "2026-01-01T00:01:05Z",
                "conditions": [{"type": "Complete", "status": "True"}],
            },
            ["Complete", "1/1", "65s"],
        ),
        ({}, {"conditions": [{"type": "Failed", "status": "True"}]}, ["Failed", "0/1", ""]),
        (
            {"suspend": True},
            {"conditions": [{"type": "Suspended", "status": "True"}]},
            ["Suspended", "0/1", ""],
        ),
        ({}, {"conditions": [{"type": "Complete", "status": "False"}]}, ["Running", "0/1", ""]),
    ],
)
def test_job_cells(spec: dict[str, Any], status: dict[str, Any], cells: list[Any]) -> None:
    job = {"metadata": {"name": "j", "creationTimestamp": _rfc3339(30)}, "spec": spec, "status": status}
    assert TablePrinter(_info("jobs")).row(job)["cells"] == ["j", *cells, "30s"]


def test_cron_job_daemon_set_and_stateful_set_cells() -> None:
    created = _rfc3339(30)
    cron_job = {
        "metadata": {"name": "c", "creationTimestamp": created},
        "spec": {"schedule": "*/5 * * * *", "suspend": False},
        "status": {"active": [{"name": "c-1"}], "lastScheduleTime": _rfc3339(100)},
    }
    assert TablePrinter(_info("cronjobs")).row(cron_job)["cells"] == [
        "c",
        "*/5 * * * *",
        "<none>",
        "False",
        1,
        "100s",
        "30s",
    ]
    unscheduled = {"metadata": {"name": "u", "creationTimestamp": created}, "spec": {"schedule": "@daily"}}
    assert TablePrinter(_info("cronjobs")).row(unscheduled)["cells"][2:6] == [
        "<none>",
        "<unset>",
        0,
        "<none>",
    ]
    daemon_set = {
        "metadata": {"name": "d", "creationTimestamp": created},
        "spec": {"template": {"spec": {"nodeSelector": {"b": "2", "a": "1"}}}},
        "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 2, "numberReady": 1},
    }
    assert TablePrinter(_info("daemonsets")).row(daemon_set)["cells"] == [
        "d",
        3,
        2,
        1,
        0,
        0,
        "a=1,b=2",
        "30s",
    ]
    stateful_set = {
        "metadata": {"name": "s", "creationTimestamp": created},
        "spec": {"replicas": 3},
        "status": {"readyReplicas": 2},
    }
    assert TablePrinter(_info("statefulsets")).row(stateful_set)["cells"] == ["s", "2/3", "30s"]
