"""``shoal bench backups --quick`` runs every variant to a completed backup and writes its report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson


def test_quick_scenario_writes_its_report(run_quick_scenario: Callable[..., Path]) -> None:
    out_dir = run_quick_scenario("backups")  # a backup missing an item raises: exit 0, all converged
    report = orjson.loads((out_dir / "backups.json").read_bytes())
    assert report["scenario"] == "backups"
    assert (out_dir / "backups.md").exists()
