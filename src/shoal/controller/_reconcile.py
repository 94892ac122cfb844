"""The reconcile contract: what a controller asks (``Request``), what a reconciler answers (``Result``).

Reconciliation is level-based: a :class:`Request` names an object, not what happened to it, so one
reconcile after ten changes is as correct as ten. The reconciler reads the current state (from
``ctx.reader``), writes the difference (through ``ctx.client``), and answers:

* return ``None`` or ``Result()`` — done; the key's backoff is reset;
* return ``Result(requeue_after=s)`` — done for now, look again in ``s`` seconds (backoff reset), at
  the priority the request was taken with unless ``Result(priority=...)`` names another;
* raise :class:`TerminalError` — failed in a way retrying cannot fix: counted, logged, not retried;
* raise anything else — failed; retried with per-key exponential backoff (5 ms doubling to 1000 s).

An exception never ends a worker.
"""

from __future__ import annotations

import itertools
import logging
import os
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from shoal.api import ObjectKey, ShoalError
from shoal.fanout import Memo

if TYPE_CHECKING:
    from shoal.cache import CachedReader
    from shoal.client import Client

    from ._recorder import EventRecorder


Request = ObjectKey
"""Which object to reconcile: its namespace (``""`` when cluster-scoped) and name.

The same value as :class:`shoal.api.ObjectKey`, so a request keys the cache directly.
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """A reconciler's answer when it did not fail.

    Attributes:
        requeue_after: reconcile the same request again after this many seconds (``None``: only on
            the next change). The key's error backoff is reset first.
        priority: the work-queue priority of that requeue (e.g. ``Priority.LOW``); ``None`` keeps the
            priority the request was taken with, as controller-runtime does.
    """

    requeue_after: float | None = None
    priority: int | None = None

    def __post_init__(self) -> None:
        if self.requeue_after is not None and self.requeue_after < 0:
            raise ValueError(f"requeue_after must be >= 0 seconds, got {self.requeue_after}")


class TerminalError(ShoalError):
    """A failure retrying will not fix (bad spec, missing permission): counted, logged, not retried.

    ``raise TerminalError("spec.size must be positive")`` or ``raise TerminalError(exc) from exc``;
    the next change to the object reconciles it again as usual.
    """

    def __init__(self, cause: BaseException | str) -> None:
        super().__init__(str(cause))
        self.cause = cause


class ReconcileLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger that prefixes every line with the controller, the request and the reconcile id.

    The same values are attached to each record as ``controller``, ``request`` (``namespace/name``)
    and ``reconcile_id`` for structured handlers.
    """

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        extra = self.extra or {}
        kwargs["extra"] = {**extra, **(kwargs.get("extra") or {})}
        return f"[{extra.get('controller')} {extra.get('request')} {extra.get('reconcile_id')}] {msg}", kwargs


class ReconcileContext:
    """Everything one reconcile may use; a new one is built for every reconcile.

    Read-only attributes:
        client: the API client, for writes (and reads that must not be stale).
        reader: the cached reader: gets and lists from memory, as private copies (with ``copy=False``,
            the cache's shared dicts, which must not be changed).
        log: a logger carrying the controller name, the request and ``reconcile_id``.
        memo: a reconcile-scoped memo (single-flight per key), discarded when the reconcile ends.
        recorder: posts Kubernetes Events about objects.
        controller: the controller's name.
        reconcile_id: unique per reconcile, for correlating log lines.
        priority: the work-queue priority the request was taken with.

    ``log``, ``memo`` and ``reconcile_id`` are built on first use: most reconciles of a start-up
    backlog find nothing to do and never touch them. ``reconcile_id`` is UUID-shaped: a random prefix
    drawn once per process and this process's reconcile count, so it is unique within the process
    (and, with overwhelming probability, across processes) without a ``uuid4`` per reconcile.
    """

    __slots__ = (
        "_client",
        "_controller",
        "_log",
        "_memo",
        "_priority",
        "_reader",
        "_reconcile_id",
        "_recorder",
        "_request",
        "_sequence",
    )

    def __init__(
        self,
        *,
        client: Client,
        reader: CachedReader,
        recorder: EventRecorder,
        controller: str,
        request: Request | None = None,
        priority: int = 0,
        log: ReconcileLogger | None = None,
        memo: Memo | None = None,
        reconcile_id: str | None = None,
    ) -> None:
        self._client = client
        self._reader = reader
        self._recorder = recorder
        self._controller = controller
        self._request = request
        self._priority = priority
        self._log = log
        self._memo = memo
        self._reconcile_id = reconcile_id
        self._sequence = next(_SEQUENCE)

    @property
    def client(self) -> Client:
        return self._client

    @property
    def reader(self) -> CachedReader:
        return self._reader

    @property
    def recorder(self) -> EventRecorder:
        return self._recorder

    @property
    def controller(self) -> str:
        return self._controller

    @property
    def priority(self) -> int:
        return self._priority

    @property
    def reconcile_id(self) -> str:
        if self._reconcile_id is None:
            digits = f"{self._sequence:016x}"
            self._reconcile_id = f"{_process_prefix[0]}-{digits[:4]}-{digits[4:]}"
        return self._reconcile_id

    @property
    def log(self) -> ReconcileLogger:
        if self._log is None:
            extra = {
                "controller": self._controller,
                "request": str(self._request),
                "reconcile_id": self.reconcile_id,
            }
            self._log = ReconcileLogger(_log, extra)
        return self._log

    @property
    def memo(self) -> Memo:
        if self._memo is None:
            self._memo = Memo()
        return self._memo


_SEQUENCE = itertools.count(1)
_process_prefix = [str(uuid.uuid4())[:18]]


def _new_process_prefix() -> None:
    _process_prefix[0] = str(uuid.uuid4())[:18]


# A forked child counts from the parent's position: a fresh prefix keeps their ids apart.
os.register_at_fork(after_in_child=_new_process_prefix)
_log = logging.getLogger("shoal.controller")


class Reconciler(Protocol):
    """Brings the world in line with one object. See the module docstring for the answers it may give."""

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None: ...
