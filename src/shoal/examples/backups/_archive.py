"""The backup archive: a gzipped tar of every item's JSON plus a manifest, written atomically.

A backup is only useful if it can be read back without the controller, so the archive is plain: one
JSON document per item at ``resources/<group-resource>/namespaces/<namespace>/<name>.json`` (cluster
objects under ``resources/<group-resource>/cluster/<name>.json``) and a ``manifest.json`` listing every
item with the block and worker that saved it. Items arrive from many workers; they are added from the
event loop's single thread, so appends never interleave. The archive is written under a temporary name
and renamed into place when complete, so a failed backup never leaves a file that looks finished.
"""

from __future__ import annotations

import io
import os
import tarfile
import time
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
        """Append one item. Raises ValueError if the item is already in the archive."""
        key = item.key
        if key in self._keys:
            raise ValueError(f"{key} is already in the backup")
        self._write(member_name(key), orjson.dumps(item.object))
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
