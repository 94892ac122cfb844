"""Item blocks: the items that must be backed up together, by one worker, one after another.

Velero's parallel backup is only safe because related items never go to different workers: a Pod, the
PersistentVolumeClaims it mounts and their PersistentVolumes form one block, so the pod's hooks run
before its volumes are saved; pods that share a claim join the same block; a ServiceAccount takes its
RoleBindings and ClusterRoleBindings with it. :func:`form_blocks` walks the collected items in Velero's
order (pods, then claims, then volumes, then the rest), starts a block at each item not yet placed and
pulls every related item into it, transitively. No item is placed twice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from shoal.api import GroupVersionResource, Object

_PODS = "pods"
_CLAIMS = "persistentvolumeclaims"
_VOLUMES = "persistentvolumes"
_SERVICE_ACCOUNTS = "serviceaccounts"
_ROLE_BINDINGS = "rolebindings.rbac.authorization.k8s.io"
_CLUSTER_ROLE_BINDINGS = "clusterrolebindings.rbac.authorization.k8s.io"
_PRIORITY = {_PODS: 0, _CLAIMS: 1, _VOLUMES: 2}


class ItemKey(NamedTuple):
    """An item's identity: group-resource (``pods``, ``deployments.apps``), namespace (``""``), name."""

    resource: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.resource}/{where}{self.name}"


@dataclass(frozen=True, slots=True)
class Item:
    """A collected object and where it came from."""

    resource: GroupVersionResource
    object: Object

    @property
    def key(self) -> ItemKey:
        metadata = self.object.get("metadata") or {}
        return ItemKey(self.resource.group_resource, metadata.get("namespace") or "", metadata["name"])


@dataclass(slots=True)
class ItemBlock:
    """Items backed up together, in this order, by one worker."""

    index: int
    items: list[Item] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def keys(self) -> list[ItemKey]:
        return [item.key for item in self.items]


def collection_order(items: Iterable[Item]) -> list[Item]:
    """Pods, then claims, then volumes, then everything else, each in the order given (stable)."""
    return sorted(items, key=lambda item: _PRIORITY.get(item.resource.group_resource, len(_PRIORITY)))


def _claim_names(pod: Object) -> Iterator[str]:
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        claim = (volume or {}).get("persistentVolumeClaim") or {}
        if isinstance(claim.get("claimName"), str):
            yield claim["claimName"]


def _service_account_subjects(binding: Object, default_namespace: str) -> Iterator[tuple[str, str]]:
    for subject in binding.get("subjects") or []:
        if (subject or {}).get("kind") == "ServiceAccount" and isinstance(subject.get("name"), str):
            yield subject.get("namespace") or default_namespace, subject["name"]


class _Relations:
    """Indexes over the collected items answering "what must go with this item"."""

    def __init__(self, items: list[Item]) -> None:
        self.by_key: dict[ItemKey, Item] = {}
        self.pods_by_claim: dict[tuple[str, str], list[ItemKey]] = {}
        self.bindings_by_subject: dict[tuple[str, str], list[ItemKey]] = {}
        for item in items:
            key = item.key
            self.by_key[key] = item
            if key.resource == _PODS:
                for claim in _claim_names(item.object):
                    self.pods_by_claim.setdefault((key.namespace, claim), []).append(key)
            elif key.resource in (_ROLE_BINDINGS, _CLUSTER_ROLE_BINDINGS):
                for subject in _service_account_subjects(item.object, key.namespace):
                    self.bindings_by_subject.setdefault(subject, []).append(key)

    def related(self, item: Item) -> list[ItemKey]:
        key, obj = item.key, item.object
        spec: dict[str, Any] = obj.get("spec") or {}
        if key.resource == _PODS:
            return [ItemKey(_CLAIMS, key.namespace, claim) for claim in _claim_names(obj)]
        if key.resource == _CLAIMS:
            volume = [ItemKey(_VOLUMES, "", spec["volumeName"])] if spec.get("volumeName") else []
            return volume + self.pods_by_claim.get((key.namespace, key.name), [])
        if key.resource == _SERVICE_ACCOUNTS:
            return self.bindings_by_subject.get((key.namespace, key.name), [])
        return []


def form_blocks(items: Iterable[Item]) -> list[ItemBlock]:
    """Group ``items`` into blocks; every item lands in exactly one block.

    Related items that were not collected (a claim in another namespace) are not pulled in. Blocks are
    numbered in formation order; the items of a block keep the order they were reached in, so a pod
    comes before its claims and a claim before its volume.
    """
    ordered = collection_order(items)
    relations = _Relations(ordered)
    placed: set[ItemKey] = set()
    blocks: list[ItemBlock] = []
    for seed in ordered:
        if seed.key in placed:
            continue
        block = ItemBlock(len(blocks))
        pending = deque([seed])
        placed.add(seed.key)
        while pending:
            item = pending.popleft()
            block.items.append(item)
            for related in relations.related(item):
                found = relations.by_key.get(related)
                if found is not None and related not in placed:
                    placed.add(related)
                    pending.append(found)
        blocks.append(block)
    return blocks
