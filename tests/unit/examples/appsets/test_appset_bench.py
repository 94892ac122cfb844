"""``shoal bench appsets --quick`` still runs end to end and writes its reports (no timing asserted)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson


def test_quick_scenario_writes_its_report_and_queue_depths(run_quick_scenario: Callable[..., Path]) -> None:
    out_dir = run_quick_scenario("appsets")
    report = orjson.loads((out_dir / "appsets.json").read_bytes())
    assert "x0.01" in (out_dir / "appsets.md").read_text()
    depths = orjson.loads((out_dir / "appsets-queue.json").read_bytes())
    assert "E-nocache-W1 before" in depths["series"]
    assert report
