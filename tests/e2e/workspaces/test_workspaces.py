"""The workspaces example end to end on the simulator: starts, cleanup, signed URLs, and the quick bench."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from shoal.api import AlreadyExistsError, NotFoundError
from shoal.bench import BenchOptions, run_scenario
from shoal.bench._harness import run_rows
from shoal.examples.workspaces import (
    NAMESPACE,
    OWNER_TOKEN_ANNOTATION,
    PODS,
    SECRETS,
    SECRETS_NAMESPACE,
    WORKSPACES,
    SimulatedStorage,
    StartOptions,
    collect_remote_content,
    delete_workspace_secrets,
    env_secret_name,
    install,
    pod_name,
    start_workspace,
    token_secret_name,
    workspace_manager,
    workspace_url,
)
from shoal.examples.workspaces._bench import rows
from shoal.sim import Simulator


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(profile="gitpod-seed") as simulator:
        await install(simulator.client())
        yield simulator


async def deleted(sim: Simulator, name: str) -> None:
    client = sim.client()
    async with asyncio.timeout(10):
        while True:
            try:
                await client.get(WORKSPACES, name, namespace=NAMESPACE)
            except NotFoundError:
                return
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("seed_faithful", [False, True], ids=["shoal", "seed"])
async def test_start_sets_url_and_token_from_the_pod_then_cleanup_removes_everything(
    sim: Simulator, seed_faithful: bool
) -> None:
    client = sim.client()
    options = StartOptions.seed() if seed_faithful else StartOptions()
    async with workspace_manager(client, seed_faithful=seed_faithful):
        workspace = await start_workspace(client, "ws-a", options=options)
        pod = await client.get(PODS, pod_name("ws-a"), namespace=NAMESPACE)
        assert workspace["status"]["url"] == workspace_url("ws-a")
        assert workspace["status"]["ownerToken"] == pod["metadata"]["annotations"][OWNER_TOKEN_ANNOTATION]
        assert pod["metadata"]["ownerReferences"][0]["uid"] == workspace["metadata"]["uid"]
        await client.get(SECRETS, env_secret_name("ws-a"), namespace=NAMESPACE)
        await client.get(SECRETS, token_secret_name("ws-a"), namespace=SECRETS_NAMESPACE)
        assert sim.accounting.count(verb="create", resource="secrets") == 2
        with pytest.raises(AlreadyExistsError):
            await start_workspace(client, "ws-a", options=options)

        await client.delete(WORKSPACES, "ws-a", namespace=NAMESPACE)
        await deleted(sim, "ws-a")
    for resource, namespace in ((SECRETS, NAMESPACE), (SECRETS, SECRETS_NAMESPACE), (PODS, NAMESPACE)):
        assert (await client.list(resource, namespace=namespace))["items"] == []


async def test_a_shoal_start_writes_the_status_once(sim: Simulator) -> None:
    client = sim.client()
    async with workspace_manager(client):
        await start_workspace(client, "warm-up")
        sim.accounting.reset()
        for i in range(5):
            await start_workspace(client, f"ws-{i}")
        await asyncio.sleep(0.05)  # let the reconciles the Pods' events cause finish; they must not write
    assert sim.accounting.count(verb="create", resource="secrets") == 10
    assert sim.accounting.count(verb="create", resource="pods") == 5
    assert sim.accounting.count(verb="patch", resource="workspaces/status") == 5
    assert sim.accounting.count(verb="update", resource="workspaces/status") == 0


async def test_cleanup_tolerates_secrets_already_gone(sim: Simulator) -> None:
    client = sim.client()
    await client.create(
        SECRETS,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": env_secret_name("ws-b"), "namespace": NAMESPACE},
        },
        namespace=NAMESPACE,
    )
    assert await delete_workspace_secrets(client, "ws-b") == 1
    assert await delete_workspace_secrets(client, "ws-b", concurrent=False) == 0


@pytest.mark.parametrize("concurrent", [True, False])
async def test_signed_urls_for_the_sources_that_exist(concurrent: bool) -> None:
    storage = SimulatedStorage(0.001, round_trips=2, objects={"ws-c/backup", "ws-c/prebuild"})
    urls = await collect_remote_content(storage, "ws-c", concurrent=concurrent)
    assert sorted(urls) == ["backup", "prebuild"]
    assert all("signature=" in url and "ws-c/" in url for url in urls.values())
    assert storage.requests == 6


async def test_quick_scenario_converges_with_the_expected_calls() -> None:
    results = {row.key: m for row, m in await run_rows(rows(quick=True), quick=True, progress=False)}
    calls = {key: {m.variant: m for m in measured} for key, measured in results.items()}
    for key in ("S-A1", "S-A2", "S-A3", "S-A5"):
        assert set(calls[key]) == {"before", "shoal"}
    for variant in ("before", "shoal"):
        assert calls["S-A1"][variant].calls_by_verb() == {"create": 2.0}
        assert calls["S-A2"][variant].calls_by_verb() == {"delete": 2.0, "get": 2.0}
        a3 = calls["S-A3"][variant]
        assert a3.calls["create secrets"] == 2 * a3.windows
        assert a3.calls["create pods"] == a3.windows
        assert a3.calls["create workspaces"] == a3.windows
        assert set(calls["S-A4"][variant].milestones) == {"all started", "all deleted"}
        assert len(calls["S-A4"][variant].samples) == 10
    shoal_a3 = calls["S-A3"]["shoal"]
    assert shoal_a3.calls["patch workspaces/status"] == shoal_a3.windows
    assert "get workspaces" not in shoal_a3.calls  # the shoal start waits by watch, not by polling
    assert calls["S-A3"]["before"].calls["get workspaces"] >= calls["S-A3"]["before"].windows
    # a Shoal workspace's life: 2 Secrets, Workspace, Pod, status; Workspace, Pod, 2 Secrets deleted; finalizer
    assert calls["S-A4"]["shoal"].writes == 10 * 10


def test_shoal_bench_workspaces_quick_writes_its_reports(tmp_path: Path) -> None:
    assert run_scenario("workspaces", BenchOptions(out_dir=tmp_path, quick=True)) == 0
    data = orjson.loads((tmp_path / "workspaces.json").read_bytes())
    assert [r["key"] for r in data["rows"]] == ["S-A1", "S-A2", "S-A3", "S-A4", "S-A5"]
    assert (tmp_path / "workspaces.png").stat().st_size > 0
    assert "S-A4 runs time-scaled x0.01" in (tmp_path / "workspaces.md").read_text()
