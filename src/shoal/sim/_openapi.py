"""OpenAPI v3 documents: the index and one document per group-version.

kubectl will not ``apply``, ``create -f``, ``replace`` or ``edit`` until it has checked, through
``/openapi/v3``, that the server accepts the ``fieldValidation`` query parameter for the object's kind: it
looks for a PATCH operation tagged with the kind's ``x-kubernetes-group-version-kind`` that lists the
parameter. These documents carry exactly that (every path with its operations and parameters) plus the
structural schemas of custom resources. Built-in kinds get no component schema on purpose: kubectl then
computes client-side-apply patches from its compiled-in types (with the right list merge keys), and
merge patches for custom resources (whose PATCH does not offer strategic merge).

Each group-version document is referenced from the index with ``?hash=``: the hash changes whenever the
document changes (a CRD added, a version served), so clients that cache by URL see the new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from shoal.api import Object

from ._resources import ResourceInfo, ResourceRegistry

_PATCH_TYPES_BUILTIN = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)
_PATCH_TYPES_CUSTOM = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)
_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")
_LIST_PARAMS = (
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
)


def gv_key(group: str, version: str) -> str:
    """The index key (and URL suffix) of a group-version: ``api/v1`` or ``apis/apps/v1``."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _query(*names: str) -> list[Object]:
    return [
        {"name": n, "in": "query", "schema": {"type": "boolean" if n in {"force", "watch"} else "string"}}
        for n in names
    ]


def _path_params(namespaced: bool, named: bool) -> list[Object]:
    out: list[Object] = []
    if named:
        out.append({"name": "name", "in": "path", "required": True, "schema": {"type": "string"}})
    if namespaced:
        out.append({"name": "namespace", "in": "path", "required": True, "schema": {"type": "string"}})
    return out


def _operation(
    info: ResourceInfo, action: str, body: Iterable[str] = (), params: Iterable[str] = ()
) -> Object:
    ref: Object = (
        {"$ref": f"#/components/schemas/{_schema_name(info)}"} if info.is_crd else {"type": "object"}
    )
    op: Object = {
        "operationId": f"{action}{info.kind}",
        "parameters": _query(*params),
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {
            "group": info.gvr.group,
            "version": info.gvr.version,
            "kind": info.kind,
        },
    }
    types = list(body)
    if types:
        op["requestBody"] = {"content": {t: {"schema": ref} for t in types}, "required": True}
    return op


def _schema_name(info: ResourceInfo) -> str:
    group = ".".join(reversed(info.gvr.group.split("."))) if info.gvr.group else "io.k8s.api.core"
    return f"{group}.{info.gvr.version}.{info.kind}"


def _paths(info: ResourceInfo) -> dict[str, Object]:
    gvr = info.gvr
    namespace = "{namespace}" if info.namespaced else None
    collection = gvr.path(namespace)
    item = gvr.path(namespace, "{name}")
    patch_types = _PATCH_TYPES_CUSTOM if info.is_crd else _PATCH_TYPES_BUILTIN
    out: dict[str, Object] = {
        collection: {
            "get": _operation(info, "list", params=_LIST_PARAMS),
            "post": _operation(info, "post", ("application/json",), _WRITE_PARAMS),
            "delete": _operation(info, "deletecollection", params=("labelSelector", "fieldSelector")),
            "parameters": _path_params(info.namespaced, named=False),
        },
        item: {
            "get": _operation(info, "get"),
            "put": _operation(info, "put", ("application/json",), _WRITE_PARAMS),
            "patch": _operation(info, "patch", patch_types, (*_WRITE_PARAMS, "force")),
            "delete": _operation(info, "delete", ("application/json",), ("dryRun", "gracePeriodSeconds")),
            "parameters": _path_params(info.namespaced, named=True),
        },
    }
    if info.has_status:
        status = gvr.path(namespace, "{name}", "status")
        out[status] = {
            "get": _operation(info, "get"),
            "put": _operation(info, "put", ("application/json",), _WRITE_PARAMS),
            "patch": _operation(info, "patch", patch_types, (*_WRITE_PARAMS, "force")),
            "parameters": _path_params(info.namespaced, named=True),
        }
    return out


def _schema(info: ResourceInfo) -> Object:
    gvk = [{"group": info.gvr.group, "version": info.gvr.version, "kind": info.kind}]
    base: Object = dict(info.schema) if info.schema else {"type": "object"}
    props = dict(base.get("properties") or {})
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    props.setdefault("metadata", {"type": "object"})
    if info.schema is None:
        base["x-kubernetes-preserve-unknown-fields"] = True
    base["properties"] = props
    base["x-kubernetes-group-version-kind"] = gvk
    return base


OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def _length_delimited(number: int, payload: bytes) -> bytes:
    size = len(payload)
    prefix = bytearray([number << 3 | 2])
    while size > 0x7F:
        prefix.append(size & 0x7F | 0x80)
        size >>= 7
    prefix.append(size)
    return bytes(prefix) + payload


def openapi_v2(kube_version: str, protobuf: bool) -> bytes:
    """An OpenAPI v2 document with no definitions, as protobuf (gnostic ``Document``) or JSON.

    kubectl downloads v2 for client-side schema validation of kinds whose v3 document does not exist yet
    (custom resources whose CRD sits in the same manifest). An empty document lets that validation pass,
    so kubectl goes on to report what a real cluster reports: the kind cannot be mapped until the CRD
    is installed.
    """
    if not protobuf:
        return orjson.dumps(
            {"swagger": "2.0", "info": {"title": "Kubernetes", "version": kube_version}, "paths": {}}
        )
    info = _length_delimited(1, b"Kubernetes") + _length_delimited(2, kube_version.encode())
    return _length_delimited(1, b"2.0") + _length_delimited(2, info) + _length_delimited(8, b"")


class OpenAPI:
    """The ``/openapi/v3`` index and per group-version documents, cached per registry revision."""

    def __init__(self, registry: ResourceRegistry, kube_version: str) -> None:
        self._registry = registry
        self._kube_version = kube_version
        self._revision = -1
        self._documents: dict[str, bytes] = {}
        self._hashes: dict[str, str] = {}

    def _refresh(self) -> None:
        if self._revision == self._registry.revision:
            return
        by_gv: dict[str, list[ResourceInfo]] = {}
        for info in self._registry.all():
            by_gv.setdefault(gv_key(info.gvr.group, info.gvr.version), []).append(info)
        self._documents = {key: orjson.dumps(self._document(infos)) for key, infos in sorted(by_gv.items())}
        self._hashes = {
            key: hashlib.sha512(doc).hexdigest()[:128].upper() for key, doc in self._documents.items()
        }
        self._revision = self._registry.revision

    def _document(self, infos: list[ResourceInfo]) -> Object:
        paths: dict[str, Object] = {}
        schemas: dict[str, Any] = {}
        for info in sorted(infos, key=lambda i: i.gvr.resource):
            paths.update(_paths(info))
            if info.is_crd:
                schemas[_schema_name(info)] = _schema(info)
        return {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": self._kube_version},
            "paths": paths,
            "components": {"schemas": schemas},
        }

    def index(self) -> Object:
        """``GET /openapi/v3``: where each group-version document lives, with its content hash."""
        self._refresh()
        return {
            "paths": {
                key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
                for key, digest in self._hashes.items()
            }
        }

    def document(self, key: str) -> tuple[bytes, str] | None:
        """``GET /openapi/v3/<key>``: the serialised document and its hash, or ``None`` when not served."""
        self._refresh()
        doc = self._documents.get(key)
        if doc is None:
            return None
        return doc, self._hashes[key]
