"""``shoal bench sandboxes --quick`` still runs end to end and writes its report (no timing asserted)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson


def test_quick_scenario_writes_its_report(run_quick_scenario: Callable[..., Path]) -> None:
    out_dir = run_quick_scenario("sandboxes")
    report = orjson.loads((out_dir / "sandboxes.json").read_bytes())
    parts = {line["part"] for line in report["lines"]}
    assert {"allocate", "release", "create p50", "heartbeat sweep"} <= parts
    assert (out_dir / "sandboxes.md").read_text().startswith("| part |")
