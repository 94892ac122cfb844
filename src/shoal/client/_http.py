"""``HttpClient``: the :class:`shoal.client.Client` protocol over HTTP, for real clusters and for the
simulator's HTTP door.

Each method maps one Kubernetes verb to its path, query parameters and body the way the apiserver
expects them (``dryRun=All``, ``fieldManager``, ``force``, a ``DeleteOptions`` body, the patch
``Content-Type``), so code written against the in-process simulator client runs unchanged against a
cluster.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from prometheus_client import CollectorRegistry

from shoal.api import (
    GroupVersionResource,
    Object,
    PatchType,
    Preconditions,
    PropagationPolicy,
    WatchEvent,
)

from ._config import RestConfig
from ._mapper import rest_mapper
from ._metrics import ClientStatistics, client_metrics
from ._params import delete_options, list_params, selector_params, watch_params, write_params
from ._protocol import Client
from ._transport import Transport
from ._watch import read_watch


def _metadata(obj: Object) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _label(resource: GroupVersionResource, subresource: str | None = None) -> str:
    return f"{resource.resource}/{subresource}" if subresource else resource.resource


class HttpClient:
    """The Kubernetes REST verbs over one pooled aiohttp session.

    Use as an async context manager (``async with HttpClient.from_kubeconfig() as client:``) or call
    :meth:`aclose` when done. ``registry`` selects the Prometheus registry the client-go-named
    request metrics go to (default: :func:`shoal.metrics.default_registry`).
    """

    def __init__(self, config: RestConfig, *, registry: CollectorRegistry | None = None) -> None:
        self.config = config
        self._statistics = ClientStatistics()
        self._transport = Transport(config, metrics=client_metrics(registry), statistics=self._statistics)

    @classmethod
    def from_kubeconfig(
        cls,
        path: str | None = None,
        context: str | None = None,
        *,
        registry: CollectorRegistry | None = None,
        **options: Any,
    ) -> HttpClient:
        """A client for a kubeconfig context (see :meth:`RestConfig.from_kubeconfig`); ``options``
        override RestConfig fields (``qps=100, burst=150``)."""
        return cls(RestConfig.from_kubeconfig(path, context, **options), registry=registry)

    @classmethod
    def in_cluster(cls, *, registry: CollectorRegistry | None = None, **options: Any) -> HttpClient:
        """A client with the pod's service account (see :meth:`RestConfig.in_cluster`)."""
        return cls(RestConfig.in_cluster(**options), registry=registry)

    @classmethod
    def from_url(
        cls, url: str, token: str | None = None, *, registry: CollectorRegistry | None = None, **options: Any
    ) -> HttpClient:
        """A client for a bare URL, optionally with a bearer token."""
        return cls(RestConfig.from_url(url, token, **options), registry=registry)

    async def __aenter__(self) -> Self:
        await self._transport.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections (open watches end)."""
        await self._transport.aclose()

    def statistics(self) -> ClientStatistics:
        """The live request tally by (verb, resource), with error counts and latency sums."""
        return self._statistics

    async def raw_get(self, path: str, *, params: dict[str, str] | None = None) -> Any:
        """GET any path (``/version``, ``/apis``, ``/api/v1``) and return its JSON."""
        return await self._transport.request("GET", path, verb="get", resource=path, params=params)

    async def get(self, resource: GroupVersionResource, name: str, *, namespace: str | None = None) -> Object:
        result: Object = await self._transport.request(
            "GET", resource.path(namespace, name), verb="get", resource=_label(resource)
        )
        return result

    async def list(
        self,
        resource: GroupVersionResource,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_: str = "",
        resource_version: str | None = None,
        resource_version_match: str | None = None,
    ) -> Object:
        params = list_params(
            label_selector, field_selector, limit, continue_, resource_version, resource_version_match
        )
        result: Object = await self._transport.request(
            "GET", resource.path(namespace), verb="list", resource=_label(resource), params=params
        )
        return result

    async def create(
        self,
        resource: GroupVersionResource,
        obj: Object,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        field_validation: str | None = None,
    ) -> Object:
        ns = await self._namespace_of(resource, obj, namespace)
        result: Object = await self._transport.request(
            "POST",
            resource.path(ns),
            verb="create",
            resource=_label(resource),
            params=write_params(dry_run, field_manager, field_validation=field_validation),
            body=obj,
        )
        return result

    async def _namespace_of(
        self, resource: GroupVersionResource, obj: Object, namespace: str | None
    ) -> str | None:
        """The namespace of a write's URL: ``namespace``, else the body's when the resource is namespaced
        (a cluster-scoped body's namespace is ignored, as the apiserver does)."""
        if namespace:
            return namespace
        given = _metadata(obj).get("namespace")
        if not given:
            return None
        return str(given) if await rest_mapper(self).namespaced(resource) else None

    async def _put(
        self,
        resource: GroupVersionResource,
        obj: Object,
        subresource: str | None,
        namespace: str | None,
        dry_run: bool,
        field_manager: str | None,
        field_validation: str | None,
    ) -> Object:
        meta = _metadata(obj)
        ns = await self._namespace_of(resource, obj, namespace)
        result: Object = await self._transport.request(
            "PUT",
            resource.path(ns, str(meta.get("name") or ""), subresource),
            verb="update",
            resource=_label(resource, subresource),
            params=write_params(dry_run, field_manager, field_validation=field_validation),
            body=obj,
        )
        return result

    async def update(
        self,
        resource: GroupVersionResource,
        obj: Object,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        field_validation: str | None = None,
    ) -> Object:
        return await self._put(resource, obj, None, namespace, dry_run, field_manager, field_validation)

    async def update_status(
        self,
        resource: GroupVersionResource,
        obj: Object,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        field_validation: str | None = None,
    ) -> Object:
        return await self._put(resource, obj, "status", namespace, dry_run, field_manager, field_validation)

    async def _patch(
        self,
        resource: GroupVersionResource,
        name: str,
        patch: Any,
        subresource: str | None,
        patch_type: PatchType,
        namespace: str | None,
        params: dict[str, str],
    ) -> Object:
        result: Object = await self._transport.request(
            "PATCH",
            resource.path(namespace, name, subresource),
            verb="patch",
            resource=_label(resource, subresource),
            params=params,
            body=patch,
            content_type=PatchType(patch_type).value,
        )
        return result

    async def patch(
        self,
        resource: GroupVersionResource,
        name: str,
        patch: Any,
        *,
        patch_type: PatchType = PatchType.MERGE,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        force: bool | None = None,
        field_validation: str | None = None,
    ) -> Object:
        params = write_params(dry_run, field_manager, force, field_validation)
        return await self._patch(resource, name, patch, None, patch_type, namespace, params)

    async def patch_status(
        self,
        resource: GroupVersionResource,
        name: str,
        patch: Any,
        *,
        patch_type: PatchType = PatchType.MERGE,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        force: bool | None = None,
        field_validation: str | None = None,
    ) -> Object:
        params = write_params(dry_run, field_manager, force, field_validation)
        return await self._patch(resource, name, patch, "status", patch_type, namespace, params)

    async def delete(
        self,
        resource: GroupVersionResource,
        name: str,
        *,
        namespace: str | None = None,
        propagation_policy: PropagationPolicy | None = None,
        grace_period_seconds: int | None = None,
        preconditions: Preconditions | None = None,
        dry_run: bool = False,
    ) -> Object:
        options = delete_options(propagation_policy, grace_period_seconds, preconditions, dry_run)
        result: Object = await self._transport.request(
            "DELETE", resource.path(namespace, name), verb="delete", resource=_label(resource), body=options
        )
        return result

    async def delete_collection(
        self,
        resource: GroupVersionResource,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        propagation_policy: PropagationPolicy | None = None,
    ) -> Object:
        result: Object = await self._transport.request(
            "DELETE",
            resource.path(namespace),
            verb="deletecollection",
            resource=_label(resource),
            params=selector_params(label_selector, field_selector),
            body=delete_options(propagation_policy, None, None, False),
        )
        return result

    def watch(
        self,
        resource: GroupVersionResource,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        resource_version: str | None = None,
        allow_bookmarks: bool = False,
        send_initial_events: bool = False,
        timeout_seconds: float | None = None,
    ) -> AsyncIterator[WatchEvent]:
        params = watch_params(
            label_selector=label_selector,
            field_selector=field_selector,
            resource_version=resource_version,
            allow_bookmarks=allow_bookmarks,
            send_initial_events=send_initial_events,
            timeout_seconds=timeout_seconds,
        )
        return read_watch(self._transport, resource.path(namespace), params, resource=_label(resource))

    def __repr__(self) -> str:
        return f"HttpClient({self.config.host!r})"


if TYPE_CHECKING:

    def _implements_client(client: HttpClient) -> Client:
        """mypy checks here that HttpClient satisfies the Client protocol."""
        return client
