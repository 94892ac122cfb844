"""A minimal reader for the Kubernetes protobuf envelope, for the kinds kubectl creates imperatively.

Since client-go 1.32 the typed clients write protobuf, and client-go falls back to JSON only when the
server refuses CBOR, not protobuf. kubectl's ``create configmap``, ``create secret`` and ``create
namespace`` go through those typed clients, so the simulator reads the ``k8s\\x00`` envelope
(``runtime.Unknown``: type meta, raw bytes) for exactly ConfigMap, Secret and Namespace and turns it into
the JSON object the rest of the server expects. Everything else in protobuf is refused with 415.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

from shoal.api import BadRequestError, Object, UnsupportedMediaTypeError

PROTOBUF = "application/vnd.kubernetes.protobuf"
_MAGIC = b"k8s\x00"

Fields = dict[int, list[Any]]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise BadRequestError("truncated protobuf body")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, Any]]:
    """(field number, value) pairs: ints for varints, bytes for length-delimited fields."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise BadRequestError("truncated protobuf body")
            yield number, data[pos : pos + size]
            pos += size
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise BadRequestError(f"unsupported protobuf wire type {wire}")


def _collect(data: bytes) -> Fields:
    out: Fields = {}
    for number, value in _fields(data):
        out.setdefault(number, []).append(value)
    return out


def _text(value: bytes) -> str:
    return value.decode("utf-8")


def _map(entries: list[bytes], value: Callable[[bytes], Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in entries:
        fields = _collect(entry)
        out[_text(fields.get(1, [b""])[0])] = value(fields.get(2, [b""])[0])
    return out


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _object_meta(data: bytes) -> Object:
    f = _collect(data)
    meta: Object = {}
    for number, key in (
        (1, "name"),
        (2, "generateName"),
        (3, "namespace"),
        (5, "uid"),
        (6, "resourceVersion"),
    ):
        if f.get(number) and f[number][-1]:
            meta[key] = _text(f[number][-1])
    if f.get(11):
        meta["labels"] = _map(f[11], _text)
    if f.get(12):
        meta["annotations"] = _map(f[12], _text)
    if f.get(14):
        meta["finalizers"] = [_text(v) for v in f[14]]
    return meta


def _config_map(f: Fields) -> Object:
    out: Object = {}
    if f.get(2):
        out["data"] = _map(f[2], _text)
    if f.get(3):
        out["binaryData"] = _map(f[3], _b64)
    if f.get(4):
        out["immutable"] = bool(f[4][-1])
    return out


def _secret(f: Fields) -> Object:
    out: Object = {}
    if f.get(2):
        out["data"] = _map(f[2], _b64)
    if f.get(3):
        out["type"] = _text(f[3][-1])
    if f.get(4):
        out["stringData"] = _map(f[4], _text)
    if f.get(5):
        out["immutable"] = bool(f[5][-1])
    return out


def _namespace(f: Fields) -> Object:
    out: Object = {}
    if f.get(2):
        finalizers = [_text(v) for v in _collect(f[2][-1]).get(1, [])]
        if finalizers:
            out["spec"] = {"finalizers": finalizers}
    return out


_KINDS: dict[tuple[str, str], Callable[[Fields], Object]] = {
    ("v1", "ConfigMap"): _config_map,
    ("v1", "Secret"): _secret,
    ("v1", "Namespace"): _namespace,
}


def decode_protobuf(body: bytes) -> Object:
    """The JSON form of a protobuf-encoded ConfigMap, Secret or Namespace; 415 for any other kind."""
    if not body.startswith(_MAGIC):
        raise BadRequestError("protobuf body does not start with the Kubernetes envelope prefix")
    envelope = _collect(body[len(_MAGIC) :])
    type_meta = _collect(envelope.get(1, [b""])[0])
    api_version = _text(type_meta.get(1, [b""])[0])
    kind = _text(type_meta.get(2, [b""])[0])
    decode = _KINDS.get((api_version, kind))
    if decode is None:
        raise UnsupportedMediaTypeError(
            f"the body of the request was in an unknown format - {PROTOBUF} is accepted only for "
            "v1 ConfigMap, Secret and Namespace; send application/json"
        )
    fields = _collect(envelope.get(2, [b""])[0])
    obj: Object = {"apiVersion": api_version, "kind": kind, "metadata": _object_meta(fields.get(1, [b""])[0])}
    obj.update(decode(fields))
    return obj
