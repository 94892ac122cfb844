"""The store: every object of every resource, one global revision, a bounded history per resource.

This is the simulator's etcd and watch cache in one. Writes are synchronous and never await: a write
stamps the next revision into the object, replaces the stored snapshot (stored dicts are never
mutated, so watchers and history share them), appends a :class:`Change` to the resource's history and
offers it to that resource's watchers. The history lets a watch resume from any retained revision and
lets a paged or exact list read the resource as it was at an earlier revision.

Indexes kept on every write: objects by uid, dependents by owner uid (for garbage collection) and the
number of objects per namespace (for namespace termination).

A request with injected latency commits early and has its changes *held* until its deadline
(:attr:`Store.holding`): reads see them at once, as reads of a committed etcd write do, but watchers
get them when the reply leaves, as they would from the apiserver's watch cache. Held changes reach
watchers in revision order per resource (each resource has its own watch cache): a change committed
behind a held one of the same resource waits for it. A watch opened meanwhile starts from the committed
state, as a read does, and is not offered those changes again.
"""

from __future__ import annotations

from collections import deque

from shoal.api import GoneError, Object

from ._objects import meta, owner_uids, with_meta
from ._wakeups import WakeSchedule
from ._watch import Change, Watcher, offer_all

Key = tuple[str, str]
"""``(namespace, name)``; namespace is ``""`` for cluster-scoped objects."""
Ref = tuple[str, str, str]
"""``(storage, namespace, name)``: an object anywhere in the store."""


def too_old(requested: int, oldest: int) -> GoneError:
    return GoneError(f"too old resource version: {requested} ({oldest + 1})")


class Store:
    """Objects keyed by storage (``deployments.apps``) and :data:`Key`, with history and watchers."""

    def __init__(self, *, history: int = 5000) -> None:
        self.revision = 0
        """The current global resourceVersion."""
        self.history_size = history
        self.closed = False
        self._objects: dict[str, dict[Key, Object]] = {}
        self._history: dict[str, deque[Change]] = {}
        self._valid_from: dict[str, int] = {}
        self._watchers: dict[str, set[Watcher]] = {}
        self._by_uid: dict[str, Ref] = {}
        self._dependents: dict[str, set[Ref]] = {}
        self._population: dict[str, int] = {}
        self.holding: float | None = None
        """While set, changes are held for watchers until this time (the event loop's clock)."""
        self._held: dict[str, deque[tuple[float, Change]]] = {}
        self.wakeups = WakeSchedule()
        """Shared wake-up timers of this store's watchers under load."""

    # -- resources -------------------------------------------------------------------------------

    def add_storage(self, storage: str) -> None:
        """Start keeping objects of ``storage`` (idempotent)."""
        if storage not in self._objects:
            self._objects[storage] = {}
            self._history[storage] = deque()
            self._valid_from[storage] = self.revision
            self._watchers[storage] = set()

    def drop_storage(self, storage: str) -> None:
        """Forget ``storage`` (it must be empty); its watchers are closed."""
        for watcher in self._watchers.pop(storage, set()):
            watcher.fail(None)
        self._objects.pop(storage, None)
        self._history.pop(storage, None)
        self._valid_from.pop(storage, None)

    def has_storage(self, storage: str) -> bool:
        return storage in self._objects

    # -- reads -----------------------------------------------------------------------------------

    def get(self, storage: str, key: Key) -> Object | None:
        return self._objects[storage].get(key)

    def objects(self, storage: str) -> dict[Key, Object]:
        """The live mapping of ``storage``; callers must not mutate it or its objects."""
        return self._objects[storage]

    def by_uid(self, uid: str) -> tuple[Ref, Object] | None:
        ref = self._by_uid.get(uid)
        if ref is None:
            return None
        obj = self._objects[ref[0]].get((ref[1], ref[2]))
        return None if obj is None else (ref, obj)

    def dependents(self, uid: str) -> list[tuple[Ref, Object]]:
        """Objects whose ownerReferences name ``uid``, sorted by reference."""
        out = []
        for ref in sorted(self._dependents.get(uid, ())):
            obj = self._objects.get(ref[0], {}).get((ref[1], ref[2]))
            if obj is not None:
                out.append((ref, obj))
        return out

    def population(self, namespace: str) -> int:
        """How many namespaced objects live in ``namespace``."""
        return self._population.get(namespace, 0)

    def state_at(self, storage: str, revision: int) -> dict[Key, Object]:
        """``storage`` as it was at ``revision`` (rebuilt from history). Raises GoneError if compacted."""
        current = self._objects[storage]
        if revision >= self.revision:
            return dict(current)
        self._check_retained(storage, revision)
        state = dict(current)
        for change in reversed(self._history[storage]):
            if change.revision <= revision:
                break
            key = _key(change.object)
            if change.type == "ADDED":
                state.pop(key, None)
            elif change.previous is not None:
                state[key] = change.previous
        return state

    def changes_since(self, storage: str, revision: int) -> list[Change]:
        """Every change of ``storage`` after ``revision``, oldest first. Raises GoneError if compacted."""
        self._check_retained(storage, revision)
        history = self._history[storage]
        if not history or history[-1].revision <= revision:
            return []
        out = [c for c in reversed(history) if c.revision > revision]
        out.reverse()
        return out

    def _check_retained(self, storage: str, revision: int) -> None:
        oldest = self._valid_from[storage]
        if revision < oldest:
            raise too_old(revision, oldest)

    # -- writes ----------------------------------------------------------------------------------

    def put(self, storage: str, obj: Object, previous: Object | None) -> Object:
        """Store ``obj`` (replacing ``previous``) at the next revision and return the stored snapshot."""
        self.revision += 1
        stored = dict(obj)
        stored["metadata"] = m = {**obj["metadata"], "resourceVersion": str(self.revision)}
        key = (m.get("namespace") or "", m["name"])
        self._objects[storage][key] = stored
        if previous is None:
            self._by_uid[m["uid"]] = (storage, key[0], key[1])
            if key[0]:
                self._population[key[0]] = self._population.get(key[0], 0) + 1
        if "ownerReferences" in m or (previous is not None and "ownerReferences" in previous["metadata"]):
            self._index_owners(storage, key, previous, stored)
        self._record(
            storage, Change(self.revision, "ADDED" if previous is None else "MODIFIED", stored, previous)
        )
        return stored

    def remove(self, storage: str, key: Key) -> Object:
        """Delete the object at ``key``; returns its last state stamped with the delete's revision."""
        previous = self._objects[storage].pop(key)
        self.revision += 1
        gone = with_meta(previous, resourceVersion=str(self.revision))
        self._by_uid.pop(str(meta(previous).get("uid")), None)
        if key[0]:
            self._population[key[0]] -= 1
        self._index_owners(storage, key, previous, None)
        self._record(storage, Change(self.revision, "DELETED", gone, previous))
        return gone

    def _index_owners(self, storage: str, key: Key, old: Object | None, new: Object | None) -> None:
        before, after = owner_uids(old), owner_uids(new)
        if before == after:
            return
        ref = (storage, key[0], key[1])
        for uid in before - after:
            deps = self._dependents.get(uid)
            if deps is not None:
                deps.discard(ref)
                if not deps:
                    del self._dependents[uid]
        for uid in after - before:
            self._dependents.setdefault(uid, set()).add(ref)

    def _record(self, storage: str, change: Change) -> None:
        history = self._history[storage]
        if len(history) >= self.history_size:
            self._valid_from[storage] = history.popleft().revision
        history.append(change)
        held = self._held.get(storage)
        if self.holding is not None or held:
            if held is None:
                held = self._held[storage] = deque()
            held.append((_NOW if self.holding is None else self.holding, change))
            return
        offer_all(self._watchers[storage], change)

    @property
    def held(self) -> bool:
        """Whether changes wait to be offered to watchers."""
        return bool(self._held)

    @property
    def watched_revision(self) -> int:
        """The revision up to which every change has been offered to watchers (what a BOOKMARK may
        promise)."""
        if not self._held:
            return self.revision
        return min(held[0][1].revision for held in self._held.values()) - 1

    def release(self, now: float) -> None:
        """Offer held changes, oldest first per resource, up to the first one still held after ``now``."""
        for storage, held in list(self._held.items()):
            watchers = self._watchers.get(storage, ())
            while held and held[0][0] <= now:
                offer_all(watchers, held.popleft()[1])
            if not held:
                del self._held[storage]

    # -- watch & compaction -------------------------------------------------------------------------

    def watch(self, watcher: Watcher) -> None:
        """Register ``watcher``: every later change of its storage is offered to it (after
        :meth:`close_watchers`, the watcher is closed at once)."""
        if self.closed:
            watcher.fail(None)
            return
        self._watchers[watcher.storage].add(watcher)

    def unwatch(self, watcher: Watcher) -> None:
        self._watchers.get(watcher.storage, set()).discard(watcher)

    def watcher_count(self, storage: str) -> int:
        return len(self._watchers.get(storage, ()))

    def compact(self) -> None:
        """Forget all history up to now: watches and continue tokens from older revisions get 410."""
        for storage, history in self._history.items():
            history.clear()
            self._valid_from[storage] = self.revision

    def close_watchers(self) -> None:
        """End every watch, now and from now on (the simulator is shutting down), and forget them: a
        stream whose consumer never closes it ends at its next read, and the store holds none of them."""
        self.closed = True
        for watchers in self._watchers.values():
            for watcher in watchers:
                watcher.fail(None)
            watchers.clear()


_NOW = float("-inf")
"""The release time of a change committed outside a hold: as soon as the changes before it are."""


def _key(obj: Object) -> Key:
    m = meta(obj)
    return (m.get("namespace") or "", m["name"])
