"""Name syntax and metadata validation: the apiserver's field paths, reasons and sentences."""

from __future__ import annotations

from typing import Any

import pytest

from shoal.api import (
    InvalidError,
    error_from_status,
    invalid,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_label_value,
    validate_metadata,
    validate_name,
    validate_qualified_name,
)

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


@pytest.mark.parametrize("name", ["a", "a.b", "web-1", "1a", "a" * 253, "x.y-z.w"])
def test_valid_subdomains(name: str) -> None:
    assert validate_dns1123_subdomain(name) == []


@pytest.mark.parametrize("name", ["", "A", "a_b", "-a", "a-", "a..b", ".a"])
def test_invalid_subdomains(name: str) -> None:
    assert validate_dns1123_subdomain(name) == [SUBDOMAIN_MSG]


def test_subdomain_too_long() -> None:
    assert validate_dns1123_subdomain("a" * 254) == ["must be no more than 253 characters"]


def test_label_rules() -> None:
    assert validate_dns1123_label("kube-system") == []
    assert validate_dns1123_label("a.b") == [LABEL_MSG]
    assert validate_dns1123_label("a" * 64) == ["must be no more than 63 characters"]


@pytest.mark.parametrize(
    ("key", "count"),
    [
        ("app", 0),
        ("app.kubernetes.io/name", 0),
        ("A_b.c", 0),
        ("/x", 1),
        ("Bad.Prefix/x", 1),
        ("a/b/c", 1),
        ("", 2),
        ("-x", 1),
        ("x" * 64, 1),
    ],
)
def test_qualified_names(key: str, count: int) -> None:
    assert len(validate_qualified_name(key)) == count


def test_qualified_name_messages() -> None:
    assert validate_qualified_name("/x") == ["prefix part must be non-empty"]
    assert validate_qualified_name("x" * 64) == ["name part must be no more than 63 characters"]
    assert validate_qualified_name("-x")[0].startswith(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end"
    )


@pytest.mark.parametrize(("value", "ok"), [("", True), ("v1.2_3-x", True), ("-v", False), ("v" * 64, False)])
def test_label_values(value: str, ok: bool) -> None:
    assert (validate_label_value(value) == []) is ok


def test_generate_name_allows_trailing_dash() -> None:
    assert validate_name("web-", prefix=True) == []
    assert validate_name("web-") != []
    assert validate_name("a/b", "path") == ["may not contain '/'"]
    assert validate_name("..", "path") == ["may not be '..'"]
    assert validate_name("..", "path", prefix=True) == []


def _meta(**meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}


def test_valid_metadata() -> None:
    obj = _meta(
        name="c",
        namespace="default",
        labels={"app": "web", "x.io/y": ""},
        annotations={"Note": "anything goes here"},
        finalizers=["example.com/cleanup"],
        ownerReferences=[
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "r", "uid": "u", "controller": True}
        ],
    )
    assert validate_metadata(obj, kind="ConfigMap", namespaced=True) == []
    assert validate_metadata(_meta(generateName="c-", namespace="d"), kind="ConfigMap", namespaced=True) == []


def test_metadata_causes() -> None:
    obj = _meta(name="Bad_Name", labels={"bad key": "ok", "k": "-bad"}, annotations={"a/b/c": "x"})
    causes = validate_metadata(obj, kind="ConfigMap", namespaced=True)
    assert [(c.field, c.reason) for c in causes] == [
        ("metadata.name", "FieldValueInvalid"),
        ("metadata.namespace", "FieldValueRequired"),
        ("metadata.labels", "FieldValueInvalid"),
        ("metadata.labels", "FieldValueInvalid"),
        ("metadata.annotations", "FieldValueInvalid"),
    ]
    assert causes[0].message == f'Invalid value: "Bad_Name": {SUBDOMAIN_MSG}'
    assert causes[1].message == "Required value"
    assert causes[2].message.startswith('Invalid value: "bad key": name part must consist of')
    assert causes[3].message.startswith('Invalid value: "-bad": a valid label must be an empty string')

    err = invalid("ConfigMap", "Bad_Name", *causes)
    assert err.message.startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"')
    again = error_from_status(err.status())
    assert isinstance(again, InvalidError)
    assert again.causes == tuple(causes)
    assert again.fields == err.fields


def test_name_required_and_namespace_rules() -> None:
    causes = validate_metadata(_meta(namespace="x"), kind="Namespace", namespaced=False, name_rule="label")
    assert [(c.field, c.message) for c in causes] == [
        ("metadata.name", "Required value: name or generateName is required"),
        ("metadata.namespace", "Forbidden: not allowed on this type"),
    ]
    causes = validate_metadata(_meta(name="a.b"), kind="Namespace", namespaced=False, name_rule="label")
    assert [c.message for c in causes] == [f'Invalid value: "a.b": {LABEL_MSG}']
    causes = validate_metadata(_meta(name="a", namespace="Bad"), kind="ConfigMap", namespaced=True)
    assert [c.field for c in causes] == ["metadata.namespace"]


def test_annotation_size_limit() -> None:
    big = {"a": "x" * (256 * 1024 - 1)}
    assert validate_metadata(_meta(name="a", annotations=big), kind="ConfigMap", namespaced=False) == []
    big["b"] = "y"
    causes = validate_metadata(_meta(name="a", annotations=big), kind="ConfigMap", namespaced=False)
    assert [(c.field, c.reason, c.message) for c in causes] == [
        ("metadata.annotations", "FieldValueTooLong", "Too long: may not be more than 262144 bytes")
    ]


def test_finalizers_and_owner_references() -> None:
    obj = _meta(
        name="a",
        finalizers=["ok", "bad/name/x"],
        ownerReferences=[
            {"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "1", "controller": True},
            {"apiVersion": "", "kind": "Pod", "name": "q", "controller": True},
        ],
    )
    causes = validate_metadata(obj, kind="ConfigMap", namespaced=False)
    assert [c.field for c in causes] == [
        "metadata.finalizers[1]",
        "metadata.ownerReferences.apiVersion",
        "metadata.ownerReferences.uid",
        "metadata.ownerReferences",
    ]
    assert "Only one reference can have Controller set to true" in causes[-1].message


def test_metadata_not_an_object() -> None:
    causes = validate_metadata({"metadata": "x"}, kind="ConfigMap", namespaced=False)
    assert [c.field for c in causes] == ["metadata"]
