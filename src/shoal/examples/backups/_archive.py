"""The backup archive: a gzipped tar of every item's JSON plus a manifest, written atomically.

A backup is only useful if it can be read back without the controller, so the archive is plain: one
JSON document per item at ``resources/<group-resource>/namespaces/<namespace>/<name>.json`` (cluster
objects under ``resources/<group-resource>/cluster/<name>.json``) and a ``manifest.json`` listing every
item with the block and worker that saved it. Items arrive from many workers; they are added from the
event loop's single thread, so appends never interleave. The archive is written under a temporary name
and renamed into place when complete, so a failed backup never leaves a file that looks finished.

Compressing an item costs a fraction of a millisecond of CPU, and with one worker that cost would sit
between one item action and the next, on the backup's critical path. Inside :meth:`BackupArchive.writing`
an added item is only recorded, and a writer task compresses it while the workers wait on their next
item actions; everything added is written by the time the block exits.
"""

from __future__ import annotations

import asyncio
import io
import os
import tarfile
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from ._blocks import Item, ItemKey

MANIFEST = "manifest.json"


def member_name(key: ItemKey) -> str:
    """Where an item's JSON lives inside the archive."""
    if key.namespace:
        return f"resources/{key.resource}/namespaces/{key.namespace}/{key.name}.json"
    return f"resources/{key.resource}/cluster/{key.name}.json"


class BackupArchive:
    """A tar.gz being written; use as a context manager, :meth:`add` items, then :meth:`commit`.

    Leaving the block without :meth:`commit` removes the partial file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._partial = path.with_name(f".{path.name}.partial")
        self._tar: tarfile.TarFile | None = None
        self._entries: list[dict[str, Any]] = []
        self._keys: set[ItemKey] = set()
        self._pending: deque[tuple[str, Any]] | None = None
        self._added = asyncio.Event()
        self._error: OSError | None = None

    def __enter__(self) -> BackupArchive:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tar = tarfile.open(self._partial, "w:gz", compresslevel=6, format=tarfile.GNU_FORMAT)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._tar is not None:
            self._tar.close()
            self._tar = None
            self._partial.unlink(missing_ok=True)

    def __contains__(self, key: ItemKey) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._entries)

    def _write(self, name: str, data: bytes) -> None:
        assert self._tar is not None, "the archive is not open"
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = int(time.time())
        info.mode = 0o644
        self._tar.addfile(info, io.BytesIO(data))

    def add(self, item: Item, *, block: int, worker: int) -> None:
        """Append one item (inside :meth:`writing`: record it and leave the writing to the writer).

        Raises:
            ValueError: the item is already in the archive.
            OSError: the writer failed on an earlier item.
        """
        key = item.key
        if key in self._keys:
            raise ValueError(f"{key} is already in the backup")
        if self._error is not None:
            raise self._error
        if self._pending is None:
            self._write(member_name(key), orjson.dumps(item.object))
        else:
            self._pending.append((member_name(key), item.object))
            self._added.set()
        self._keys.add(key)
        self._entries.append(
            {
                "resource": key.resource,
                "apiVersion": item.object.get("apiVersion", item.resource.api_version),
                "kind": item.object.get("kind", ""),
                "namespace": key.namespace,
                "name": key.name,
                "block": block,
                "worker": worker,
            }
        )

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Write added items from a writer task, one per event-loop turn, while the block runs.

        Raises:
            OSError: an item could not be written (raised on leaving the block, and by later adds).
        """
        pending: deque[tuple[str, Any]] = deque()
        self._pending = pending
        done = False

        async def writer() -> None:
            while pending or not done:
                if not pending:
                    self._added.clear()
                    await self._added.wait()
                    continue
                name, obj = pending.popleft()
                try:
                    self._write(name, orjson.dumps(obj))
                except OSError as error:
                    self._error = error
                    return
                await asyncio.sleep(0)

        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(writer())
                try:
                    yield
                finally:
                    done = True
                    self._added.set()
        finally:
            self._pending = None
        if self._error is not None:
            raise self._error

    def commit(self, summary: dict[str, Any]) -> None:
        """Write ``manifest.json`` (``summary`` plus the items) and move the archive into place."""
        manifest = {**summary, "items": self._entries}
        self._write(MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        assert self._tar is not None
        self._tar.close()
        self._tar = None
        os.replace(self._partial, self.path)


def read_archive(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(manifest, {member name: object})`` of a finished archive."""
    objects: dict[str, Any] = {}
    manifest: dict[str, Any] = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            if handle is None:
                continue
            data = orjson.loads(handle.read())
            if member.name == MANIFEST:
                manifest = data
            else:
                objects[member.name] = data
    return manifest, objects
