"""Latency rules and profiles, fault injection, request accounting."""

from __future__ import annotations

import pytest

from shoal.api import ConflictError, InternalError, ServiceUnavailableError, TooManyRequestsError
from shoal.sim import PROFILES, Fault, FaultSet, LatencyProfile, LatencyRule, Simulator

from ._helpers import CONFIGMAPS, PODS, configmap


@pytest.mark.parametrize(
    ("rule", "verb", "resource", "hit"),
    [
        (LatencyRule("create", "*", 1), "create", "pods", True),
        (LatencyRule("create", "*", 1), "update", "pods", False),
        (LatencyRule("*", "pods", 1), "get", "pods", True),
        (LatencyRule("*", "pods", 1), "get", "pods/status", False),
        (LatencyRule("update", "*/status", 1), "update", "pods/status", True),
        (LatencyRule("update", "*/status", 1), "update", "pods", False),
        (LatencyRule("patch", "pods/status", 1), "patch", "pods/status", True),
    ],
)
def test_rule_matching(rule: LatencyRule, verb: str, resource: str, hit: bool) -> None:
    assert rule.matches(verb, resource) is hit


def test_gitpod_seed_profile() -> None:
    profile = PROFILES["gitpod-seed"]
    assert profile.seconds("create", "pods") == 0.002
    assert profile.seconds("get", "configmaps") == 0.0005
    assert profile.seconds("list", "pods") == 0.0005
    assert profile.seconds("update", "pods/status") == 0.0005
    assert profile.seconds("patch", "workspaces/status") == 0.0005
    assert profile.seconds("update", "pods") == 0.0
    assert profile.seconds("delete", "pods") == 0.0
    assert PROFILES["none"].delay("create", "pods") == 0.0


def test_jitter_stays_within_bounds() -> None:
    profile = LatencyProfile("j", (LatencyRule("*", "*", 0.01, 0.005),))
    delays = [profile.delay("get", "pods") for _ in range(100)]
    assert all(0.01 <= d <= 0.015 for d in delays)
    assert len(set(delays)) > 1


def test_unknown_profile_is_named() -> None:
    with pytest.raises(ValueError, match="gitpod-seed"):
        Simulator(profile="nope")


async def test_faults_by_code_times_and_rate() -> None:
    sim = Simulator()
    client = sim.client()
    sim.faults.add(Fault(verb="create", resource="configmaps", code=503, times=2))
    for _ in range(2):
        with pytest.raises(ServiceUnavailableError):
            await client.create(CONFIGMAPS, configmap("a"))
    await client.create(CONFIGMAPS, configmap("a"))
    sim.faults.add(Fault(verb="get", code=429, retry_after=7))
    with pytest.raises(TooManyRequestsError) as caught:
        await client.get(CONFIGMAPS, "a", namespace="default")
    assert caught.value.retry_after == 7
    assert caught.value.status()["details"]["retryAfterSeconds"] == 7
    sim.faults.clear()
    sim.faults.add(Fault(verb="update", code=409))
    current = await client.get(CONFIGMAPS, "a", namespace="default")
    with pytest.raises(ConflictError, match='configmaps "a": the object has been modified'):
        await client.update(CONFIGMAPS, current)
    # A failed request changed nothing.
    assert (await client.get(CONFIGMAPS, "a", namespace="default")) == current


def test_fault_rate_is_seeded() -> None:
    def fired(seed: int) -> list[bool]:
        faults = FaultSet(seed)
        faults.add(Fault(code=500, rate=0.5))
        return [faults.check("get", "pods") is not None for _ in range(200)]

    assert fired(1) == fired(1)
    assert 40 < sum(fired(1)) < 160
    faults = FaultSet()
    faults.add(Fault(code=500))
    error = faults.check("get", "pods", "p")
    assert isinstance(error, InternalError)


async def test_accounting_counts_verbs_resources_and_agents() -> None:
    sim = Simulator()
    kopf, shoal = sim.client(user_agent="kopf"), sim.client()
    await kopf.create(CONFIGMAPS, configmap("a"))
    await shoal.patch(CONFIGMAPS, "a", {"data": {"x": "1"}}, namespace="default")
    await shoal.get(CONFIGMAPS, "a", namespace="default")
    pod = {
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "i"}]},
    }
    await shoal.create(PODS, pod)
    await shoal.patch_status(PODS, "p", {"status": {"phase": "Running"}}, namespace="default")
    with pytest.raises(Exception, match="not found"):
        await shoal.get(CONFIGMAPS, "missing", namespace="default")
    assert sim.accounting.count(verb="create") == 2
    assert sim.accounting.count(verb="create", user_agent="kopf") == 1
    assert sim.accounting.count(verb="get", resource="configmaps") == 2
    assert sim.accounting.count(verb="patch", resource="pods/status") == 1
    assert sim.accounting.writes() == 4
    assert sim.accounting.writes(user_agent="kopf") == 1
    stats = sim.accounting.snapshot()[("create", "configmaps")]
    assert stats.count == 1
    assert stats.total_seconds >= 0
    assert sim.accounting.user_agents() == {"kopf", "shoal"}
    sim.accounting.reset()
    assert sim.accounting.writes() == 0


async def test_latency_is_accounted() -> None:
    sim = Simulator(profile=LatencyProfile("slow", (LatencyRule("get", "*", 0.02),)))
    client = sim.client()
    await client.create(CONFIGMAPS, configmap("a"))
    await client.get(CONFIGMAPS, "a", namespace="default")
    stats = sim.accounting.snapshot()
    assert stats[("get", "configmaps")].total_seconds >= 0.02
    sim.set_profile("none")
    assert sim.profile.name == "none"
