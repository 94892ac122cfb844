"""Injected faults and latency reach the caller through the client as Kubernetes errors; requests are counted."""

from __future__ import annotations

import pytest

from shoal.api import ConflictError, InternalError, TooManyRequestsError
from shoal.client import Client
from shoal.sim import Fault, Simulator

from ._support import CONFIGMAPS, DEPLOYMENTS, SECRETS, configmap, deployment, is_gone, names, watching


async def test_injected_500_is_internal_error_and_writes_nothing(
    sim: Simulator, client: Client, ns: str
) -> None:
    sim.faults.add(Fault(verb="create", resource="configmaps", code=500, rate=1.0))
    with pytest.raises(InternalError) as caught:
        await client.create(CONFIGMAPS, configmap("a", ns))
    assert caught.value.code == 500
    assert await is_gone(client, CONFIGMAPS, "a", ns)
    # Other verbs and resources are untouched.
    await client.create(SECRETS, {"metadata": {"name": "s", "namespace": ns}})
    assert await names(client, CONFIGMAPS, ns) == set()
    sim.faults.clear()
    await client.create(CONFIGMAPS, configmap("a", ns))
    assert await names(client, CONFIGMAPS, ns) == {"a"}


async def test_injected_429_carries_retry_after(sim: Simulator, client: Client, ns: str) -> None:
    sim.faults.add(Fault(verb="get", resource="configmaps", code=429, rate=1.0))
    await client.create(CONFIGMAPS, configmap("a", ns))
    with pytest.raises(TooManyRequestsError) as caught:
        await client.get(CONFIGMAPS, "a", namespace=ns)
    err = caught.value
    assert (err.code, err.reason) == (429, "TooManyRequests")
    assert err.retry_after is not None
    assert err.retry_after >= 0


async def test_injected_conflict_is_conflict_error(sim: Simulator, client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    sim.faults.add(Fault(verb="update", resource="configmaps", code=409, rate=1.0))
    with pytest.raises(ConflictError) as caught:
        await client.update(CONFIGMAPS, {**made, "data": {"v": "2"}})
    assert caught.value.code == 409
    assert (await client.get(CONFIGMAPS, "a", namespace=ns))["data"] == {"v": "1"}


async def test_fault_times_limits_how_often_it_fires(sim: Simulator, client: Client, ns: str) -> None:
    sim.faults.add(Fault(verb="create", resource="configmaps", code=500, rate=1.0, times=2))
    failures = 0
    for attempt in range(3):
        try:
            await client.create(CONFIGMAPS, configmap(f"a{attempt}", ns))
        except InternalError:
            failures += 1
    assert failures == 2
    assert await names(client, CONFIGMAPS, ns) == {"a2"}


async def test_watch_drop_ends_the_stream_after_n_events(sim: Simulator, client: Client, ns: str) -> None:
    start = await client.list(CONFIGMAPS, namespace=ns)
    for i in range(4):
        await client.create(CONFIGMAPS, configmap(f"cm-{i}", ns))
    sim.faults.add(Fault(verb="watch", resource="configmaps", drop_after=2))
    async with watching(
        client, CONFIGMAPS, namespace=ns, resource_version=start["metadata"]["resourceVersion"]
    ) as w:
        events = await w.rest()
    assert [e.object["metadata"]["name"] for e in events if e.type != "BOOKMARK"] == ["cm-0", "cm-1"]


async def test_accounting_counts_each_verb_and_resource(sim: Simulator, client: Client, ns: str) -> None:
    sim.accounting.reset()
    for name in ("a", "b", "c"):
        await client.create(CONFIGMAPS, configmap(name, ns))
    await client.get(CONFIGMAPS, "a", namespace=ns)
    await client.get(CONFIGMAPS, "b", namespace=ns)
    await client.list(CONFIGMAPS, namespace=ns)
    made = await client.create(DEPLOYMENTS, deployment("web", ns))
    await client.update(DEPLOYMENTS, {**made, "spec": {**made["spec"], "replicas": 2}})
    await client.patch_status(DEPLOYMENTS, "web", {"status": {"replicas": 2}}, namespace=ns)
    await client.patch(CONFIGMAPS, "a", {"data": {"v": "1"}}, namespace=ns)
    await client.delete(CONFIGMAPS, "c", namespace=ns)
    expected = {
        ("create", "configmaps"): 3,
        ("get", "configmaps"): 2,
        ("list", "configmaps"): 1,
        ("create", "deployments"): 1,
        ("update", "deployments"): 1,
        ("patch", "deployments/status"): 1,
        ("patch", "configmaps"): 1,
        ("delete", "configmaps"): 1,
    }
    for (verb, resource), count in expected.items():
        assert sim.accounting.count(verb=verb, resource=resource) == count, (verb, resource)
    snapshot = sim.accounting.snapshot()
    assert {key: stats.count for key, stats in snapshot.items() if stats.count} == expected
    assert sim.accounting.writes() == 3 + 1 + 1 + 1 + 1 + 1
    sim.accounting.reset()
    assert sim.accounting.count(verb="create", resource="configmaps") == 0


async def test_gitpod_seed_profile_is_applied_and_the_api_still_behaves(
    sim: Simulator, client: Client, ns: str
) -> None:
    sim.set_profile("gitpod-seed")
    sim.accounting.reset()
    made = await client.create(CONFIGMAPS, configmap("a", ns))
    await client.get(CONFIGMAPS, "a", namespace=ns)
    await client.list(CONFIGMAPS, namespace=ns)
    await client.update_status(DEPLOYMENTS, await client.create(DEPLOYMENTS, deployment("web", ns)))
    with pytest.raises(ConflictError):
        await client.update(CONFIGMAPS, {**made, "metadata": {**made["metadata"], "resourceVersion": "1"}})
    assert sim.accounting.count(verb="create", resource="configmaps") == 1
    assert sim.accounting.count(verb="get", resource="configmaps") == 1
    assert sim.accounting.count(verb="list", resource="configmaps") == 1
    assert sim.accounting.count(verb="update", resource="deployments/status") == 1
    assert sim.accounting.count(verb="update", resource="configmaps") == 1


async def test_accounting_is_kept_per_user_agent(sim: Simulator, client: Client, ns: str) -> None:
    sim.accounting.reset()
    await client.create(CONFIGMAPS, configmap("a", ns))
    await client.get(CONFIGMAPS, "a", namespace=ns)
    (agent,) = sim.accounting.user_agents()
    assert sim.accounting.count(user_agent=agent) == 2
    assert sim.accounting.writes(user_agent=agent) == 1
    assert sim.accounting.count(user_agent=f"not-{agent}") == 0
    assert sim.accounting.snapshot(user_agent=agent) == sim.accounting.snapshot()
