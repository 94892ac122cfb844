"""A table-driven reader for the Kubernetes protobuf envelope, for the kinds kubectl creates imperatively.

Since client-go 1.32 the typed clients write protobuf, and client-go falls back to JSON only when the
server refuses CBOR, not protobuf. kubectl's ``create configmap|secret|namespace|serviceaccount|
service|deployment|job|cronjob`` go through those typed clients, so the simulator reads the ``k8s\\x00`` envelope
(``runtime.Unknown``: type meta, raw bytes) for the kinds in :data:`KINDS` and turns the message into
the JSON object the same command would have sent as JSON. A field the tables do not list is a 400 that
names the message and the field number, never silently dropped; any other kind is refused with 415.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from shoal.api import BadRequestError, Object, UnsupportedMediaTypeError

from ._protobuf_schema import KINDS, MAPS, Field, Message, Value

PROTOBUF = "application/vnd.kubernetes.protobuf"
_MAGIC = b"k8s\x00"
_VARINT, _LENGTH = 0, 2
_VALUE_WIRE = {Value.INT: _VARINT, Value.BOOL: _VARINT}
_OMITTED = object()


def accepted_kinds() -> str:
    """The kinds accepted as protobuf, for error messages (``v1 ConfigMap, ..., apps/v1 Deployment``)."""
    return ", ".join(f"{api_version} {kind}" for api_version, kind in sorted(KINDS))


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


def _fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) triples: ints for varints, bytes for everything else."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _varint(data, pos)
            yield number, wire, value
            continue
        if wire == _LENGTH:
            size, pos = _varint(data, pos)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
        else:
            raise BadRequestError(f"unsupported protobuf wire type {wire}")
        if pos + size > len(data):
            raise BadRequestError("truncated protobuf body")
        yield number, wire, data[pos : pos + size]
        pos += size


def _text(value: bytes, path: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestError(f"{path}: protobuf string is not valid UTF-8") from None


def _signed(value: int) -> int:
    """A varint read as Go's int32/int64 (negative numbers are sign-extended to 64 bits)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _parts(data: bytes, message: str, names: dict[int, int], path: str) -> dict[int, int | bytes]:
    """The last value of each field of a small fixed message (map entry, IntOrString, Time...),
    checked against ``names``: field number -> expected wire type."""
    out: dict[int, int | bytes] = {}
    for number, wire, value in _fields(data):
        if names.get(number) != wire:
            raise BadRequestError(
                f"{path}: field {number} (wire type {wire}) is not part of protobuf {message}"
            )
        out[number] = value
    return out


def _int_or_string(data: bytes, path: str) -> int | str:
    parts = _parts(data, "IntOrString", {1: _VARINT, 2: _VARINT, 3: _LENGTH}, path)
    if parts.get(1, 0) == 1:
        return _text(_bytes(parts.get(3, b"")), path)
    return _signed(_number(parts.get(2, 0)))


def _time(data: bytes, path: str) -> str | None:
    """RFC 3339 in UTC, to the second (as the apiserver reads it); ``None`` for the zero time."""
    parts = _parts(data, "Time", {1: _VARINT, 2: _VARINT}, path)
    if not parts:
        return None
    try:
        seconds = _signed(_number(parts.get(1, 0)))
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        raise BadRequestError(f"{path}: time out of range") from None


def _quantity(data: bytes, path: str) -> str:
    return _text(_bytes(_parts(data, "Quantity", {1: _LENGTH}, path).get(1, b"0")), path)


def _fields_v1(data: bytes, path: str) -> Any:
    raw = _bytes(_parts(data, "FieldsV1", {1: _LENGTH}, path).get(1, b"{}"))
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequestError(f"{path}: FieldsV1 is not JSON") from None


def _map_entry(data: bytes, value: Value, path: str) -> tuple[str, Any]:
    parts = _parts(data, "map entry", {1: _LENGTH, 2: _LENGTH}, path)
    key = _text(_bytes(parts.get(1, b"")), path)
    raw = _bytes(parts.get(2, b""))
    if value is Value.STRING_MAP:
        return key, _text(raw, f"{path}[{key}]")
    if value is Value.BYTES_MAP:
        return key, base64.b64encode(raw).decode("ascii")
    return key, _quantity(raw, f"{path}[{key}]")


def _bytes(value: int | bytes) -> bytes:
    assert isinstance(value, bytes)
    return value


def _number(value: int | bytes) -> int:
    assert isinstance(value, int)
    return value


def _value(spec: Field, raw: int | bytes, path: str) -> Any:
    """One wire value as JSON, or ``_OMITTED`` for a zero Go's JSON would leave out."""
    kind = spec.value
    if kind is Value.INT:
        decoded: Any = _signed(_number(raw))
    elif kind is Value.BOOL:
        decoded = bool(raw)
    elif kind is Value.STRING:
        decoded = _text(_bytes(raw), path)
    elif kind is Value.MESSAGE:
        assert spec.message is not None
        return decode_message(_bytes(raw), spec.message, path)
    elif kind is Value.INT_OR_STRING:
        return _int_or_string(_bytes(raw), path)
    elif kind is Value.QUANTITY:
        return _quantity(_bytes(raw), path)
    elif kind is Value.FIELDS_V1:
        return _fields_v1(_bytes(raw), path)
    else:
        time = _time(_bytes(raw), path)
        return _OMITTED if time is None else time
    if not decoded and not spec.keep_zero and not spec.repeated:
        return _OMITTED
    return decoded


def decode_message(data: bytes, message: Message, path: str) -> Object:
    """The JSON object of one protobuf message, per its table; 400 for a field the table lacks."""
    out: Object = {}
    for number, wire, raw in _fields(data):
        spec = message.fields.get(number)
        if spec is None:
            raise BadRequestError(
                f"{path or 'body'}: protobuf field {number} of {message.name} is not supported by this "
                "server; send application/json"
            )
        where = f"{path}.{spec.name}" if path else spec.name
        if wire != _VALUE_WIRE.get(spec.value, _LENGTH):
            raise BadRequestError(f"{where}: unexpected protobuf wire type {wire} for field {number}")
        if spec.value in MAPS:
            key, value = _map_entry(_bytes(raw), spec.value, where)
            out.setdefault(spec.name, {})[key] = value
        elif spec.repeated:
            items = out.setdefault(spec.name, [])
            items.append(_value(spec, raw, f"{where}[{len(items)}]"))
        else:
            value = _value(spec, raw, where)
            if value is _OMITTED:
                out.pop(spec.name, None)
            else:
                out[spec.name] = value
    return out


def decode_protobuf(body: bytes) -> Object:
    """The JSON form of a protobuf-encoded object of a kind in :data:`KINDS`; 415 for any other kind."""
    if not body.startswith(_MAGIC):
        raise BadRequestError("protobuf body does not start with the Kubernetes envelope prefix")
    envelope = _parts(
        body[len(_MAGIC) :], "runtime.Unknown", {1: _LENGTH, 2: _LENGTH, 3: _LENGTH, 4: _LENGTH}, "body"
    )
    type_meta = _parts(_bytes(envelope.get(1, b"")), "TypeMeta", {1: _LENGTH, 2: _LENGTH}, "body")
    api_version = _text(_bytes(type_meta.get(1, b"")), "apiVersion")
    kind = _text(_bytes(type_meta.get(2, b"")), "kind")
    encoding = _text(_bytes(envelope.get(3, b"")), "contentEncoding")
    message = KINDS.get((api_version, kind))
    if message is None:
        raise UnsupportedMediaTypeError(
            f"the body of the request was in an unknown format - {PROTOBUF} is accepted only for "
            f"{accepted_kinds()}; send application/json"
        )
    if encoding:
        raise BadRequestError(f"protobuf content encoding {encoding!r} is not supported")
    obj: Object = {"apiVersion": api_version, "kind": kind, "metadata": {}}
    obj.update(decode_message(_bytes(envelope.get(2, b"")), message, ""))
    return obj
