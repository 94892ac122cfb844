"""One backup run: collect, form item blocks, back the blocks up on W workers, write the archive.

This is the whole of Velero's backup path after PR 8659, minus plugins and volume snapshots: the
collector lists, :func:`form_blocks` groups, and ``workers`` long-lived workers take the blocks from one
queue (Velero's W goroutines on a channel), so moving on to the next block starts no task. A block is
taken by one worker, so its items are backed up in order; each item pays the item action (the seed's
example plugin sleeps a fixed delay per item). The archive is compressed by its own writer while the
workers wait on their actions (:meth:`BackupArchive.writing`).

Two choices differ from the seed, each because the critical path says so: the lists are issued at once,
and blocks are started largest first (the longest block otherwise starts last and sets the end time);
the CustomResourceDefinitions go through the pool with the other items instead of one by one after it.
``seed_faithful=True`` restores Velero's order for comparison.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shoal.client import Client

from ._archive import BackupArchive
from ._blocks import Item, ItemBlock, form_blocks
from ._collector import collect
from ._resources import DEFAULT_RESOURCE_TYPES, ResourceType

ItemAction = Callable[[Item], Awaitable[None]]
"""Runs for each item before it is saved (Velero's BackupItemAction); raising records an item error."""

MAX_FAILURES_REPORTED = 10


def delay_action(seconds: float) -> ItemAction:
    """An item action that takes ``seconds`` per item, like velero-plugin-example's wait plugin."""

    async def wait(item: Item) -> None:
        await asyncio.sleep(seconds)

    return wait


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupOptions:
    """How the backup controller runs.

    Attributes:
        workers: blocks backed up at once (Velero's ``--item-block-worker-count``, default 1 there).
        item_delay: seconds the default item action takes per item.
        action: the item action; ``None`` uses ``delay_action(item_delay)``.
        archive_dir: where archives go when the Backup names no ``spec.storageLocation``.
        resource_types: what to list.
        seed_faithful: list one type after another, start blocks in formation order and back up the
            CustomResourceDefinitions one by one after the pool, as Velero does.
    """

    workers: int = 16
    item_delay: float = 0.0
    action: ItemAction | None = None
    archive_dir: Path = Path("backups")
    resource_types: tuple[ResourceType, ...] = DEFAULT_RESOURCE_TYPES
    seed_faithful: bool = False

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if self.item_delay < 0:
            raise ValueError(f"item_delay must be >= 0 seconds, got {self.item_delay}")


@dataclass(slots=True)
class BackupReport:
    """What one run did."""

    archive: Path
    total_items: int = 0
    backed_up: int = 0
    blocks: list[ItemBlock] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skipped_types: list[str] = field(default_factory=list)
    requests: int = 0
    busy_seconds: float = 0.0
    """Summed over workers: time spent inside blocks (for utilisation = busy / (workers * duration))."""
    duration: float = 0.0

    @property
    def largest_block(self) -> int:
        return max((len(b) for b in self.blocks), default=0)


async def run_backup(
    client: Client, name: str, namespaces: Sequence[str], archive_path: Path, options: BackupOptions
) -> BackupReport:
    """Back up ``namespaces`` into ``archive_path``; per-item failures are reported, not raised.

    Raises:
        ApiError: listing failed (nothing is written then).
        OSError: the archive could not be written.
    """
    started = time.perf_counter()
    report = BackupReport(archive_path)
    action = options.action or delay_action(options.item_delay)
    collection = await collect(client, namespaces, options.resource_types, sequential=options.seed_faithful)
    report.requests, report.skipped_types = collection.requests, collection.skipped
    report.total_items = len(collection.items)
    blocks = form_blocks(collection.items)
    report.blocks = blocks
    tail: list[ItemBlock] = []
    if options.seed_faithful:
        tail = [b for b in blocks if b.items[0].resource.resource == "customresourcedefinitions"]
        queue = [b for b in blocks if b not in tail]
    else:
        queue = sorted(blocks, key=len, reverse=True)
    pending = deque(queue)

    with BackupArchive(archive_path) as archive:

        async def back_up(block: ItemBlock, worker: int) -> None:
            begun = time.perf_counter()
            try:
                for item in block.items:
                    try:
                        await action(item)
                    except Exception as error:  # noqa: BLE001 - an item error is reported, not fatal
                        report.failures.append(f"{item.key}: {error}")
                        continue
                    archive.add(item, block=block.index, worker=worker)
            finally:
                report.busy_seconds += time.perf_counter() - begun

        async def work(worker: int) -> None:
            while pending:
                await back_up(pending.popleft(), worker)

        async with archive.writing():
            async with asyncio.TaskGroup() as workers:
                for worker in range(min(options.workers, len(pending))):
                    workers.create_task(work(worker))
            for block in tail:
                await back_up(block, 0)
        report.backed_up = len(archive)
        report.duration = time.perf_counter() - started
        archive.commit(
            {
                "backup": name,
                "includedNamespaces": list(namespaces),
                "workers": options.workers,
                "totalItems": report.total_items,
                "blocks": [[str(key) for key in block.keys] for block in blocks],
                "failures": report.failures,
                "skippedResources": report.skipped_types,
            }
        )
    return report
