"""gather under any mix of call lengths and failures: results, errors and clean-up hold in both modes.

The last awaitable runs in the caller's own task and the others as child tasks, so the properties are
checked for every position a failure or the slowest call can take.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings, strategies as st

from shoal.fanout import gather

# (loop turns before finishing, whether the call then fails)
calls = st.lists(st.tuples(st.integers(0, 4), st.booleans()), min_size=1, max_size=6)


class CallError(Exception):
    """The error a failing call raises; its argument is the call's position."""


def run(specs: list[tuple[int, bool]], mode: str) -> tuple[object, list[str], int]:
    """Gather the calls in ``mode``; returns (results or the ExceptionGroup, each call's fate, the
    caller's cancellation count afterwards)."""
    fate = ["pending"] * len(specs)

    async def call(i: int, turns: int, fails: bool) -> int:
        try:
            for _ in range(turns):
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            fate[i] = "cancelled"
            raise
        if fails:
            fate[i] = "failed"
            raise CallError(i)
        fate[i] = "done"
        return i

    async def scenario() -> tuple[object, list[str], int]:
        caller = asyncio.current_task()
        assert caller is not None
        try:
            outcome: object = await gather(
                *(call(i, turns, fails) for i, (turns, fails) in enumerate(specs)),
                mode=mode,  # type: ignore[arg-type]
            )
        except ExceptionGroup as group:
            outcome = group
        return outcome, list(fate), caller.cancelling()

    return asyncio.run(scenario())


@settings(max_examples=150, deadline=None)
@given(calls)
def test_collect_all_runs_everything_and_reports_every_error_in_argument_order(
    specs: list[tuple[int, bool]],
) -> None:
    outcome, fate, cancelling = run(specs, "collect_all")
    failing = [i for i, (_, fails) in enumerate(specs) if fails]
    assert fate == ["failed" if fails else "done" for _, fails in specs]
    if failing:
        assert isinstance(outcome, ExceptionGroup)
        assert [e.args[0] for e in outcome.exceptions] == failing
    else:
        assert outcome == tuple(range(len(specs)))
    assert cancelling == 0


@settings(max_examples=150, deadline=None)
@given(calls)
def test_fail_fast_raises_only_real_errors_and_leaves_nothing_running(
    specs: list[tuple[int, bool]],
) -> None:
    outcome, fate, cancelling = run(specs, "fail_fast")
    assert "pending" not in fate  # every call ended one way or another before gather returned
    assert cancelling == 0
    if not any(fails for _, fails in specs):
        assert outcome == tuple(range(len(specs)))
        return
    assert isinstance(outcome, ExceptionGroup)
    reported = sorted(e.args[0] for e in outcome.exceptions)
    assert reported == [i for i, f in enumerate(fate) if f == "failed"]
    first = min(turns for turns, fails in specs if fails)
    # A call that finishes before the first failure cannot have been cancelled by it.
    for i, (turns, _) in enumerate(specs):
        if turns < first:
            assert fate[i] in ("done", "failed")


@pytest.mark.parametrize("mode", ["fail_fast", "collect_all"])
def test_a_single_failing_call_still_arrives_in_an_exception_group(mode: str) -> None:
    outcome, fate, cancelling = run([(0, True)], mode)
    assert isinstance(outcome, ExceptionGroup)
    assert [e.args[0] for e in outcome.exceptions] == [0]
    assert (fate, cancelling) == (["failed"], 0)
