"""Small helpers on stored objects: copies, timestamps, uids, generated names.

The store keeps every object as an immutable snapshot that watchers share; anything handed to a caller
must be the caller's own. These helpers make the two kinds of copy (a private deep copy, a shallow
"replace one field" copy) explicit and cheap.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import orjson

from shoal.api import Object

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_GENERATED_SUFFIX = 5
_MAX_NAME_BASE = 63 - _GENERATED_SUFFIX


def deep_copy(obj: Any) -> Any:
    """A private copy of JSON data (an orjson round trip: faster than ``copy.deepcopy``)."""
    return orjson.loads(orjson.dumps(obj))


class SnapshotEncoder:
    """JSON bytes of stored snapshots, encoded once and shared by every watch stream that sends them.

    Stored objects are immutable, so their encoding never goes stale; entries hold the object itself,
    so an ``id`` is never reused while cached. The cache is simply emptied when it grows past
    ``capacity`` (recent changes are what streams ask for).
    """

    __slots__ = ("_cache", "capacity")

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._cache: dict[int, tuple[Object, bytes]] = {}

    def encode(self, obj: Object) -> bytes:
        hit = self._cache.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        if len(self._cache) >= self.capacity:
            self._cache.clear()
        data = orjson.dumps(obj)
        self._cache[id(obj)] = (obj, data)
        return data

    def copy(self, obj: Object) -> Object:
        """A private copy of the stored ``obj``, decoded from the shared bytes."""
        copied: Object = orjson.loads(self.encode(obj))
        return copied

    def copy_all(self, objs: list[Object], api_version: str) -> list[Object]:
        """Private copies of the stored ``objs`` as served at ``api_version``, in order, decoded from
        their shared bytes in one pass (one decode per batch of a watch stream, not one per object)."""
        cache, encode = self._cache, self.encode
        parts = []
        for obj in objs:
            if obj.get("apiVersion") != api_version:
                obj = {**obj, "apiVersion": api_version}
            hit = cache.get(id(obj))
            parts.append(hit[1] if hit is not None and hit[0] is obj else encode(obj))
        copies: list[Object] = orjson.loads(b"[%b]" % b",".join(parts))
        return copies


def now_rfc3339() -> str:
    """Seconds precision UTC, the apiserver's ``metav1.Time`` form: ``2026-11-24T06:00:00Z``."""
    global _last_stamp
    second = int(time.time())
    if second != _last_stamp[0]:
        _last_stamp = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return _last_stamp[1]


_last_stamp: tuple[int, str] = (-1, "")
"""The last second formatted by :func:`now_rfc3339` and its text (writes come many to a second)."""


def rfc3339_after(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))


def new_uid() -> str:
    """A random (version 4) UUID, as ``str(uuid.uuid4())`` gives, formatted without building a UUID."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_UUID_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


_UUID_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
"""The RFC 4122 variant bits (``10xx``) set on a random hex digit."""


def generated_name(base: str) -> str:
    """``base`` (cut to 58 characters) plus five random characters, as ``generateName`` does."""
    suffix = "".join(random.choices(_NAME_ALPHABET, k=_GENERATED_SUFFIX))
    return base[:_MAX_NAME_BASE] + suffix


def meta(obj: Object) -> dict[str, Any]:
    """``obj["metadata"]`` or an empty dict (never inserted)."""
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def with_meta(obj: Object, **changes: Any) -> Object:
    """A shallow copy of ``obj`` whose metadata (also copied) has ``changes``; ``None`` removes a key."""
    new = dict(obj)
    m = dict(meta(obj))
    for key, value in changes.items():
        if value is None:
            m.pop(key, None)
        else:
            m[key] = value
    new["metadata"] = m
    return new


def owner_uids(obj: Object | None) -> frozenset[str]:
    """The uids named by ``metadata.ownerReferences``."""
    if obj is None:
        return frozenset()
    refs = meta(obj).get("ownerReferences")
    if not refs:
        return frozenset()
    return frozenset(str(r.get("uid")) for r in refs if isinstance(r, dict) and r.get("uid"))
