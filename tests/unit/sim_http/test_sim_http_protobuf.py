"""The protobuf envelope reader for kubectl's imperative creates."""

from __future__ import annotations

import pytest

from shoal.api import BadRequestError, UnsupportedMediaTypeError
from shoal.sim._jsonpath import evaluate_jsonpath
from shoal.sim._protobuf import decode_protobuf


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, value: bytes | int) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _entry(number: int, key: str, value: bytes) -> bytes:
    return _field(number, _field(1, key.encode()) + _field(2, value))


def _envelope(kind: str, raw: bytes) -> bytes:
    type_meta = _field(1, b"v1") + _field(2, kind.encode())
    return b"k8s\x00" + _field(1, type_meta) + _field(2, raw) + _field(3, b"") + _field(4, b"")


def _meta(name: str) -> bytes:
    return _field(1, name.encode()) + _entry(11, "app", b"demo")


def test_config_map() -> None:
    raw = _field(1, _meta("cm")) + _entry(2, "k", b"v") + _entry(3, "bin", b"\x00\x01")
    obj = decode_protobuf(_envelope("ConfigMap", raw))
    assert obj == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm", "labels": {"app": "demo"}},
        "data": {"k": "v"},
        "binaryData": {"bin": "AAE="},
    }


def test_secret_data_is_base64() -> None:
    raw = _field(1, _meta("s")) + _entry(2, "password", b"hunter2") + _field(3, b"Opaque")
    obj = decode_protobuf(_envelope("Secret", raw))
    assert obj["data"] == {"password": "aHVudGVyMg=="}
    assert obj["type"] == "Opaque"


def test_namespace() -> None:
    obj = decode_protobuf(_envelope("Namespace", _field(1, _field(1, b"team-a"))))
    assert obj == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}


def test_other_kinds_are_refused_with_415() -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        decode_protobuf(_envelope("Pod", _field(1, _meta("p"))))


@pytest.mark.parametrize("body", [b"nope", b"k8s\x00\x0a\xff", b"k8s\x00\x0f"])
def test_garbage_is_a_bad_request(body: bytes) -> None:
    with pytest.raises(BadRequestError):
        decode_protobuf(body)


def test_jsonpath_subset() -> None:
    obj = {
        "metadata": {"labels": {"app.kubernetes.io/name": "x"}},
        "spec": {"items": [{"n": 1}, {"n": 2}]},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }
    assert evaluate_jsonpath(obj, ".metadata.labels['app.kubernetes.io/name']") == ["x"]
    assert evaluate_jsonpath(obj, ".spec.items[*].n") == [1, 2]
    assert evaluate_jsonpath(obj, ".spec.items[-1].n") == [2]
    assert evaluate_jsonpath(obj, '{.status.conditions[?(@.type=="Ready")].status}') == ["True"]
    assert evaluate_jsonpath(obj, ".spec.missing") == []
    assert evaluate_jsonpath(obj, "not a path") == []
