"""Field selector grammar, per-kind selectable fields, and the 'field label not supported' rejection."""

from __future__ import annotations

import pytest

from shoal.api import (
    GVK,
    BadRequestError,
    FieldSelector,
    check_supported,
    error_from_status,
    field_set,
    selects,
    supported_fields,
)

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p1", "namespace": "default"},
    "spec": {"nodeName": "n1", "restartPolicy": "Always", "hostNetwork": True},
    "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.7"}], "podIP": "10.0.0.7"},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("metadata.name=p1", True),
        ("metadata.name==p1", True),
        ("metadata.name!=p1", False),
        ("metadata.name=p2", False),
        ("spec.nodeName=n1,status.phase=Running", True),
        ("spec.nodeName=n1,status.phase!=Running", False),
        ("spec.nodeName=", False),
        ("status.nominatedNodeName=", True),
        ("spec.hostNetwork=true", True),
        ("status.podIP=10.0.0.7", True),
        ("spec.host=n1", True),
        ("spec.schedulerName!=x", True),
    ],
)
def test_pod_fields_match(text: str, expected: bool) -> None:
    assert FieldSelector.parse(text).matches(field_set(POD)) is expected
    assert selects(FieldSelector.parse(text), POD) is expected


def test_requirements_and_fields() -> None:
    sel = FieldSelector.parse("b!=2,a==1")
    assert sel.requirements == (("a", "=", "1"), ("b", "!=", "2"))
    assert sel.fields == frozenset({"a", "b"})
    assert sel.value_of("a") == "1"
    assert sel.value_of("b") is None
    assert FieldSelector.parse(str(sel)) == sel
    assert FieldSelector.parse("").empty


def test_escaping() -> None:
    sel = FieldSelector.parse(r"metadata.name=a\,b\=c,type!=x")
    assert sel.requirements == (("metadata.name", "=", "a,b=c"), ("type", "!=", "x"))
    assert FieldSelector.parse(str(sel)) == sel


@pytest.mark.parametrize("text", ["metadata.name", "=x", "a=1,b", r"a\=b"])
def test_malformed(text: str) -> None:
    with pytest.raises(BadRequestError) as info:
        FieldSelector.parse(text)
    assert text in info.value.message
    assert info.value.fields == ["fieldSelector"]
    assert isinstance(error_from_status(info.value.status()), BadRequestError)


def test_event_fields() -> None:
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "e", "namespace": "ns"},
        "involvedObject": {"kind": "Pod", "name": "p1", "namespace": "ns", "uid": "u1"},
        "reason": "Started",
        "source": {"component": "kubelet"},
        "type": "Normal",
    }
    fields = field_set(event)
    assert fields["involvedObject.kind"] == "Pod"
    assert fields["involvedObject.uid"] == "u1"
    assert fields["involvedObject.fieldPath"] == ""
    assert fields["source"] == "kubelet"
    assert fields["type"] == "Normal"
    assert FieldSelector.parse("involvedObject.name=p1,reason=Started").matches(fields)


def test_other_kinds() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque"}
    assert field_set(secret) == {"metadata.name": "s", "metadata.namespace": "", "type": "Opaque"}
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}, "spec": {}}
    assert field_set(node)["spec.unschedulable"] == "false"
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}, "status": {"phase": "Active"}}
    assert field_set(ns)["status.phase"] == "Active"
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r"}, "status": {"replicas": 3}}
    assert field_set(rs)["status.replicas"] == "3"


def test_custom_resource_selectable_fields() -> None:
    obj = {
        "apiVersion": "x.io/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "d"},
        "spec": {"color": "blue", "size": 3, "on": False},
    }
    paths = (".spec.color", ".spec.size", ".spec.on", ".spec.missing")
    assert field_set(obj, paths) == {
        "metadata.name": "w",
        "metadata.namespace": "d",
        "spec.color": "blue",
        "spec.size": "3",
        "spec.on": "false",
        "spec.missing": "",
    }
    gvk = GVK("x.io", "v1", "Widget")
    assert supported_fields(gvk) == {"metadata.name", "metadata.namespace"}
    assert "spec.color" in supported_fields(gvk, paths)


def test_unsupported_field_label() -> None:
    gvk = GVK("", "v1", "ConfigMap")
    check_supported(FieldSelector.parse("metadata.name=x"), gvk)
    with pytest.raises(BadRequestError, match=r"^field label not supported: spec.nodeName$"):
        check_supported(FieldSelector.parse("spec.nodeName=x"), gvk)
    assert "spec.nodeName" in supported_fields(GVK("", "v1", "Pod"))
