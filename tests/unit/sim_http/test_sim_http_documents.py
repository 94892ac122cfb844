"""Discovery, OpenAPI and Table documents built from the resource registry."""

from __future__ import annotations

import orjson

from shoal.api import GroupVersionResource
from shoal.sim._discovery import Discovery, version_priority, wants_aggregated
from shoal.sim._openapi import OpenAPI
from shoal.sim._resources import BUILTIN_RESOURCES, ResourceInfo, ResourceRegistry
from shoal.sim._tables import TablePrinter, human_duration, wants_table

WIDGETS = ResourceInfo(
    GroupVersionResource("example.com", "v1", "widgets"),
    "Widget",
    "widget",
    namespaced=True,
    short_names=("wd",),
    categories=("all",),
    has_status=True,
    is_crd=True,
    printer_columns=(
        {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
        {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
    ),
    schema={"type": "object", "properties": {"spec": {"type": "object"}}},
)


def registry() -> ResourceRegistry:
    return ResourceRegistry(BUILTIN_RESOURCES)


def test_legacy_discovery_lists_subresources_and_names() -> None:
    doc = Discovery(registry()).resource_list("", "v1")
    assert doc is not None
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["pods"]["singularName"] == "pod"
    assert by_name["pods"]["shortNames"] == ["po"]
    assert by_name["pods"]["categories"] == ["all"]
    assert by_name["pods/status"]["verbs"] == ["get", "patch", "update"]
    assert by_name["namespaces"]["namespaced"] is False
    assert "configmaps/status" not in by_name


def test_discovery_follows_registry_changes() -> None:
    reg = registry()
    discovery = Discovery(reg)
    assert discovery.group("example.com") is None
    reg.add(WIDGETS)
    group = discovery.group("example.com")
    assert group is not None
    assert group["preferredVersion"]["version"] == "v1"
    names = [g["name"] for g in discovery.group_list()["groups"]]
    assert "example.com" in names
    assert "" not in names
    reg.remove(WIDGETS.gvr)
    assert discovery.resource_list("example.com", "v1") is None


def test_aggregated_discovery_splits_core_from_groups() -> None:
    reg = registry()
    reg.add(WIDGETS)
    discovery = Discovery(reg)
    core = discovery.aggregated(core=True)
    assert [i["metadata"]["name"] for i in core["items"]] == [""]
    groups = discovery.aggregated(core=False)
    widgets = next(i for i in groups["items"] if i["metadata"]["name"] == "example.com")
    resource = widgets["versions"][0]["resources"][0]
    assert resource["scope"] == "Namespaced"
    assert resource["subresources"][0]["subresource"] == "status"
    deployments = next(i for i in groups["items"] if i["metadata"]["name"] == "apps")
    subs = {s["subresource"] for r in deployments["versions"][0]["resources"] for s in r["subresources"]}
    assert subs == {"status", "scale"}


def test_accept_negotiation() -> None:
    v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    assert wants_aggregated(v2)
    assert not wants_aggregated("application/json, */*")
    assert wants_table("application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
    assert not wants_table("application/json")


def test_version_priority_orders_like_kubernetes() -> None:
    versions = ["v1alpha1", "v1", "v2beta1", "v1beta2", "v2", "foo"]
    assert sorted(versions, key=version_priority) == ["v2", "v1", "v2beta1", "v1beta2", "v1alpha1", "foo"]


def test_openapi_patch_operations_advertise_field_validation() -> None:
    reg = registry()
    openapi = OpenAPI(reg, "v1.37.1")
    index = openapi.index()["paths"]
    url = index["apis/apps/v1"]["serverRelativeURL"]
    found = openapi.document("apis/apps/v1")
    assert found is not None
    body, digest = found
    assert url.endswith(f"?hash={digest}")
    doc = orjson.loads(body)
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }
    assert "fieldValidation" in {p["name"] for p in patch["parameters"]}
    assert "application/strategic-merge-patch+json" in patch["requestBody"]["content"]


def test_openapi_rehashes_when_a_crd_appears() -> None:
    reg = registry()
    openapi = OpenAPI(reg, "v1.37.1")
    assert "apis/example.com/v1" not in openapi.index()["paths"]
    reg.add(WIDGETS)
    assert "apis/example.com/v1" in openapi.index()["paths"]
    found = openapi.document("apis/example.com/v1")
    assert found is not None
    doc = orjson.loads(found[0])
    patch = doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"]
    assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]
    schema = doc["components"]["schemas"]["com.example.v1.Widget"]
    assert schema["x-kubernetes-group-version-kind"][0]["kind"] == "Widget"


def test_pod_table_columns_and_row_metadata() -> None:
    pods = registry().lookup(GroupVersionResource("", "v1", "pods"))
    assert pods is not None
    pod = {
        "metadata": {"name": "p", "namespace": "default", "creationTimestamp": "2020-01-01T00:00:00Z"},
        "spec": {"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "n1"},
        "status": {"phase": "Running", "containerStatuses": [{"ready": True, "restartCount": 2}]},
    }
    table = TablePrinter(pods).list_table({"metadata": {"resourceVersion": "7"}, "items": [pod]})
    names = [c["name"] for c in table["columnDefinitions"]]
    assert names[:5] == ["Name", "Ready", "Status", "Restarts", "Age"]
    assert table["rows"][0]["cells"][:4] == ["p", "1/2", "Running", 2]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert table["metadata"]["resourceVersion"] == "7"


def test_crd_printer_columns() -> None:
    obj = {
        "metadata": {"name": "w"},
        "spec": {"size": 3},
        "status": {"conditions": [{"type": "Other", "status": "False"}, {"type": "Ready", "status": "True"}]},
    }
    row = TablePrinter(WIDGETS, "None").row(obj)
    assert row == {"cells": ["w", 3, "True"]}


def test_human_duration() -> None:
    assert human_duration(5) == "5s"
    assert human_duration(200) == "3m20s"
    assert human_duration(3 * 3600 + 60) == "3h1m"
    assert human_duration(5 * 86400) == "5d"
