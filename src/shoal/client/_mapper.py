"""From an object's ``apiVersion``/``kind`` to the resource its URL needs, through discovery.

Manifests name a *kind* (``apps/v1``, ``Deployment``) while REST paths name a *resource*
(``deployments``) and need to know whether it is namespaced. Plural forms are not derivable from
the kind (``Endpoints``, ``NetworkPolicy`` → ``networkpolicies``, CRDs choose freely), so like
client-go's RESTMapper this asks the server's discovery documents, one group-version at a time,
caches the answer, and asks again on a miss because a CRD may have been added since.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from typing import Any, Protocol

from shoal.api import GroupVersionKind, GroupVersionResource, NotFoundError


class DiscoveryClient(Protocol):
    """What the mapper needs from a client: GET of an arbitrary path (``HttpClient.raw_get``)."""

    async def raw_get(self, path: str, *, params: dict[str, str] | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class ResourceMapping:
    """How one kind is served: its resource, scope and verbs (from ``APIResourceList``)."""

    resource: GroupVersionResource
    kind: str
    namespaced: bool
    verbs: tuple[str, ...]
    subresources: frozenset[str]


class RESTMapper:
    """Cached kind → resource lookups against one server's discovery."""

    def __init__(self, client: DiscoveryClient) -> None:
        self._client = client
        self._by_group_version: dict[str, dict[str, ResourceMapping]] = {}
        self._lock = asyncio.Lock()

    async def mapping(self, gvk: GroupVersionKind) -> ResourceMapping:
        """The mapping of ``gvk``; refreshes its group-version once on a miss, then raises NotFoundError."""
        found = self._by_group_version.get(gvk.api_version, {}).get(gvk.kind)
        if found is None:
            async with self._lock:
                kinds = await self._load(gvk.group, gvk.version)
            found = kinds.get(gvk.kind)
        if found is None:
            raise NotFoundError(f'no matches for kind "{gvk.kind}" in version "{gvk.api_version}"')
        return found

    async def resource_for(self, gvk: GroupVersionKind) -> GroupVersionResource:
        return (await self.mapping(gvk)).resource

    async def namespaced(self, resource: GroupVersionResource) -> bool:
        """Whether discovery serves ``resource`` as namespaced; True when it does not list it (the server
        then decides), rediscovering its group-version once on a miss."""
        found = self._find(resource)
        if found is None:
            async with self._lock:
                await self._load(resource.group, resource.version)
            found = self._find(resource)
        return True if found is None else found.namespaced

    def _find(self, resource: GroupVersionResource) -> ResourceMapping | None:
        for mapping in self._by_group_version.get(resource.api_version, {}).values():
            if mapping.resource.resource == resource.resource:
                return mapping
        return None

    def invalidate(self) -> None:
        """Forget everything (after CRDs were removed, say); the next lookups rediscover."""
        self._by_group_version.clear()

    async def _load(self, group: str, version: str) -> dict[str, ResourceMapping]:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            document = await self._client.raw_get(path)
        except NotFoundError:
            document = {}
        kinds = parse_resource_list(group, version, document)
        self._by_group_version[GroupVersionResource(group, version, "").api_version] = kinds
        return kinds


def parse_resource_list(group: str, version: str, document: Any) -> dict[str, ResourceMapping]:
    """Index an ``APIResourceList`` by kind, attaching ``<plural>/<sub>`` entries as subresources."""
    resources = document.get("resources") if isinstance(document, dict) else None
    entries = [r for r in resources or () if isinstance(r, dict) and r.get("name")]
    subresources: dict[str, set[str]] = {}
    for entry in entries:
        plural, sep, sub = str(entry["name"]).partition("/")
        if sep:
            subresources.setdefault(plural, set()).add(sub)
    kinds: dict[str, ResourceMapping] = {}
    for entry in entries:
        name = str(entry["name"])
        if "/" in name or not entry.get("kind"):
            continue
        kinds.setdefault(
            str(entry["kind"]),
            ResourceMapping(
                resource=GroupVersionResource(group, version, name),
                kind=str(entry["kind"]),
                namespaced=bool(entry.get("namespaced")),
                verbs=tuple(str(v) for v in entry.get("verbs") or ()),
                subresources=frozenset(subresources.get(name, ())),
            ),
        )
    return kinds


_MAPPERS: weakref.WeakKeyDictionary[Any, RESTMapper] = weakref.WeakKeyDictionary()


def rest_mapper(client: DiscoveryClient) -> RESTMapper:
    """The shared, cached mapper of ``client``."""
    mapper = _MAPPERS.get(client)
    if mapper is None:
        mapper = _MAPPERS[client] = RESTMapper(client)
    return mapper


async def resource_for(client: DiscoveryClient, gvk: GroupVersionKind) -> GroupVersionResource:
    """The resource serving ``gvk`` on ``client``'s server (``apps/v1 Deployment`` → ``deployments``)."""
    return await rest_mapper(client).resource_for(gvk)
