"""Injected failures: error responses at a rate, 429 with Retry-After, forced conflicts, watch drops.

A :class:`Fault` matches requests by verb and resource like a latency rule. Errors are the same
:mod:`shoal.api` error classes a real apiserver's Status parses into, so clients exercise their real
retry and relist paths.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from shoal.api import ApiError, ConflictError, TooManyRequestsError, error_from_status

from ._latency import LatencyRule


@dataclass(frozen=True, slots=True)
class Fault:
    """Fail ``rate`` of the matching requests with ``code`` (at most ``times`` times, ``None``: forever).

    ``code=429`` carries ``retry_after`` seconds; ``code=409`` is an optimistic-lock Conflict. For
    ``verb="watch"``, ``drop_after=N`` ends each matching stream after N events instead.
    """

    verb: str = "*"
    resource: str = "*"
    code: int | None = None
    rate: float = 1.0
    times: int | None = None
    retry_after: int = 1
    drop_after: int | None = None
    message: str = ""

    def matches(self, verb: str, resource: str) -> bool:
        return LatencyRule(self.verb, self.resource, 0.0).matches(verb, resource)

    def error(self, resource: str, name: str) -> ApiError:
        """The error this fault raises for a request on ``resource`` / ``name``."""
        code = self.code or 500
        if code == 409:
            return ConflictError(
                self.message
                or f'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; '
                "please apply your changes to the latest version and try again",
                name=name,
                kind=resource,
            )
        if code == 429:
            return TooManyRequestsError(
                self.message or "Too many requests, please try again later.",
                name=name,
                kind=resource,
                retry_after=self.retry_after,
            )
        return error_from_status(
            {
                "code": code,
                "message": self.message or f"injected fault: {code}",
                "details": {"kind": resource},
            }
        )


class FaultSet:
    """The active faults of a simulator. ``add``/``remove``/``clear`` at any time; ``seed`` makes rates repeatable."""

    def __init__(self, seed: int | None = None) -> None:
        self._faults: list[Fault] = []
        self._left: dict[int, int] = {}
        self._rng = random.Random(seed)

    def add(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        if fault.times is not None:
            self._left[id(fault)] = fault.times
        return fault

    def remove(self, fault: Fault) -> None:
        self._faults = [f for f in self._faults if f is not fault]
        self._left.pop(id(fault), None)

    def clear(self) -> None:
        self._faults.clear()
        self._left.clear()

    def __len__(self) -> int:
        return len(self._faults)

    def check(self, verb: str, resource: str, name: str = "") -> ApiError | None:
        """The error to answer this request with, if a fault fires (consumes one of its ``times``)."""
        if not self._faults:
            return None
        for fault in self._faults:
            if fault.drop_after is not None or fault.code is None or not fault.matches(verb, resource):
                continue
            if self._consume(fault):
                return fault.error(resource, name)
        return None

    def watch_drop(self, resource: str) -> int | None:
        """After how many events a new watch of ``resource`` is dropped (``None``: never)."""
        for fault in self._faults:
            if fault.drop_after is not None and fault.matches("watch", resource) and self._consume(fault):
                return fault.drop_after
        return None

    def _consume(self, fault: Fault) -> bool:
        if fault.rate < 1.0 and self._rng.random() >= fault.rate:
            return False
        left = self._left.get(id(fault))
        if left is None:
            return fault.times is None
        if left <= 0:
            return False
        self._left[id(fault)] = left - 1
        return True
