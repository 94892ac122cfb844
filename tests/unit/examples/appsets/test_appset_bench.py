"""``shoal bench appsets --quick`` still runs end to end and writes its reports (no timing asserted)."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson

from shoal.bench import SCENARIOS, BenchOptions, run_scenario


def test_quick_scenario_writes_its_report_and_queue_depths(tmp_path: Path) -> None:
    assert "appsets" in SCENARIOS
    outcome: list[int] = []
    # The scenario runs its own event loop; a thread keeps it off the test's loop.
    thread = threading.Thread(
        target=lambda: outcome.append(run_scenario("appsets", BenchOptions(quick=True, out_dir=tmp_path)))
    )
    thread.start()
    thread.join()
    assert outcome == [0]
    report = orjson.loads((tmp_path / "appsets.json").read_bytes())
    assert "x0.01" in (tmp_path / "appsets.md").read_text()
    depths = orjson.loads((tmp_path / "appsets-queue.json").read_bytes())
    assert "E-nocache-W1 before" in depths["series"]
    assert report
