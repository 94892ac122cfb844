"""Item blocks: related items always share a block, and every item lands in exactly one."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings, strategies as st

from shoal.api import GroupVersionResource
from shoal.examples.backups import Item, ItemKey, form_blocks, seed_inventory

PODS = GroupVersionResource("", "v1", "pods")
CLAIMS = GroupVersionResource("", "v1", "persistentvolumeclaims")
VOLUMES = GroupVersionResource("", "v1", "persistentvolumes")
CONFIGMAPS = GroupVersionResource("", "v1", "configmaps")


def _block_of(blocks: list[Any]) -> dict[ItemKey, int]:
    return {key: block.index for block in blocks for key in block.keys}


def test_seed_inventory_blocks() -> None:
    inventory = seed_inventory()
    items = [Item(resource, obj) for resource, obj in inventory.objects]
    blocks = form_blocks(items)
    where = _block_of(blocks)
    assert len(where) == len(items) == sum(len(b) for b in blocks)

    # mysql-a: two pods share one claim, so both pods, the claim and its volume are one block.
    rwx = blocks[where[ItemKey("pods", "mysql-a", "mysql-0")]]
    assert sorted(map(str, rwx.keys)) == [
        "persistentvolumeclaims/mysql-a/mysql-data",
        "persistentvolumes/pv-mysql-a-mysql-data",
        "pods/mysql-a/mysql-0",
        "pods/mysql-a/mysql-reader",
    ]
    assert rwx.keys[0].resource == "pods"  # the pod comes before its claim and volume
    # mysql-b: the pod with its claim and volume; the second pod mounts nothing and is alone.
    single = blocks[where[ItemKey("pods", "mysql-b", "mysql-0")]]
    assert [k.resource for k in single.keys] == ["pods", "persistentvolumeclaims", "persistentvolumes"]
    assert len(blocks[where[ItemKey("pods", "mysql-b", "mysql-reader")]]) == 1
    # The mysql ServiceAccount takes its two RoleBindings and its ClusterRoleBinding.
    account = blocks[where[ItemKey("serviceaccounts", "mysql-b", "mysql")]]
    assert sorted(str(k) for k in account.keys[1:]) == [
        "clusterrolebindings.rbac.authorization.k8s.io/mysql-mysql-b",
        "rolebindings.rbac.authorization.k8s.io/mysql-b/mysql-0",
        "rolebindings.rbac.authorization.k8s.io/mysql-b/mysql-1",
    ]
    assert max(len(b) for b in blocks) == 4


def _pod(name: str, claims: list[str]) -> Item:
    volumes = [{"name": c, "persistentVolumeClaim": {"claimName": c}} for c in claims]
    return Item(PODS, {"metadata": {"name": name, "namespace": "ns"}, "spec": {"volumes": volumes}})


@settings(max_examples=60, deadline=None)
@given(
    mounts=st.lists(st.lists(st.integers(0, 7), max_size=3), min_size=1, max_size=12),
    loose=st.integers(0, 5),
    bound=st.sets(st.integers(0, 7)),
)
def test_related_items_share_a_block_and_no_item_is_placed_twice(
    mounts: list[list[int]], loose: int, bound: set[int]
) -> None:
    items = [_pod(f"p{i}", [f"c{c}" for c in sorted(set(claims))]) for i, claims in enumerate(mounts)]
    for c in range(8):
        spec = {"volumeName": f"v{c}"} if c in bound else {}
        items.append(Item(CLAIMS, {"metadata": {"name": f"c{c}", "namespace": "ns"}, "spec": spec}))
        if c in bound:
            items.append(Item(VOLUMES, {"metadata": {"name": f"v{c}"}}))
    items += [Item(CONFIGMAPS, {"metadata": {"name": f"cm{i}", "namespace": "ns"}}) for i in range(loose)]
    # Shuffle the kinds: formation must not depend on the order items were collected in.
    blocks = form_blocks(reversed(items))
    placed = [key for block in blocks for key in block.keys]
    assert len(placed) == len(set(placed)) == len(items)
    where = _block_of(blocks)
    for i, claims in enumerate(mounts):
        for c in claims:
            assert (
                where[ItemKey("pods", "ns", f"p{i}")]
                == where[ItemKey("persistentvolumeclaims", "ns", f"c{c}")]
            )
    for c in bound:
        assert (
            where[ItemKey("persistentvolumeclaims", "ns", f"c{c}")]
            == where[ItemKey("persistentvolumes", "", f"v{c}")]
        )
    assert all(len(b) == 1 for b in blocks if b.items[0].resource == CONFIGMAPS)
