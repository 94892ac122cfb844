"""``shoal bench pipeline --quick`` runs every phase for Shoal and kopf and reconciles every object.

Counts only: the figures themselves are the benchmark's business, never a test's.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from shoal.bench import SCENARIOS, BenchOptions, run_scenario
from shoal.bench._pipeline_report import Sizes

pytestmark = [pytest.mark.kopf]


def test_pipeline_is_registered() -> None:
    assert SCENARIOS["pipeline"][0] == "shoal.bench._pipeline"


def test_quick_pipeline_reconciles_every_object(tmp_path: Path) -> None:
    sizes = Sizes.of(BenchOptions(quick=True))
    status = run_scenario("pipeline", BenchOptions(out_dir=tmp_path, quick=True))
    figures = orjson.loads((tmp_path / "pipeline.json").read_bytes())
    assert status == 0
    assert (tmp_path / "pipeline.md").read_text().startswith("# shoal bench pipeline")
    for variant in ("shoal_http", "kopf_http"):
        measured = figures[variant]
        assert measured["startup_reconciled"] == sizes.backlog, variant
        assert not measured["startup_extrapolated"], variant
        assert measured["churn_created"] == sizes.churn, variant
        assert measured["churn_reconciled"] == sizes.churn, variant
        assert 0 <= measured["priority_backlog_before"] <= sizes.backlog, variant
        assert measured["peak_rss_bytes"] > 0, variant
    assert figures["shoal_inprocess"]["reconciled"] == sizes.inprocess
    assert set(figures["goals"]) == {
        "startup_20x_kopf",
        "churn_p99_under_100ms",
        "priority_under_50ms",
        "inprocess_20k_per_second",
    }


def test_quick_sizes_scale_with_the_option() -> None:
    full = Sizes.of(BenchOptions())
    half = Sizes.of(BenchOptions(scale=0.5))
    assert (full.backlog, full.churn, full.inprocess) == (10_000, 10_000, 10_000)
    assert (half.backlog, half.churn) == (5_000, 5_000)
