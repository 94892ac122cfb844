"""``shoal bench backups --quick`` runs every variant to a completed backup and writes its report."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson

from shoal.bench import SCENARIOS, BenchOptions, run_scenario


def test_quick_scenario_writes_its_report(tmp_path: Path) -> None:
    assert "backups" in SCENARIOS
    outcome: list[int] = []
    # The scenario runs its own event loop; a thread keeps it off the test's loop.
    thread = threading.Thread(
        target=lambda: outcome.append(run_scenario("backups", BenchOptions(quick=True, out_dir=tmp_path)))
    )
    thread.start()
    thread.join()
    # A variant whose backup did not complete with every item raises, so 0 means all converged.
    assert outcome == [0]
    report = orjson.loads((tmp_path / "backups.json").read_bytes())
    assert report["scenario"] == "backups"
    assert (tmp_path / "backups.md").exists()
