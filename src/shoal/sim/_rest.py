"""The REST verbs of the HTTP door: one HTTP request becomes one call on the simulator's client.

Handlers here only translate: path parts, query parameters and bodies into keyword arguments of the
in-process client (which pays the injected latency and faults and counts the request), and its results
into JSON or Table responses. Validation that only exists on the wire (a body's name against the URL's,
boolean spellings, ``dryRun`` values, which patch types a custom resource accepts) happens here too;
everything about objects is the store's business.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import MultiMapping

from shoal.api import (
    BadRequestError,
    MethodNotAllowedError,
    Object,
    PatchType,
    Preconditions,
    StatusCause,
    UnsupportedMediaTypeError,
    invalid,
)

from ._field_validation import (
    check_field_validation,
    duplicate_fields,
    field_problems,
    patch_unknown_fields,
    prune_object,
    strict_error,
)
from ._negotiation import decode_object, decode_optional, decode_patch, json_response, read_body
from ._resource_paths import ResourcePath
from ._tables import TablePrinter, wants_table

if TYPE_CHECKING:
    from ._apiserver import ApiServer

_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_POLICIES = {"Background", "Foreground", "Orphan"}


def warning_header(text: str) -> str:
    """A ``Warning`` header value as the apiserver sends it: code 299, no agent, the text quoted."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{quoted}"'


def parse_bool(query: MultiMapping[str], name: str, default: bool = False) -> bool:
    """A boolean query parameter, spelled any way Go's ``strconv.ParseBool`` accepts."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise BadRequestError(f'invalid value for {name}: "{raw}" is not a boolean')


def parse_int(query: MultiMapping[str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequestError(f'invalid value for {name}: "{raw}" is not an integer') from None


def parse_dry_run(query: MultiMapping[str], options: Object | None = None) -> bool:
    values = list(query.getall("dryRun", ())) + list((options or {}).get("dryRun") or ())
    for value in values:
        if value != "All":
            raise BadRequestError(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(values)


class RestHandler:
    """Serves the verbs of one request against ``client`` (the simulator's in-process client)."""

    def __init__(
        self, client: Any, request: web.Request, target: ResourcePath, server: ApiServer | None = None
    ) -> None:
        self.client = client
        self.server = server
        self.request = request
        self.target = target
        self.query = request.query
        self.accept = request.headers.get("Accept", "")

    def printer(self) -> TablePrinter | None:
        if not wants_table(self.accept):
            return None
        include = self.query.get("includeObject") or "Metadata"
        if include not in ("None", "Metadata", "Object"):
            raise BadRequestError(f'includeObject: Unsupported value: "{include}"')
        return TablePrinter(self.target.info, include)

    def _respond(self, obj: Object, status: int = 200, warnings: Sequence[str] = ()) -> web.Response:
        printer = self.printer() if status == 200 else None
        if printer is not None and obj.get("kind") not in ("Status", "Scale"):
            response = json_response(printer.object_table(obj), status)
        else:
            response = json_response(obj, status)
        for text in warnings:
            response.headers.add("Warning", warning_header(text))
        return response

    # -- reads -------------------------------------------------------------------------------------

    async def get(self) -> web.Response:
        t = self.target
        obj = await self.client.get(t.info.gvr, t.name, namespace=t.namespace)
        if t.subresource == "scale":
            return json_response(scale_of(obj))
        return self._respond(obj)

    async def list(self) -> web.Response:
        t, q = self.target, self.query
        if parse_bool(q, "sendInitialEvents"):
            cause = StatusCause(
                "FieldValueForbidden",
                "Forbidden: sendInitialEvents is forbidden for list",
                "sendInitialEvents",
            )
            raise invalid("ListOptions.meta.k8s.io", "", cause)
        listed = await self.client.list(
            t.info.gvr,
            namespace=t.namespace,
            label_selector=q.get("labelSelector", ""),
            field_selector=q.get("fieldSelector", ""),
            limit=parse_int(q, "limit") or 0,
            continue_=q.get("continue", ""),
            resource_version=q.get("resourceVersion"),
            resource_version_match=q.get("resourceVersionMatch") or None,
        )
        printer = self.printer()
        return json_response(printer.list_table(listed) if printer is not None else listed)

    # -- writes ------------------------------------------------------------------------------------

    def _write_options(self) -> dict[str, Any]:
        validation = self.query.get("fieldValidation") or None
        check_field_validation(validation)
        return {
            "dry_run": parse_dry_run(self.query),
            "field_manager": self.query.get("fieldManager") or None,
            "field_validation": validation,
        }

    def _field_problems(self, body: bytes, unknown: Callable[[], Sequence[str]]) -> Sequence[str]:
        """The ``Warning`` texts for the body's duplicate and unknown fields under ``Warn`` (the
        apiserver's default). Under ``Strict`` a body that repeats a field is a 400 here, before the
        write; its unknown fields are rejected by the write itself."""
        validation = self.query.get("fieldValidation") or "Warn"
        if validation == "Ignore":
            return []
        duplicate = duplicate_fields(body)
        if validation == "Strict":
            if duplicate:
                raise strict_error(self.target.info, field_problems(unknown(), duplicate))
            return []
        return field_problems(unknown(), duplicate)

    def _body_object(self, body: bytes) -> Object:
        t = self.target
        obj = decode_object(body, self.request.headers.get("Content-Type"))
        expected = t.info.api_version
        obj.setdefault("apiVersion", expected)
        obj.setdefault("kind", t.info.kind)
        if t.subresource is None and (obj["apiVersion"], obj["kind"]) != (expected, t.info.kind):
            raise BadRequestError(
                f"the API version in the data ({obj['apiVersion']}) and kind ({obj['kind']}) do not match the "
                f"expected API version ({expected}) and kind ({t.info.kind})"
            )
        metadata = obj.get("metadata")
        if metadata is None:
            metadata = obj["metadata"] = {}
        if not isinstance(metadata, dict):
            raise BadRequestError("metadata must be an object")
        if t.name is not None:
            if metadata.get("name") in (None, ""):
                metadata["name"] = t.name
            elif metadata["name"] != t.name:
                raise BadRequestError(
                    f"the name of the object ({metadata['name']}) does not match the name on the URL ({t.name})"
                )
        if t.namespace is not None:
            if metadata.get("namespace") in (None, ""):
                metadata["namespace"] = t.namespace
            elif metadata["namespace"] != t.namespace:
                raise BadRequestError(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
        return obj

    async def create(self) -> web.Response:
        t = self.target
        if t.name is not None:
            raise MethodNotAllowedError(
                f"POST is not supported on {t.info.gvr.resource}/{t.subresource or 'name'}"
            )
        body = await read_body(self.request)
        obj = self._body_object(body)
        options = self._write_options()
        warnings = self._field_problems(body, lambda: prune_object(t.info, obj)[1])
        created = await self.client.create(t.info.gvr, obj, namespace=t.namespace, **options)
        return self._respond(created, 201, warnings)

    async def update(self) -> web.Response:
        t = self.target
        body = await read_body(self.request)
        if t.subresource == "scale":
            scale = decode_object(body, self.request.headers.get("Content-Type"))
            return await self._set_replicas((scale.get("spec") or {}).get("replicas"))
        obj = self._body_object(body)
        method = self.client.update_status if t.subresource == "status" else self.client.update
        options = self._write_options()
        warnings = self._field_problems(body, lambda: prune_object(t.info, obj)[1])
        updated = await method(t.info.gvr, obj, namespace=t.namespace, **options)
        return self._respond(updated, 200, warnings)

    async def patch(self) -> web.Response:
        t = self.target
        body = await read_body(self.request)
        patch_type, patch = decode_patch(body, self.request.headers.get("Content-Type"))
        if patch_type is PatchType.STRATEGIC and t.info.is_crd:
            raise UnsupportedMediaTypeError(
                "the body of the request was in an unknown format - accepted media types include: "
                "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
            )
        if t.subresource == "scale":
            return await self._set_replicas(_replicas_in_patch(patch_type, patch))
        force = parse_bool(self.query, "force") if "force" in self.query else None
        options = self._write_options()
        warnings = self._field_problems(body, lambda: patch_unknown_fields(t.info, patch, patch_type))
        creates = patch_type is PatchType.APPLY and t.subresource is None and not self._stored()
        method = self.client.patch_status if t.subresource == "status" else self.client.patch
        patched = await method(
            t.info.gvr,
            t.name,
            patch,
            patch_type=patch_type,
            namespace=t.namespace,
            force=force,
            **options,
        )
        return self._respond(patched, 201 if creates else 200, warnings)

    def _stored(self) -> bool:
        """Whether the addressed object exists now (an apply that creates it answers 201 Created).

        Read straight from the store, unaccounted, just before the apply goes to the client: a
        concurrent request that creates or removes the object in between is not seen, and the
        answer's code follows this earlier reading.
        """
        t = self.target
        if self.server is None or t.name is None:
            return True
        key = self.server.key(t.info, t.namespace, t.name)
        return self.server.store.get(t.info.storage, key) is not None

    async def _set_replicas(self, replicas: Any) -> web.Response:
        t = self.target
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise BadRequestError("spec.replicas: a non-negative integer is required")
        patched = await self.client.patch(
            t.info.gvr,
            t.name,
            {"spec": {"replicas": replicas}},
            patch_type=PatchType.MERGE,
            namespace=t.namespace,
            dry_run=parse_dry_run(self.query),
        )
        return json_response(scale_of(patched))

    async def delete(self) -> web.Response:
        t = self.target
        if t.subresource is not None:
            raise MethodNotAllowedError(f"DELETE is not supported on {t.info.gvr.resource}/{t.subresource}")
        options = decode_optional(await read_body(self.request), self.request.headers.get("Content-Type"))
        policy = self._policy(options)
        if t.name is None:
            deleted = await self.client.delete_collection(
                t.info.gvr,
                namespace=t.namespace,
                label_selector=self.query.get("labelSelector", ""),
                field_selector=self.query.get("fieldSelector", ""),
                propagation_policy=policy,
            )
            return json_response(deleted)
        grace = parse_int(self.query, "gracePeriodSeconds")
        if grace is None and options.get("gracePeriodSeconds") is not None:
            grace = int(options["gracePeriodSeconds"])
        pre = options.get("preconditions") or {}
        preconditions = (
            Preconditions(uid=pre.get("uid"), resource_version=pre.get("resourceVersion")) if pre else None
        )
        deleted = await self.client.delete(
            t.info.gvr,
            t.name,
            namespace=t.namespace,
            propagation_policy=policy,
            grace_period_seconds=grace,
            preconditions=preconditions,
            dry_run=parse_dry_run(self.query, options),
        )
        return json_response(deleted)

    def _policy(self, options: Object) -> Any:
        policy = self.query.get("propagationPolicy") or options.get("propagationPolicy")
        if policy is None:
            orphan = options.get("orphanDependents")
            if orphan is None and "orphanDependents" in self.query:
                orphan = parse_bool(self.query, "orphanDependents")
            if orphan is not None:
                policy = "Orphan" if orphan else "Background"
        if policy is not None and policy not in _POLICIES:
            raise BadRequestError(
                f'propagationPolicy: Unsupported value: "{policy}": supported values: "Background", "Foreground", "Orphan"'
            )
        return policy


def _replicas_in_patch(patch_type: PatchType, patch: Any) -> Any:
    if patch_type is PatchType.JSON:
        for op in patch:
            if (
                isinstance(op, dict)
                and op.get("path") == "/spec/replicas"
                and op.get("op") in ("add", "replace")
            ):
                return op.get("value")
        raise BadRequestError("a scale patch must set /spec/replicas")
    return (patch.get("spec") or {}).get("replicas")


def scale_of(obj: Object) -> Object:
    """The ``autoscaling/v1 Scale`` view of a scalable object."""
    meta = obj.get("metadata") or {}
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    labels = ((spec.get("selector") or {}).get("matchLabels")) or {}
    keep = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in keep if k in meta},
        "spec": {"replicas": int(spec.get("replicas") or 0)},
        "status": {
            "replicas": int(status.get("replicas") or 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        },
    }
