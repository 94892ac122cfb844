"""``shoal bench patterns --quick`` runs every row and reports the counts its goals are about."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson

from shoal.bench import SCENARIOS, BenchOptions, run_scenario


def test_quick_scenario_reports_every_row_and_its_counts(tmp_path: Path) -> None:
    assert "patterns" in SCENARIOS
    outcome: list[int] = []
    # The scenario runs its own event loop; a thread keeps it off the test's loop.
    thread = threading.Thread(
        target=lambda: outcome.append(run_scenario("patterns", BenchOptions(quick=True, out_dir=tmp_path)))
    )
    thread.start()
    thread.join()
    assert outcome == [0]
    results = orjson.loads((tmp_path / "patterns.json").read_bytes())
    assert results["profile"] == "gitpod-seed"
    assert results["gitpod"]["repeats"] == 20
    assert set(results["grove"]) == {"no-slow-member", "slow-off-critical-path", "slow-on-critical-path"}
    assert (results["memo"]["before_gets"], results["memo"]["shoal_gets"]) == (4, 1)
    argo = results["argo"]
    assert (argo["before_calls"], argo["shoal_calls"], argo["joins"]) == (1000, 1, 999)
    steady = results["steady_state"]
    assert (steady["before_writes"], steady["shoal_writes"]) == (2 * steady["objects"], 0)
    assert "gitpod: 2 Secret creates" in (tmp_path / "patterns.md").read_text()
