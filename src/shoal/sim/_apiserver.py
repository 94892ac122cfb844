"""The apiserver's verbs against the store: synchronous, validated, all-or-nothing.

:class:`ApiServer` is what both doors of the simulator call (through the in-process client, which adds
latency, faults and accounting). Each write validates fully before its first commit, so a rejected
request leaves the store exactly as it was; the deletions a write sets off (garbage collection,
namespace and CRD cleanup, graceful pod removal) run afterwards through :class:`GarbageCollector`.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from shoal.api import (
    AlreadyExistsError,
    BadRequestError,
    ForbiddenError,
    GroupVersionResource,
    MethodNotAllowedError,
    NotFoundError,
    Object,
    PatchType,
    Preconditions,
    PropagationPolicy,
    StatusCause,
)
from shoal.api._patch import json_equal

from ._crds import CRD_STORAGE, crd_status, validate_crd
from ._deletion import delete_matching, delete_object, ready_to_remove
from ._field_validation import (
    check_field_validation,
    field_problems,
    load_schemas,
    patch_unknown_fields,
    strict_error,
)
from ._gc import GarbageCollector
from ._lists import Filter, read_list
from ._objects import meta
from ._patching import patch_object
from ._resources import CREATE_ON_UPDATE, ResourceInfo, ResourceRegistry
from ._store import Key, Store
from ._strategy import check_body, invalid_error, prepare_create, prepare_update

Schedule = Callable[[float, Callable[[], None]], None]
"""``schedule(delay_seconds, callback)``: run a store callback later (graceful pod removal)."""


class ApiServer:
    """Verb semantics over one :class:`Store` and :class:`ResourceRegistry`."""

    def __init__(
        self,
        store: Store,
        resources: ResourceRegistry,
        *,
        schedule: Schedule | None = None,
        pod_graceful_delete: bool = True,
        pod_grace_cap: float = 0.0,
    ) -> None:
        self.store = store
        self.resources = resources
        self.schedule = schedule
        self.pod_graceful_delete = pod_graceful_delete
        self.pod_grace_cap = pod_grace_cap
        self.gc = GarbageCollector(self)
        for info in resources.all():
            store.add_storage(info.storage)
        load_schemas(resources.all())

    # -- lookups ---------------------------------------------------------------------------------

    def resolve(self, gvr: GroupVersionResource) -> ResourceInfo:
        """The served resource at ``gvr``; 404 ``the server could not find the requested resource``."""
        info = self.resources.lookup(gvr)
        if info is None:
            raise NotFoundError("the server could not find the requested resource", kind=gvr.resource)
        return info

    def key(self, info: ResourceInfo, namespace: str | None, name: str) -> Key:
        if not name:
            raise BadRequestError("resource name may not be empty")
        if info.namespaced:
            if not namespace:
                # /api/v1/configmaps/<name> is no route of the apiserver.
                raise NotFoundError(
                    "the server could not find the requested resource", kind=info.gvr.resource
                )
            return (namespace, name)
        return ("", name)

    @staticmethod
    def view(info: ResourceInfo, obj: Object) -> Object:
        """``obj`` as served at ``info``'s version (stored objects are shared: never mutate the result)."""
        if obj.get("apiVersion") == info.api_version:
            return obj
        return {**obj, "apiVersion": info.api_version}

    def not_found(self, info: ResourceInfo, name: str) -> NotFoundError:
        return NotFoundError(
            f'{info.gvr.group_resource} "{name}" not found',
            name=name,
            group=info.gvr.group,
            kind=info.gvr.resource,
        )

    # -- reads -----------------------------------------------------------------------------------

    def get(self, info: ResourceInfo, name: str, namespace: str | None) -> Object:
        obj = self.store.get(info.storage, self.key(info, namespace, name))
        if obj is None:
            raise self.not_found(info, name)
        return self.view(info, obj)

    def list(
        self,
        info: ResourceInfo,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_: str = "",
        resource_version: str | None = None,
        resource_version_match: str | None = None,
    ) -> Object:
        """A ``<Kind>List``; items are shared snapshots (the caller copies)."""
        if limit < 0:
            raise BadRequestError(f"limit must not be negative, got {limit}")
        selection = Filter.parse(info, namespace, label_selector, field_selector)
        items, list_meta = read_list(
            self.store,
            info,
            selection,
            limit=limit,
            continue_=continue_,
            resource_version=resource_version,
            resource_version_match=resource_version_match,
        )
        return {
            "apiVersion": info.api_version,
            "kind": info.list_kind,
            "metadata": list_meta,
            "items": [self.view(info, o) for o in items],
        }

    # -- create ----------------------------------------------------------------------------------

    def create(
        self,
        info: ResourceInfo,
        obj: Any,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        managed_fields: builtins.list[dict[str, Any]] | None = None,
        field_validation: str | None = None,
    ) -> Object:
        check_field_validation(field_validation)
        body = check_body(info, obj, namespace, field_validation)
        ns = body["metadata"].get("namespace") or ""
        if info.namespaced:
            self._check_namespace_open(info, ns, body["metadata"].get("name") or "")
        if info.is_crd:
            self._check_crd_open(info)
        objects = self.store.objects(info.storage)
        new = prepare_create(info, body, lambda n: (ns, n) in objects, objects)
        if info.storage == CRD_STORAGE:
            causes = validate_crd(new)
            if causes:
                raise invalid_error(info, meta(new)["name"], causes)
            new["status"] = crd_status(new)
        if managed_fields:
            new["metadata"]["managedFields"] = managed_fields
        name = new["metadata"]["name"]
        if (ns, name) in objects:
            raise AlreadyExistsError(
                f'{info.gvr.group_resource} "{name}" already exists',
                name=name,
                group=info.gvr.group,
                kind=info.gvr.resource,
            )
        if dry_run:
            return new
        stored = self.store.put(info.storage, new, None)
        self.gc.after_write(info, stored, None)
        return self.view(info, stored)

    def _check_namespace_open(self, info: ResourceInfo, ns: str, name: str) -> None:
        namespace = self.store.get("namespaces", ("", ns))
        if namespace is None:
            raise NotFoundError(f'namespaces "{ns}" not found', name=ns, kind="namespaces")
        if meta(namespace).get("deletionTimestamp"):
            raise ForbiddenError(
                f'{info.gvr.group_resource} "{name}" is forbidden: unable to create new content in '
                f"namespace {ns} because it is being terminated",
                name=name,
                group=info.gvr.group,
                kind=info.gvr.resource,
                causes=(
                    StatusCause(
                        "NamespaceTerminating",
                        f"namespace {ns} is being terminated",
                        "metadata.namespace",
                    ),
                ),
            )

    def _check_crd_open(self, info: ResourceInfo) -> None:
        crd = self.store.get(CRD_STORAGE, ("", info.storage))
        if crd is not None and meta(crd).get("deletionTimestamp"):
            raise MethodNotAllowedError(
                "create not allowed while custom resource definition is terminating",
                name=info.storage,
                kind=info.gvr.resource,
            )

    # -- update & patch --------------------------------------------------------------------------

    def update(
        self,
        info: ResourceInfo,
        obj: Any,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        status: bool = False,
        field_validation: str | None = None,
    ) -> Object:
        if status and not info.has_status:
            raise NotFoundError("the server could not find the requested resource", kind=info.gvr.resource)
        check_field_validation(field_validation)
        body = check_body(info, obj, namespace, field_validation)
        m = body["metadata"]
        key = self.key(info, m.get("namespace"), str(m.get("name") or ""))
        old = self.store.get(info.storage, key)
        if old is None:
            if info.storage in CREATE_ON_UPDATE and not status:
                return self.create(info, body, namespace=key[0] or None, dry_run=dry_run)
            raise self.not_found(info, key[1])
        new = prepare_update(info, body, old, status=status, stored=self.store.objects(info.storage))
        return self.view(info, self.commit_update(info, new, old, dry_run=dry_run))

    def patch(
        self,
        info: ResourceInfo,
        name: str,
        patch: Any,
        *,
        patch_type: PatchType,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        force: bool | None = None,
        status: bool = False,
        field_validation: str | None = None,
    ) -> Object:
        """PATCH in any of its formats (see :mod:`._patching`); ``Strict`` rejects a patch that sets
        unknown fields before anything is read or written."""
        check_field_validation(field_validation)
        if field_validation == "Strict":
            unknown = patch_unknown_fields(info, patch, patch_type)
            if unknown:
                raise strict_error(info, field_problems(unknown))
        return patch_object(
            self,
            info,
            name,
            patch,
            patch_type=patch_type,
            namespace=namespace,
            dry_run=dry_run,
            field_manager=field_manager,
            force=force,
            status=status,
        )

    def commit_update(self, info: ResourceInfo, new: Object, old: Object, *, dry_run: bool = False) -> Object:
        """Store a prepared update; a no-op write changes nothing, and an emptied deletion removes."""
        if new == old and json_equal(new, old):
            return old
        if info.storage == CRD_STORAGE and not meta(new).get("deletionTimestamp"):
            causes = validate_crd(new)
            if causes:
                raise invalid_error(info, meta(new)["name"], causes)
        if dry_run:
            return new
        if ready_to_remove(new):
            key = (meta(new).get("namespace") or "", meta(new)["name"])
            gone = self.store.remove(info.storage, key)
            self.gc.after_remove(info, gone)
            return gone
        stored = self.store.put(info.storage, new, old)
        self.gc.after_write(info, stored, old)
        return stored

    # -- delete ----------------------------------------------------------------------------------

    def delete(
        self,
        info: ResourceInfo,
        name: str,
        *,
        namespace: str | None = None,
        propagation_policy: PropagationPolicy | None = None,
        grace_period_seconds: int | None = None,
        preconditions: Preconditions | None = None,
        dry_run: bool = False,
    ) -> Object:
        """DELETE one object (see :mod:`._deletion`)."""
        return delete_object(
            self,
            info,
            name,
            namespace=namespace,
            propagation_policy=propagation_policy,
            grace_period_seconds=grace_period_seconds,
            preconditions=preconditions,
            dry_run=dry_run,
        )

    def delete_collection(
        self,
        info: ResourceInfo,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        propagation_policy: PropagationPolicy | None = None,
    ) -> Object:
        """DELETE every matching object; a ``<Kind>List`` of what each delete returned."""
        return delete_matching(
            self,
            info,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            propagation_policy=propagation_policy,
        )
