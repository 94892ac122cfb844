"""``shoal bench gangs`` at a tiny size still runs every variant and writes its report (no timing asserted)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson

from shoal.examples.gangs._bench import STEADY_WRITES


def test_tiny_scenario_reports_rows_and_steady_writes(run_quick_scenario: Callable[..., Path]) -> None:
    out_dir = run_quick_scenario("gangs", scale=0.1)
    report = orjson.loads((out_dir / "gangs.json").read_bytes())
    assert "G-1" in str(report)
    assert "G-2" in str(report)
    assert STEADY_WRITES[("G-1", "shoal")] == 0
    assert STEADY_WRITES[("G-2", "shoal")] == 0
    assert STEADY_WRITES[("G-1", "before")] > 0
    assert "steady state" in (out_dir / "gangs.md").read_text()
