"""``shoal bench patterns --quick`` runs every row and reports the counts its goals are about."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson


def test_quick_scenario_reports_every_row_and_its_counts(run_quick_scenario: Callable[..., Path]) -> None:
    out_dir = run_quick_scenario("patterns")
    results = orjson.loads((out_dir / "patterns.json").read_bytes())
    assert results["profile"] == "gitpod-seed"
    assert results["gitpod"]["repeats"] == 20
    assert set(results["grove"]) == {"no-slow-member", "slow-off-critical-path", "slow-on-critical-path"}
    assert (results["memo"]["before_gets"], results["memo"]["shoal_gets"]) == (4, 1)
    argo = results["argo"]
    assert (argo["before_calls"], argo["shoal_calls"], argo["joins"]) == (1000, 1, 999)
    steady = results["steady_state"]
    assert (steady["before_writes"], steady["shoal_writes"]) == (2 * steady["objects"], 0)
    assert "gitpod: 2 Secret creates" in (out_dir / "patterns.md").read_text()
