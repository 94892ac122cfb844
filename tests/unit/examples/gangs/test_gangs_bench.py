"""``shoal bench gangs`` at a tiny size still runs every variant and writes its report (no timing asserted)."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson

from shoal.bench import SCENARIOS, BenchOptions, run_scenario
from shoal.examples.gangs._bench import STEADY_WRITES


def test_tiny_scenario_reports_rows_and_steady_writes(tmp_path: Path) -> None:
    assert "gangs" in SCENARIOS
    outcome: list[int] = []
    options = BenchOptions(quick=True, scale=0.1, out_dir=tmp_path)
    thread = threading.Thread(target=lambda: outcome.append(run_scenario("gangs", options)))
    thread.start()
    thread.join()
    assert outcome == [0]
    report = orjson.loads((tmp_path / "gangs.json").read_bytes())
    assert "G-1" in str(report)
    assert "G-2" in str(report)
    assert STEADY_WRITES[("G-1", "shoal")] == 0
    assert STEADY_WRITES[("G-2", "shoal")] == 0
    assert STEADY_WRITES[("G-1", "before")] > 0
    assert "steady state" in (tmp_path / "gangs.md").read_text()
