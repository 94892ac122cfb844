"""Request accounting: how many requests of each verb and resource the simulator served, and how long
they took (injected latency included). Benchmarks report writes from here; tests assert on counts.
"""

from __future__ import annotations

from dataclasses import dataclass

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(frozen=True, slots=True)
class RequestStats:
    count: int
    total_seconds: float

    @property
    def mean_seconds(self) -> float:
        return self.total_seconds / self.count if self.count else 0.0


class RequestAccounting:
    """Counters keyed by ``(verb, resource)``, also kept per user agent.

    ``resource`` is the plural, with ``/status`` for subresource writes (``pods/status``).
    """

    def __init__(self) -> None:
        self._stats: dict[tuple[str, str, str], list[float]] = {}

    def record(self, user_agent: str, verb: str, resource: str, seconds: float) -> None:
        slot = self._stats.get((user_agent, verb, resource))
        if slot is None:
            self._stats[(user_agent, verb, resource)] = [1, seconds]
        else:
            slot[0] += 1
            slot[1] += seconds

    def snapshot(self, user_agent: str | None = None) -> dict[tuple[str, str], RequestStats]:
        """``{(verb, resource): RequestStats}`` over all user agents, or one."""
        out: dict[tuple[str, str], list[float]] = {}
        for (agent, verb, resource), (count, total) in self._stats.items():
            if user_agent is not None and agent != user_agent:
                continue
            slot = out.setdefault((verb, resource), [0, 0.0])
            slot[0] += count
            slot[1] += total
        return {k: RequestStats(int(c), t) for k, (c, t) in out.items()}

    def count(
        self, verb: str | None = None, resource: str | None = None, user_agent: str | None = None
    ) -> int:
        """Requests matching the given verb / resource / user agent (``None``: any)."""
        return sum(
            int(count)
            for (agent, v, r), (count, _) in self._stats.items()
            if (verb is None or v == verb)
            and (resource is None or r == resource)
            and (user_agent is None or agent == user_agent)
        )

    def writes(self, user_agent: str | None = None) -> int:
        """Create, update, patch, delete and deletecollection requests."""
        return sum(
            int(count)
            for (agent, v, _), (count, _) in self._stats.items()
            if v in WRITE_VERBS and (user_agent is None or agent == user_agent)
        )

    def user_agents(self) -> set[str]:
        return {agent for agent, _, _ in self._stats}

    def reset(self) -> None:
        self._stats.clear()
