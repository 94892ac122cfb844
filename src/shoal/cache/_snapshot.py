"""Cached objects as immutable snapshots, so a reader can never corrupt the cache it reads from.

Every object the cache receives is kept as the dict the client returned (shared with event handlers,
predicates and index functions, which must treat it as read-only) and, from the first time a reader
asks for a private copy, as its orjson bytes. Bytes are immutable, so every copy after that is one
``orjson.loads`` call: about three times cheaper than a recursive dict copy and five times cheaper than
``copy.deepcopy``. The bytes are taken on first use because most cached objects are never read as a
copy (a start-up backlog whose reconciles find nothing to do): serialising each on arrival cost a third
of the time it takes to store a list.

The bytes double as a checksum: in debug mode (``SHOAL_CACHE_DEBUG=1`` or ``debug=True`` on the cache
options) they are taken when the object is stored, and every read, replacement and deletion
re-serialises the shared dict and raises :class:`CacheMutationError` when it no longer matches, naming
the object that some code changed in place.
"""

from __future__ import annotations

import os
from typing import Any

import orjson

from shoal.api import GroupVersionResource, Object, ObjectKey, ShoalError

DEBUG_ENV = "SHOAL_CACHE_DEBUG"
"""Environment variable that turns on mutation detection for every cache whose options leave it unset."""


def debug_from_env() -> bool:
    """Whether ``SHOAL_CACHE_DEBUG`` asks for mutation detection (``1``, ``true``, ``yes``)."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


class CacheMutationError(ShoalError):
    """A cached object was changed in place: some handler, predicate, index function or reader of shared
    dicts (``copy=False``) mutated it."""

    def __init__(self, resource: GroupVersionResource, key: ObjectKey) -> None:
        super().__init__(
            f"cached {resource.group_resource} {key} was mutated in place; "
            "event handlers, predicates, index functions and copy=False reads must not change the objects "
            "they receive (shoal.api.deep_copy gives a private copy)"
        )
        self.resource = resource
        self.key = key


class Snapshot:
    """One cached object: the shared dict, its serialised form, and the fields the cache looks at often.

    ``raw`` (the serialised form) is taken on first use, or at once with ``checked=True`` so that
    :meth:`verify` detects any later change to the shared dict.
    """

    __slots__ = ("_raw", "key", "obj", "resource_version")

    def __init__(self, obj: Object, *, checked: bool = False) -> None:
        meta: dict[str, Any] = obj.get("metadata") or {}
        self.obj = obj
        self._raw = orjson.dumps(obj) if checked else None
        self.key = ObjectKey(str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        self.resource_version = str(meta.get("resourceVersion") or "")

    @property
    def raw(self) -> bytes:
        """The object's orjson bytes, as they were when first taken."""
        raw = self._raw
        if raw is None:
            raw = self._raw = orjson.dumps(self.obj)
        return raw

    def copy(self) -> Object:
        """A private deep copy the caller may change freely."""
        result: Object = orjson.loads(self.raw)
        return result

    def intact(self) -> bool:
        """Whether the shared dict still equals what was stored (always, when ``raw`` was never taken)."""
        return self._raw is None or orjson.dumps(self.obj) == self._raw

    def verify(self, resource: GroupVersionResource) -> None:
        """Raise :class:`CacheMutationError` when the shared dict was changed since ``raw`` was taken."""
        if not self.intact():
            raise CacheMutationError(resource, self.key)
