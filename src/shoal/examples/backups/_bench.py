"""``shoal bench backups``: Velero's item-block backup, one worker against a bounded pool, next to the ideal.

The seed (Velero PR 8659) backed up a two-namespace application at 5 s per item: 77 items took 421 s
with one worker, 102 items took 97 s with sixteen, three times its critical path. This scenario runs
the real backup controller under a Manager on the simulator, time-scaled x0.01 (d = 50 ms per item;
``--quick``: 1 ms and small sizes), and measures from creating the Backup to seeing it finished by
watch. Every List costs 5 ms (the seed's item collector).

Variants: ``before`` is the seed's default (one worker, one List after another, blocks in formation
order, CustomResourceDefinitions one by one after the pool); ``velero`` is Velero after the PR (the
same order with W workers); ``shoal`` is this controller with W workers (Lists at once, largest blocks
first, definitions in the pool). The ideal is the critical path of the latency model: one List round,
then the most items any worker must take, ``max(ceil(N / W), largest block) * d``, as items cannot be
split.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from shoal.api import CRDS
from shoal.bench import BenchOptions, Row, Variant, VariantContext, VariantRun, run_bench
from shoal.controller import Manager, ManagerOptions
from shoal.sim import LatencyProfile, LatencyRule

from ._blocks import Item, form_blocks
from ._inventory import Inventory, install, many_small_volumes, seed_inventory
from ._reconciler import add_backup_controller
from ._resources import BACKUPS, PHASE_COMPLETED, TERMINAL_PHASES, backup, backup_crd
from ._run import BackupOptions

LIST_SECONDS = 0.005
PROFILE = LatencyProfile("velero-seed", (LatencyRule("list", "*", LIST_SECONDS),))
SEED_ITEM_SECONDS = 5.0
WORKERS = (1, 2, 4, 8, 16, 32)


def _finished(name: str) -> Any:
    def condition(objects: dict[tuple[str, str], dict[str, Any]]) -> bool:
        status = (objects.get(("default", name)) or {}).get("status") or {}
        return status.get("phase") in TERMINAL_PHASES

    return condition


def _variant(inventory: Inventory, options: BackupOptions) -> VariantRun:
    """Install ``inventory``, start the controller, then measure one Backup from create to finished."""

    async def run(ctx: VariantContext) -> None:
        await install(ctx.client, inventory)
        await ctx.client.create(CRDS, backup_crd())
        with tempfile.TemporaryDirectory() as directory:
            run_options = replace(
                options, archive_dir=Path(directory), resource_types=inventory.resource_types
            )
            manager_options = ManagerOptions(http_port=0, registry=CollectorRegistry())
            async with asyncio.timeout(600), Manager(ctx.client, options=manager_options) as manager:
                add_backup_controller(manager, run_options)
                # A backup of an empty namespace proves the controller runs before the clock starts.
                await ctx.client.create(BACKUPS, backup("warm-up", ["kube-public"]))
                await ctx.wait_until(BACKUPS, _finished("warm-up"), namespace="default")
                async with ctx.measure():
                    await ctx.client.create(BACKUPS, backup("measured", list(inventory.namespaces)))
                    await ctx.wait_until(
                        BACKUPS, _finished("measured"), namespace="default", milestone="finished"
                    )
            finished = await ctx.client.get(BACKUPS, "measured", namespace="default")
        status = finished.get("status") or {}
        expected = len(inventory.expected_keys())
        if status.get("phase") != PHASE_COMPLETED or status.get("itemsBackedUp") != expected:
            raise RuntimeError(f"backup of {inventory.name} did not complete with {expected} items: {status}")

    return run


def _shape(inventory: Inventory) -> tuple[int, int, int]:
    """(items, blocks, largest block) of a backup of ``inventory``."""
    items = [Item(resource, obj) for resource, obj in inventory.objects]
    blocks = form_blocks(items)
    count = len(inventory.expected_keys())
    return count, len(blocks) + count - len(items), max(len(b) for b in blocks)


def _rows(
    inventory: Inventory, workers: Sequence[int], delay: float, *, before_at: Sequence[int]
) -> list[Row]:
    items, blocks, largest = _shape(inventory)
    seed = BackupOptions(workers=1, item_delay=delay, seed_faithful=True)
    rows = []
    for w in workers:
        ideal = LIST_SECONDS + max(math.ceil(items / w), largest) * delay
        variants = []
        if w in before_at:
            variants.append(Variant("before", _variant(inventory, seed)))
        if w > 1:
            variants.append(Variant("velero", _variant(inventory, replace(seed, workers=w))))
        variants.append(Variant("shoal", _variant(inventory, BackupOptions(workers=w, item_delay=delay))))
        goal = None
        if w == 1:
            goal = 1.02 * items * delay
        elif w == 16 and items == 102:
            goal = 1.15 * ideal
        rows.append(
            Row(
                key=f"{inventory.name} W={w}",
                title=f"{items} items, {blocks} blocks (largest {largest}), {w} worker{'s' if w > 1 else ''}",
                variants=tuple(variants),
                ideal_seconds=ideal,
                profile=PROFILE,
                goal_seconds=goal,
                seed=_seed_figure(items, w),
                time_scale=delay / SEED_ITEM_SECONDS,
                note=f"N*d/W = {items * delay / w * 1e3:.0f} ms (fractional; the ideal rounds up to whole items)",
            )
        )
    return rows


_SEED = {(77, 1): "421 s", (83, 2): "241 s", (89, 4): "155 s", (96, 8): "106 s", (102, 16): "97 s"}


def _seed_figure(items: int, workers: int) -> str:
    return _SEED.get((items, workers), "")


def rows(options: BenchOptions) -> list[Row]:
    """The scenario's rows: the seed inventories at every W, and the many-small-volumes case."""
    if options.quick:
        delay = 0.001
        return _rows(seed_inventory(), (1, 4), delay, before_at=(1,)) + _rows(
            many_small_volumes(8), (4,), delay, before_at=()
        )
    delay = 0.05
    pods = max(1, round(500 * options.scale))
    return (
        _rows(seed_inventory(), WORKERS, delay, before_at=(1,))
        + _rows(seed_inventory(extra_events=25), WORKERS, delay, before_at=(1, 16))
        + _rows(many_small_volumes(pods), (16, 32), delay, before_at=())
    )


def run(options: BenchOptions) -> int:
    report = run_bench(
        "backups",
        "Velero item blocks: one worker (seed) vs a bounded pool of W, d = 50 ms per item (x0.01)",
        rows(options),
        options,
    )
    return report.exit_status()
