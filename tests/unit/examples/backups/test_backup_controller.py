"""The backups controller under a real Manager on the simulator: archive, status, workers, failures."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from shoal.api import GroupVersionResource
from shoal.client import Client
from shoal.controller import Manager, ManagerOptions
from shoal.examples.backups import (
    BACKUPS,
    PHASE_COMPLETED,
    PHASE_FAILED,
    PHASE_PARTIALLY_FAILED,
    TERMINAL_PHASES,
    BackupOptions,
    Item,
    ItemKey,
    add_backup_controller,
    backup,
    backup_crd,
    install,
    member_name,
    read_archive,
    seed_inventory,
)
from shoal.sim import Simulator

CRDS = GroupVersionResource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
INVENTORY = seed_inventory(extra_events=25)


@dataclass
class Journal:
    """Records which task ran each item action and when, to check blocks and the worker bound."""

    delay: float = 0.002
    fail: set[str] = field(default_factory=set)
    runs: list[tuple[int, ItemKey, int, int]] = field(default_factory=list)
    running: int = 0
    most_running: int = 0
    step: int = 0

    async def __call__(self, item: Item) -> None:
        task = id(asyncio.current_task())
        self.step += 1
        started = self.step
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(self.delay)
            if item.key.name in self.fail:
                raise RuntimeError("the item action failed")
        finally:
            self.running -= 1
            self.step += 1
            self.runs.append((task, item.key, started, self.step))


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    async with Simulator() as sim:
        c = sim.client()
        await install(c, INVENTORY)
        await c.create(CRDS, backup_crd())
        yield c


async def _run(
    client: Client, options: BackupOptions, obj: dict[str, Any], *, create: bool = True
) -> dict[str, Any]:
    manager = Manager(client, options=ManagerOptions(http_port=0, registry=CollectorRegistry()))
    add_backup_controller(manager, options)
    async with asyncio.timeout(30), manager:
        if create:
            await client.create(BACKUPS, obj)
        while True:  # the test polls the API; the controller itself is event-driven
            current = await client.get(BACKUPS, obj["metadata"]["name"], namespace="default")
            if (current.get("status") or {}).get("phase") in TERMINAL_PHASES:
                return current
            await asyncio.sleep(0.01)


def _files(directory: Path) -> list[str]:
    """Names of everything under ``directory``, sorted."""
    return sorted(p.name for p in directory.rglob("*"))


def _options(tmp_path: Path, journal: Journal, workers: int) -> BackupOptions:
    return BackupOptions(
        workers=workers, action=journal, archive_dir=tmp_path, resource_types=INVENTORY.resource_types
    )


async def test_backup_archives_exactly_the_listed_items(client: Client, tmp_path: Path) -> None:
    journal = Journal()
    done = await _run(client, _options(tmp_path, journal, 4), backup("nightly", ["mysql-a", "mysql-b"]))

    status = done["status"]
    expected = INVENTORY.expected_keys()
    assert status["phase"] == PHASE_COMPLETED
    assert status["totalItems"] == status["itemsBackedUp"] == len(expected) == 102
    assert status["errors"] == 0
    assert status["workers"] == 4
    assert status["durationSeconds"] > 0
    assert status["archive"] == str(tmp_path / "default" / "nightly.tar.gz")

    manifest, objects = read_archive(Path(status["archive"]))
    assert set(objects) == {member_name(key) for key in expected}
    # Each archived object is the server's object as listed.
    pod = await client.get(GroupVersionResource("", "v1", "pods"), "mysql-0", namespace="mysql-a")
    assert objects[member_name(ItemKey("pods", "mysql-a", "mysql-0"))] == pod
    assert manifest["skippedResources"] == ["endpoints"]
    assert [k for k in objects if "customresourcedefinitions" in k] == [
        "resources/customresourcedefinitions.apiextensions.k8s.io/cluster/widgets.example.shoal.dev.json"
    ]

    # No item twice; every block saved by one worker.
    entries = manifest["items"]
    assert len(entries) == len({(e["resource"], e["namespace"], e["name"]) for e in entries}) == 102
    workers_of_block: dict[int, set[int]] = {}
    for entry in entries:
        workers_of_block.setdefault(entry["block"], set()).add(entry["worker"])
    assert all(len(w) == 1 for w in workers_of_block.values())
    assert {w for ws in workers_of_block.values() for w in ws} <= set(range(4))
    assert len(workers_of_block) == len(manifest["blocks"]) == status["itemBlocks"]

    # The journal agrees: a block's items ran in one task, one after another; never more than W at once.
    task_of: dict[ItemKey, int] = {key: task for task, key, _, _ in journal.runs}
    span = {key: (start, end) for _, key, start, end in journal.runs}
    for block in manifest["blocks"]:
        keys = [next(k for k in span if str(k) == text) for text in block]
        assert len({task_of[k] for k in keys}) == 1
        assert all(span[a][1] < span[b][0] for a, b in itertools.pairwise(keys))
    assert journal.most_running == 4
    assert len(journal.runs) == 102


async def test_item_failures_make_a_partial_backup(client: Client, tmp_path: Path) -> None:
    journal = Journal(fail={"mysql-secret-0"})
    done = await _run(client, _options(tmp_path, journal, 8), backup("partial", ["mysql-a"]))
    status = done["status"]
    assert status["phase"] == PHASE_PARTIALLY_FAILED
    assert status["errors"] == 1
    assert status["itemsBackedUp"] == status["totalItems"] - 1
    assert status["failures"] == ["secrets/mysql-a/mysql-secret-0: the item action failed"]
    _, objects = read_archive(Path(status["archive"]))
    assert member_name(ItemKey("secrets", "mysql-a", "mysql-secret-0")) not in objects
    assert member_name(ItemKey("secrets", "mysql-a", "mysql-secret-1")) in objects
    assert not any("mysql-b" in name for name in objects)


@pytest.mark.parametrize(
    ("spec", "field_named"),
    [
        ({}, "spec.includedNamespaces"),
        ({"includedNamespaces": ["mysql-a"], "storageLocation": "relative/dir"}, "spec.storageLocation"),
    ],
)
async def test_bad_spec_fails_the_backup_naming_the_field(
    client: Client, tmp_path: Path, spec: dict[str, Any], field_named: str
) -> None:
    obj = backup("bad", ["mysql-a"])
    obj["spec"] = spec
    done = await _run(client, _options(tmp_path, Journal(), 2), obj)
    assert done["status"]["phase"] == PHASE_FAILED
    assert done["status"]["message"].startswith(field_named)
    assert not _files(tmp_path)


async def test_storage_location_from_the_spec(client: Client, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    obj = backup("located", ["mysql-b"], storage=str(target))
    done = await _run(client, _options(tmp_path / "default-dir", Journal(delay=0), 2), obj)
    assert done["status"]["archive"] == str(target / "default" / "located.tar.gz")
    assert _files(target) == ["default", "located.tar.gz"]


async def test_a_backup_found_in_progress_was_interrupted(client: Client, tmp_path: Path) -> None:
    await client.create(BACKUPS, backup("stale", ["mysql-a"]))
    await client.patch_status(BACKUPS, "stale", {"status": {"phase": "InProgress"}}, namespace="default")
    done = await _run(client, _options(tmp_path, Journal(), 2), backup("stale", ["mysql-a"]), create=False)
    assert done["status"]["phase"] == PHASE_FAILED
    assert done["status"]["message"] == "the backup was interrupted"
    assert not _files(tmp_path)
