"""The item collector: one live List per resource type and namespace, then the related cluster objects.

A backup must see the objects as they are, so the collector lists from the API server rather than a
cache (an informer per type would also hold every Secret of the cluster in memory). Velero's collector
lists one type after another; the lists are independent, so :func:`collect` issues them at once
(``sequential=True`` keeps the seed's order, for comparison). Cluster-scoped objects are kept only when
they belong to the backup: the included Namespaces, the PersistentVolumes bound to collected claims, the
ClusterRoleBindings naming collected ServiceAccounts, and the CustomResourceDefinitions of the custom
types that had items.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from shoal.api import CRDS, NotFoundError, Object
from shoal.client import Client
from shoal.fanout import gather

from ._blocks import Item
from ._resources import CLUSTER_ROLE_BINDINGS, NAMESPACES, PERSISTENT_VOLUMES, ResourceType

PAGE_SIZE = 500


@dataclass(slots=True)
class Collection:
    """What the collector found."""

    items: list[Item] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Resource types the server does not serve (404 on list), by group-resource."""
    requests: int = 0
    """List pages and CRD reads issued."""


async def _list_all(client: Client, kind: ResourceType, namespace: str | None) -> list[Object]:
    items: list[Object] = []
    token = ""
    while True:
        page = await client.list(kind.resource, namespace=namespace, limit=PAGE_SIZE, continue_=token)
        items.extend(page.get("items") or [])
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            return items


async def _run(calls: Sequence[Callable[[], Awaitable[object]]], sequential: bool) -> None:
    if sequential:
        for call in calls:
            await call()
    elif calls:
        await gather(*(call() for call in calls))


def _keep_cluster_objects(
    kind: ResourceType, objects: list[Object], namespaced: list[Item], namespaces: set[str]
) -> list[Object]:
    if kind == NAMESPACES:
        return [o for o in objects if o["metadata"]["name"] in namespaces]
    if kind == PERSISTENT_VOLUMES:
        bound = {
            (i.object.get("spec") or {}).get("volumeName")
            for i in namespaced
            if i.resource.group_resource == "persistentvolumeclaims"
        }
        return [o for o in objects if o["metadata"]["name"] in bound]
    if kind == CLUSTER_ROLE_BINDINGS:
        accounts = {i.key[1:] for i in namespaced if i.resource.group_resource == "serviceaccounts"}
        return [
            o
            for o in objects
            if any(
                (s or {}).get("kind") == "ServiceAccount" and (s.get("namespace"), s.get("name")) in accounts
                for s in o.get("subjects") or []
            )
        ]
    return objects


async def collect(
    client: Client, namespaces: Sequence[str], kinds: Sequence[ResourceType], *, sequential: bool = False
) -> Collection:
    """List every type in ``kinds`` (per namespace when namespaced) and keep what belongs to the backup.

    Raises:
        ApiError: a list failed for a reason other than the type not being served.
    """
    result = Collection()
    found: dict[tuple[ResourceType, str | None], list[Object]] = {}
    unserved: set[ResourceType] = set()

    def lister(kind: ResourceType, namespace: str | None) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            result.requests += 1
            try:
                found[kind, namespace] = await _list_all(client, kind, namespace)
            except NotFoundError:
                unserved.add(kind)

        return call

    calls = [
        lister(kind, namespace) for kind in kinds for namespace in (namespaces if kind.namespaced else [None])
    ]
    await _run(calls, sequential)

    namespaced = [
        Item(kind.resource, obj)
        for kind in kinds
        if kind.namespaced
        for namespace in namespaces
        for obj in found.get((kind, namespace), [])
    ]
    included = set(namespaces)
    cluster = [
        Item(kind.resource, obj)
        for kind in kinds
        if not kind.namespaced
        for obj in _keep_cluster_objects(kind, found.get((kind, None), []), namespaced, included)
    ]
    result.items = namespaced + cluster
    result.skipped = sorted(kind.group_resource for kind in unserved)

    definitions: list[Object] = []
    custom = [
        kind for kind in kinds if kind.custom and any(i.resource == kind.resource for i in result.items)
    ]

    def definition(kind: ResourceType) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            result.requests += 1
            definitions.append(await client.get(CRDS, kind.group_resource))

        return call

    await _run([definition(kind) for kind in custom], sequential)
    result.items.extend(Item(CRDS, obj) for obj in sorted(definitions, key=lambda o: o["metadata"]["name"]))
    return result
