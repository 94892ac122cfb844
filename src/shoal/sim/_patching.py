"""PATCH in its four formats, applied to the stored object and then treated exactly like an update.

Merge and JSON patches come from :mod:`shoal.api`, strategic merge patches too (built-in kinds only:
custom resources get 415), server-side apply from :mod:`._apply`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shoal.api import (
    BadRequestError,
    InvalidError,
    NotFoundError,
    Object,
    PatchType,
    StatusCause,
    UnsupportedMediaTypeError,
)
from shoal.api._patch import apply_json_patch, apply_merge_patch
from shoal.api._strategic import apply_strategic_merge_patch

from ._apply import apply_entry, server_side_apply
from ._objects import meta
from ._resources import ResourceInfo
from ._strategy import check_body, immutable_identity, prepare_update

if TYPE_CHECKING:
    from ._apiserver import ApiServer

_CR_PATCH_TYPES = "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"


def _options_invalid(field: str, message: str, reason: str) -> InvalidError:
    return InvalidError(
        f'PatchOptions.meta.k8s.io "" is invalid: {field}: {message}',
        kind="PatchOptions",
        group="meta.k8s.io",
        causes=(StatusCause(reason, message, field),),
    )


def check_patch_options(
    info: ResourceInfo, patch_type: PatchType, field_manager: str | None, force: bool | None
) -> None:
    """422 for apply without fieldManager or force on a non-apply patch; 415 for strategic on CRs."""
    if patch_type is PatchType.APPLY and not field_manager:
        raise _options_invalid(
            "fieldManager", "Required value: is required for apply patch", "FieldValueRequired"
        )
    if force is not None and patch_type is not PatchType.APPLY:
        raise _options_invalid(
            "force", "Forbidden: may not be specified for non-apply patch", "FieldValueForbidden"
        )
    if patch_type is PatchType.STRATEGIC and info.is_crd:
        raise UnsupportedMediaTypeError(
            "the body of the request was in an unknown format - accepted media types include: "
            + _CR_PATCH_TYPES
        )


def apply_patch(info: ResourceInfo, current: Object, patch: Any, patch_type: PatchType) -> Any:
    """``patch`` applied to a private copy of ``current`` (which is not touched)."""
    if patch_type is PatchType.JSON:
        return apply_json_patch(current, patch)
    if patch_type is PatchType.STRATEGIC:
        return apply_strategic_merge_patch(current, patch, info.gvk)
    if not isinstance(patch, dict):
        raise BadRequestError(f"the body of a {patch_type.value} patch must be a JSON object")
    return apply_merge_patch(current, patch)


def patch_object(
    server: ApiServer,
    info: ResourceInfo,
    name: str,
    patch: Any,
    *,
    patch_type: PatchType,
    namespace: str | None,
    dry_run: bool,
    field_manager: str | None,
    force: bool | None,
    status: bool,
) -> Object:
    if status and not info.has_status:
        raise NotFoundError("the server could not find the requested resource", kind=info.gvr.resource)
    check_patch_options(info, patch_type, field_manager, force)
    key = server.key(info, namespace, name)
    old = server.store.get(info.storage, key)
    applying = patch_type is PatchType.APPLY
    if old is None:
        if not applying or status:
            raise server.not_found(info, name)
        body = check_body(info, patch, key[0] or None)
        if meta(body).get("name") not in (None, name):
            raise BadRequestError(
                f"the name of the object ({meta(body).get('name')}) does not match the name on the URL ({name})"
            )
        body["metadata"]["name"] = name
        entry = apply_entry(info, str(field_manager), patch)
        return server.create(info, body, namespace=key[0] or None, dry_run=dry_run, managed_fields=[entry])
    current = server.view(info, old)
    if applying:
        check_body(info, patch, key[0] or None)
        subresource = "status" if status else ""
        patched = server_side_apply(
            info, current, patch, str(field_manager), force=bool(force), subresource=subresource
        )
    else:
        patched = apply_patch(info, current, patch, patch_type)
    if not isinstance(patched, dict):
        raise BadRequestError("the patched object is not a JSON object")
    immutable_identity(info, patched, current)
    body = check_body(info, patched, key[0] or None)
    new = prepare_update(
        info, body, old, status=status, require_version=False, stored=server.store.objects(info.storage)
    )
    if applying and status:
        new = {**new, "metadata": {**meta(new), "managedFields": meta(patched).get("managedFields")}}
    return server.view(info, server.commit_update(info, new, old, dry_run=dry_run))
