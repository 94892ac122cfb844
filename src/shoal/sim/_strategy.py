"""Per-write rules of the apiserver's registry strategies: what a create or update may and may not change.

Create fills the server-set metadata (uid, creationTimestamp, generated names, and ``generation`` for
the kinds whose strategy keeps one) and resets status where the kind has a status subresource; update
carries system fields over from the stored object, enforces optimistic concurrency, splits spec from
status and moves ``generation`` only when the object's desired state changed. The per-kind
rewrites (the defaults of pods, workloads and Services, templates' null timestamps among them, a
Service's allocated IP and node ports, a Job's generated selector, a DaemonSet's template generation)
sit behind a check of the kind, so other kinds' writes do not pay for them; an update is defaulted
before it is compared with the stored object. Everything here is pure: the functions build a new
object or raise, and never touch the store, so a rejected write cannot be half applied.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from shoal.api import (
    BadRequestError,
    ConflictError,
    InvalidError,
    Object,
    StatusCause,
)
from shoal.api._field_errors import causes_text, forbidden_cause, invalid_cause
from shoal.api._validation import NameRule, validate_metadata

from ._defaults import DEFAULTED, SERVICES, set_defaults
from ._field_validation import validate_fields
from ._kinds import (
    DAEMON_SETS,
    JOBS,
    generate_job_selector,
    set_template_generation,
    validate_spec,
    validate_update,
)
from ._objects import generated_name, meta, new_uid, now_rfc3339
from ._resources import ResourceInfo
from ._service_allocation import allocate

_SYSTEM_FIELDS = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")
_LABEL_NAMED = frozenset({"namespaces", "services"})
_GENERATION_KEPT = frozenset(
    {
        "pods",
        "deployments.apps",
        "replicasets.apps",
        "statefulsets.apps",
        "daemonsets.apps",
        "jobs.batch",
        "cronjobs.batch",
        "customresourcedefinitions.apiextensions.k8s.io",
    }
)
_GENERATION_ON_ANNOTATIONS = frozenset({"deployments.apps"})


def keeps_generation(info: ResourceInfo) -> bool:
    """Whether the apiserver's strategy for the kind sets ``metadata.generation`` (1 on create, +1 per
    change of desired state): pods, the workloads (deployments, replica sets, stateful sets, daemon
    sets, jobs, cron jobs), CRDs and every custom resource. The
    other built-in kinds (namespaces, services, config maps, secrets, nodes, leases, events, volumes and
    claims, service accounts) never get one from the server."""
    return info.is_crd or info.storage in _GENERATION_KEPT


def invalid_error(info: ResourceInfo, name: str, causes: Sequence[StatusCause]) -> InvalidError:
    """422 ``<Kind> "<name>" is invalid: <causes>``, details naming the kind and group as the apiserver does."""
    return InvalidError(
        f'{info.kind}.{info.gvr.group} "{name}" is invalid: {causes_text(list(causes))}'
        if info.gvr.group
        else f'{info.kind} "{name}" is invalid: {causes_text(list(causes))}',
        name=name,
        group=info.gvr.group,
        kind=info.kind,
        causes=tuple(causes),
    )


def conflict(info: ResourceInfo, name: str) -> ConflictError:
    """409 with the optimistic-lock sentence clients match on."""
    return ConflictError(
        f'Operation cannot be fulfilled on {info.gvr.group_resource} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
        name=name,
        group=info.gvr.group,
        kind=info.gvr.resource,
    )


def precondition_failed(info: ResourceInfo, name: str, what: str, wanted: Any, actual: Any) -> ConflictError:
    """409 for a uid or resourceVersion precondition the stored object does not meet."""
    return ConflictError(
        f'Operation cannot be fulfilled on {info.gvr.group_resource} "{name}": Precondition failed: '
        f"{what} in precondition: {wanted}, {what} in object meta: {actual}",
        name=name,
        group=info.gvr.group,
        kind=info.gvr.resource,
    )


def check_body(
    info: ResourceInfo, obj: Any, namespace: str | None, field_validation: str | None = None
) -> dict[str, Any]:
    """Reject a body that is not an object of this endpoint's kind (400); fill kind/apiVersion/namespace.

    Unknown fields are dropped, or rejected with 400 when ``field_validation`` is ``"Strict"``.
    Returns a copy with its own ``metadata`` dict (nested values are shared with ``obj``).
    """
    if not isinstance(obj, dict):
        raise BadRequestError(f"the body of the request must be a JSON object, not {type(obj).__name__}")
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if api_version and api_version != info.api_version:
        raise BadRequestError(
            f"the API version in the data ({api_version}) does not match the expected API version "
            f"({info.api_version})"
        )
    if kind and kind != info.kind:
        raise BadRequestError(f"the kind in the data ({kind}) does not match the expected kind ({info.kind})")
    raw_meta = obj.get("metadata", {})
    if not isinstance(raw_meta, dict):
        raise BadRequestError("metadata must be a JSON object")
    # Type fields first, then the body's own in its order (its apiVersion and kind are replaced).
    out: dict[str, Any] = {"apiVersion": info.api_version, "kind": info.kind, **obj}
    out["apiVersion"], out["kind"] = info.api_version, info.kind
    out = validate_fields(info, out, field_validation)
    out["metadata"] = m = dict(out.get("metadata") or {})
    if info.namespaced:
        given = m.get("namespace")
        if namespace and given and given != namespace:
            raise BadRequestError(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        if namespace:
            m["namespace"] = namespace
        elif not given:
            raise BadRequestError("a namespace is required for namespaced resources")
    else:
        m.pop("namespace", None)
    return out


def validate_meta(info: ResourceInfo, obj: Object) -> list[StatusCause]:
    """Metadata checks shared by create and update (name syntax per kind, labels, annotations, ...)."""
    rule: NameRule = "label" if info.gvr.resource in _LABEL_NAMED else "subdomain"
    return validate_metadata(obj, kind=info.kind, namespaced=info.namespaced, name_rule=rule)


def meta_changed(new: Object, old: Object) -> bool:
    """Whether any validated metadata field differs (an update needs validating only then)."""
    nm, om = meta(new), meta(old)
    return (
        nm.get("labels") != om.get("labels")
        or nm.get("annotations") != om.get("annotations")
        or nm.get("finalizers") != om.get("finalizers")
        or nm.get("ownerReferences") != om.get("ownerReferences")
        or nm.get("name") != om.get("name")
    )


def prepare_create(
    info: ResourceInfo, obj: dict[str, Any], name_taken: Any, stored: Mapping[Any, Object] | None = None
) -> Object:
    """The object to store for a create (``obj`` is a private shallow copy from :func:`check_body`).

    ``name_taken(name) -> bool`` lets generateName retry on collisions; ``stored`` (the resource's
    stored objects) is what a Service's cluster IP and node ports must not collide with.
    """
    m = obj["metadata"]
    if not m.get("name") and isinstance(m.get("generateName"), str) and m["generateName"]:
        for _ in range(8):
            candidate = generated_name(m["generateName"])
            if not name_taken(candidate):
                break
        m["name"] = candidate
    uid = new_uid()
    if info.storage == JOBS:
        generate_job_selector(obj, uid)
    if info.storage in DEFAULTED:
        set_defaults(info.storage, obj)
    causes = validate_meta(info, obj) + validate_spec(info, obj)
    if info.storage == SERVICES and isinstance(obj.get("spec"), dict):
        causes += allocate(obj["spec"], None, (stored or {}).values())
    if causes:
        raise invalid_error(info, str(m.get("name") or m.get("generateName") or ""), causes)
    for field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
        m.pop(field, None)
    m["uid"] = uid
    m["creationTimestamp"] = now_rfc3339()
    if keeps_generation(info):
        m["generation"] = 1
    if info.has_status:
        obj.pop("status", None)
        initial = _INITIAL_STATUS.get(info.storage)
        if initial is not None:
            obj["status"] = dict(initial)
    if info.storage == "namespaces":
        spec = dict(obj.get("spec") or {})
        spec.setdefault("finalizers", ["kubernetes"])
        obj["spec"] = spec
    if info.storage == "secrets":
        _fold_string_data(obj)
    if info.storage == DAEMON_SETS:
        set_template_generation(obj, None)
    return obj


_INITIAL_STATUS: dict[str, dict[str, Any]] = {
    "namespaces": {"phase": "Active"},
    "pods": {"phase": "Pending"},
    "persistentvolumeclaims": {"phase": "Pending"},
    "persistentvolumes": {"phase": "Pending"},
}


def _fold_string_data(obj: dict[str, Any]) -> None:
    string_data = obj.pop("stringData", None)
    if string_data:
        data = dict(obj.get("data") or {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data


_NOT_DESIRED_STATE = frozenset({"metadata", "apiVersion", "kind"})
_NOT_DESIRED_STATE_WITH_STATUS = _NOT_DESIRED_STATE | {"status"}


def _same_desired_state(new: Object, old: Object, info: ResourceInfo) -> bool:
    """Whether ``new`` and ``old`` want the same: equal top-level fields besides metadata, type and
    (for kinds with a status subresource) status."""
    skip = _NOT_DESIRED_STATE_WITH_STATUS if info.has_status else _NOT_DESIRED_STATE
    for key, value in new.items():
        if key not in skip and (key not in old or (old[key] is not value and old[key] != value)):
            return False
    return all(key in skip or key in new for key in old)


def prepare_update(
    info: ResourceInfo,
    new: dict[str, Any],
    old: Object,
    *,
    status: bool,
    require_version: bool = True,
    stored: Mapping[Any, Object] | None = None,
) -> Object:
    """The object to store when ``new`` (a private shallow copy) replaces ``old``.

    ``status=True`` is a write to the status subresource: only ``.status`` is taken from ``new``.
    ``stored`` (the resource's stored objects) is what a Service's node ports must not collide with.
    Raises 409 on a stale resourceVersion, 422 on an invalid or forbidden change.
    """
    m, old_meta = new["metadata"], old["metadata"]
    name = old_meta["name"]
    given_version = m.get("resourceVersion")
    if given_version:
        if str(given_version) != old_meta.get("resourceVersion"):
            raise conflict(info, name)
    elif require_version and info.is_crd:
        raise invalid_error(
            info, name, [invalid_cause("metadata.resourceVersion", 0, "must be specified for an update")]
        )
    if m.get("uid") and m["uid"] != old_meta.get("uid"):
        raise precondition_failed(info, name, "UID", m["uid"], old_meta.get("uid"))
    if status:
        out = dict(old)
        if "status" in new:
            out["status"] = new["status"]
        else:
            out.pop("status", None)
        return out
    if meta_changed(new, old):
        causes = validate_meta(info, new)
        if causes:
            raise invalid_error(info, name, causes)
    for field in _SYSTEM_FIELDS:
        if field in old_meta:
            m[field] = old_meta[field]
        else:
            m.pop(field, None)
    m["resourceVersion"] = old_meta.get("resourceVersion")
    if "managedFields" not in m and "managedFields" in old_meta:
        m["managedFields"] = old_meta["managedFields"]
    if old_meta.get("deletionTimestamp"):
        added = [f for f in m.get("finalizers") or () if f not in (old_meta.get("finalizers") or ())]
        if added:
            quoted = ", ".join(f'"{f}"' for f in added)
            raise invalid_error(
                info,
                name,
                [
                    forbidden_cause(
                        "metadata.finalizers",
                        f"no new finalizers can be added if the object is being deleted, found new "
                        f"finalizers []string{{{quoted}}}",
                    )
                ],
            )
    if info.has_status:
        if "status" in old:
            new["status"] = old["status"]
        else:
            new.pop("status", None)
    if info.storage == "secrets":
        _fold_string_data(new)
    if info.storage in DEFAULTED:
        set_defaults(info.storage, new)
        if info.storage == SERVICES and isinstance(new.get("spec"), dict):
            key = (old_meta.get("namespace") or "", name)
            others = (svc for k, svc in (stored or {}).items() if k != key)
            causes = allocate(new["spec"], old.get("spec") or {}, others)
            if causes:
                raise invalid_error(info, name, causes)
    if info.storage == DAEMON_SETS:
        set_template_generation(new, old)
    if not _same_desired_state(new, old, info):
        causes = validate_update(info, new, old) or validate_spec(info, new)
        if causes:
            raise invalid_error(info, name, causes)
        moved = keeps_generation(info)
    else:
        # A deployment's annotations are copied to its replica sets, so changing them is a new generation.
        moved = info.storage in _GENERATION_ON_ANNOTATIONS and m.get("annotations") != old_meta.get(
            "annotations"
        )
    if moved:
        m["generation"] = int(old_meta.get("generation") or 0) + 1
    return new


def immutable_identity(info: ResourceInfo, new: Object, old: Object) -> None:
    """A patch must not rename or move an object: 400 for name, namespace is fixed by the URL."""
    nm, om = meta(new), meta(old)
    if nm.get("name") != om.get("name"):
        raise BadRequestError(
            f"the name of the object ({nm.get('name')}) does not match the name on the URL ({om.get('name')})"
        )
    if info.namespaced and nm.get("namespace") != om.get("namespace"):
        raise BadRequestError(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
