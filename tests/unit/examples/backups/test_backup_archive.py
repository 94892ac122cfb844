"""The backup archive: items added while a writer runs are all written, once, and read back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from shoal.api import GroupVersionResource
from shoal.examples.backups import BackupArchive, member_name, read_archive
from shoal.examples.backups._blocks import Item

CONFIG_MAPS = GroupVersionResource("", "v1", "configmaps")


def _item(i: int) -> Item:
    return Item(
        CONFIG_MAPS,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}", "namespace": "ns"}},
    )


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def test_items_added_from_many_workers_while_writing_are_all_in_the_archive(tmp_path: Path) -> None:
    path = tmp_path / "b.tar.gz"
    with BackupArchive(path) as archive:
        async with archive.writing():

            async def worker(w: int) -> None:
                for i in range(w, 40, 4):
                    archive.add(_item(i), block=i, worker=w)
                    await asyncio.sleep(0)

            async with asyncio.TaskGroup() as tg:
                for w in range(4):
                    tg.create_task(worker(w))
            with pytest.raises(ValueError, match="already in the backup"):
                archive.add(_item(7), block=7, worker=0)
        assert _files(tmp_path) == [".b.tar.gz.partial"], "only a committed archive is in place"
        archive.commit({"backup": "b"})
    manifest, objects = read_archive(path)
    keys = [_item(i).key for i in range(40)]
    assert sorted(objects) == sorted(member_name(k) for k in keys)
    assert len(manifest["items"]) == 40
    assert objects[member_name(keys[5])]["metadata"]["name"] == "cm-5"


async def test_leaving_without_commit_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "b.tar.gz"
    with BackupArchive(path) as archive:
        async with archive.writing():
            archive.add(_item(1), block=0, worker=0)
    assert _files(tmp_path) == []
