"""Content negotiation for the HTTP door: request bodies in, JSON (or Status) out.

Every client decides what it sends from what the server answers, so the rules here are deliberate:
JSON and YAML bodies are decoded; protobuf bodies are decoded only for the kinds kubectl's typed
clients create imperatively (``create configmap|secret|namespace|serviceaccount|service|deployment``)
and answered 415 otherwise; CBOR always gets 415.
Bodies above the apiserver's 3 MiB limit get 413 before any of them is parsed. Errors leave here as
``ApiError`` so the caller renders one ``Status`` shape for all of them.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml
from aiohttp import web

from shoal.api import (
    ApiError,
    BadRequestError,
    Object,
    PatchType,
    RequestEntityTooLargeError,
    UnsupportedMediaTypeError,
)

from ._protobuf import PROTOBUF, decode_protobuf

MAX_BODY_BYTES = 3 * 1024 * 1024
"""The apiserver's request size limit (``MaxRequestBodyBytes``)."""

JSON = "application/json"
_YAML = frozenset({"application/yaml", "application/x-yaml", "text/yaml"})
_PATCH_TYPES = {t.value: t for t in PatchType}
_OBJECT_TYPES = "application/json, application/yaml, application/vnd.kubernetes.protobuf"
_PATCH_ACCEPTED = ", ".join(t.value for t in PatchType)


def media_type(header: str | None) -> str:
    """The bare media type of a ``Content-Type`` header, lower-cased (``""`` when absent)."""
    return (header or "").split(";", 1)[0].strip().lower()


def dump(obj: Any) -> bytes:
    return orjson.dumps(obj)


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(obj), status=status, content_type=JSON, headers=headers)


def error_response(err: ApiError) -> web.Response:
    """The ``Status`` for ``err`` with its HTTP code; 429 (and 503/504 with a delay) add ``Retry-After``."""
    headers: dict[str, str] | None = None
    if err.code == 429 or err.retry_after is not None:
        headers = {"Retry-After": str(err.retry_after if err.retry_after is not None else 1)}
    return json_response(err.status(), status=err.code, headers=headers)


async def read_body(request: web.Request) -> bytes:
    """The request body, refusing anything above :data:`MAX_BODY_BYTES` with 413."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> RequestEntityTooLargeError:
    return RequestEntityTooLargeError(f"the request body is larger than the limit of {MAX_BODY_BYTES} bytes")


def _parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"the request body is not valid JSON: {exc}") from None


def _parse_yaml(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise BadRequestError(f"the request body is not valid YAML: {exc}") from None


def decode_object(body: bytes, content_type: str | None) -> Object:
    """The object of a POST or PUT body, as a dict; 400 when it is not one, 415 for unknown formats."""
    kind = media_type(content_type)
    obj: Any
    if kind in ("", JSON, "*/*"):
        obj = _parse_json(body)
    elif kind in _YAML:
        obj = _parse_yaml(body)
    elif kind == PROTOBUF:
        obj = decode_protobuf(body)
    else:
        raise UnsupportedMediaTypeError(
            f"the body of the request was in an unknown format - accepted media types include: {_OBJECT_TYPES}"
        )
    if not isinstance(obj, dict):
        raise BadRequestError("the request body must be a JSON object")
    return obj


def decode_patch(body: bytes, content_type: str | None) -> tuple[PatchType, Any]:
    """The patch type named by ``Content-Type`` and the decoded patch document."""
    patch_type = _PATCH_TYPES.get(media_type(content_type))
    if patch_type is None:
        raise UnsupportedMediaTypeError(
            f"the body of the request was in an unknown format - accepted media types include: {_PATCH_ACCEPTED}"
        )
    patch = _parse_yaml(body) if patch_type is PatchType.APPLY else _parse_json(body)
    if patch_type is PatchType.JSON:
        if not isinstance(patch, list):
            raise BadRequestError("a JSON patch must be a list of operations")
    elif not isinstance(patch, dict):
        raise BadRequestError(f"a {patch_type.value} body must be a JSON object")
    return patch_type, patch


def decode_optional(body: bytes, content_type: str | None) -> Object:
    """An optional options body (``DeleteOptions``): ``{}`` when empty."""
    if not body.strip():
        return {}
    return decode_object(body, content_type)
