"""What a ComponentGraph run reports: one outcome per component, with its timing and error.

A reconcile that syncs a dozen components needs more than "it failed": which component, what the
error was, which components were skipped because of it, and where the time went. These frozen values
carry that, so reconcilers can log them, set conditions from them, and raise only when they choose.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from shoal.api import ShoalError


class Outcome(enum.Enum):
    """How one component ended in a :class:`ComponentGraph` run."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    """A component it depends on (for delete: a component depending on it) failed or was cancelled."""
    CANCELLED = "cancelled"
    """Cancelled while running, or never started because ``fail_fast`` stopped the run."""


@dataclass(frozen=True, slots=True)
class ComponentResult:
    """One component's outcome; times are seconds after the run began (``None`` if it never ran)."""

    name: str
    outcome: Outcome
    started: float | None = None
    finished: float | None = None
    error: BaseException | None = None
    blocked_by: str | None = None
    """For ``SKIPPED``: the component whose failure stopped this one."""

    @property
    def duration(self) -> float | None:
        """Seconds the component ran, or ``None`` if it never started."""
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started


@dataclass(frozen=True, slots=True)
class GraphResult:
    """Every component's outcome for one :meth:`ComponentGraph.sync` or ``delete``, in declaration order."""

    operation: Literal["sync", "delete"]
    components: tuple[ComponentResult, ...]
    duration: float
    """Seconds from the start of the run to the end of its last component."""

    def __getitem__(self, name: str) -> ComponentResult:
        for result in self.components:
            if result.name == name:
                return result
        raise KeyError(name)

    @property
    def ok(self) -> bool:
        """``True`` when every component succeeded."""
        return all(result.outcome is Outcome.SUCCEEDED for result in self.components)

    def by_outcome(self, outcome: Outcome) -> tuple[str, ...]:
        """The names of the components that ended with ``outcome``, in declaration order."""
        return tuple(result.name for result in self.components if result.outcome is outcome)

    def raise_for_failures(self) -> None:
        """Raise an :class:`ExceptionGroup` of every failed component's error; do nothing if none failed.

        Skipped and cancelled components are not errors of their own: their cause is in the group.
        """
        errors = [
            result.error
            for result in self.components
            if result.outcome is Outcome.FAILED and isinstance(result.error, Exception)
        ]
        if errors:
            failed = ", ".join(self.by_outcome(Outcome.FAILED))
            raise ExceptionGroup(f"{self.operation} failed for component(s): {failed}", errors)


class DependencyCycleError(ShoalError, ValueError):
    """Declaring a component closed a dependency cycle; ``cycle`` is the path, first name repeated last."""

    def __init__(self, cycle: tuple[str, ...]) -> None:
        super().__init__(f"dependency cycle: {' -> '.join(cycle)}")
        self.cycle = cycle
