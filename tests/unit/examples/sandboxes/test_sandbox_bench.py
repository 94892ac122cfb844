"""``shoal bench sandboxes --quick`` still runs end to end and writes its report (no timing asserted)."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson

from shoal.bench import SCENARIOS, BenchOptions, run_scenario


def test_quick_scenario_writes_its_report(tmp_path: Path) -> None:
    assert "sandboxes" in SCENARIOS
    outcome: list[int] = []
    # The scenario runs its own event loops; a thread keeps them off the test's loop.
    thread = threading.Thread(
        target=lambda: outcome.append(run_scenario("sandboxes", BenchOptions(quick=True, out_dir=tmp_path)))
    )
    thread.start()
    thread.join()
    assert outcome == [0]
    report = orjson.loads((tmp_path / "sandboxes.json").read_bytes())
    parts = {line["part"] for line in report["lines"]}
    assert {"allocate", "release", "create p50", "heartbeat sweep"} <= parts
    assert (tmp_path / "sandboxes.md").read_text().startswith("| part |")
