"""Invariant 6 as a property: deleting any object of any ownership forest, with any propagation policy,
leaves exactly the objects Kubernetes' garbage collector would leave.

Background and Foreground remove the object and every descendant; Orphan removes only the object and
strips the reference from its direct dependents, which (with their own dependents) live on.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from shoal.api import PropagationPolicy
from shoal.client import Client
from shoal.testing import eventually

from ._support import CONFIGMAPS, configmap, names, owner_reference
from .conftest import SimulatedClient


@st.composite
def forests(draw: st.DrawFn) -> list[int | None]:
    """``owners[i]`` is the index of object i's owner (always an earlier object), or None."""
    size = draw(st.integers(1, 8))
    return [None] + [draw(st.none() | st.integers(0, i - 1)) for i in range(1, size)]


def _descendants(owners: list[int | None], root: int) -> set[int]:
    out = {root}
    for i, owner in enumerate(owners):
        if owner is not None and owner in out:
            out.add(i)
    return out


async def _build(client: Client, owners: list[int | None], *, block: bool) -> dict[int, str]:
    uids: dict[int, str] = {}
    for i, owner in enumerate(owners):
        extra = {}
        if owner is not None:
            parent = await client.get(CONFIGMAPS, f"cm-{owner}", namespace="default")
            extra["ownerReferences"] = [owner_reference(parent, block=block)]
        made = await client.create(CONFIGMAPS, configmap(f"cm-{i}", "default", **extra))
        uids[i] = made["metadata"]["uid"]
    return uids


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    owners=forests(),
    data=st.data(),
    policy=st.sampled_from(["Background", "Foreground", "Orphan"]),
    block=st.booleans(),
)
async def test_cascading_deletion_leaves_what_the_policy_says(
    fresh: SimulatedClient,
    owners: list[int | None],
    data: st.DataObject,
    policy: PropagationPolicy,
    block: bool,
) -> None:
    root = data.draw(st.integers(0, len(owners) - 1), label="deleted object")
    gone = {root} if policy == "Orphan" else _descendants(owners, root)
    expected = {f"cm-{i}" for i in range(len(owners)) if i not in gone}
    async with fresh() as (_sim, client):
        uids = await _build(client, owners, block=block)
        await client.delete(CONFIGMAPS, f"cm-{root}", namespace="default", propagation_policy=policy)

        async def settled() -> bool:
            return await names(client, CONFIGMAPS, "default") == expected

        assert await eventually(settled)
        for i, owner in enumerate(owners):
            if f"cm-{i}" not in expected:
                continue
            current = await client.get(CONFIGMAPS, f"cm-{i}", namespace="default")
            refs = [r["uid"] for r in current["metadata"].get("ownerReferences") or []]
            assert refs == ([] if owner is None or owner == root else [uids[owner]])
