"""Sizes and the report of ``shoal bench pipeline``: figures next to the issue's goals and kopf's.

Kept apart from the phases so what is claimed (goals, ratios, what "extrapolated" means) is stated in
one place. The report is a plain table on stdout plus ``pipeline.json`` and ``pipeline.md``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import orjson

from shoal.bench import BenchOptions

if TYPE_CHECKING:
    from ._pipeline import Figures

GOAL_STARTUP_RATIO = 20.0
GOAL_CHURN_P99_MS = 100.0
GOAL_PRIORITY_MS = 50.0
GOAL_INPROCESS_PER_SECOND = 20_000.0


@dataclass(frozen=True, slots=True)
class Sizes:
    """How many probes each phase uses; ``bound`` is the seconds any one milestone may take."""

    backlog: int
    churn_rate: float
    churn_seconds: float
    inprocess: int
    scale: float
    quick: bool
    bound: float = 300.0

    @property
    def churn(self) -> int:
        return max(1, round(self.churn_rate * self.churn_seconds))

    @classmethod
    def of(cls, options: BenchOptions) -> Sizes:
        if options.quick:
            return cls(backlog=300, churn_rate=200.0, churn_seconds=1.0, inprocess=300, scale=1.0, quick=True)
        s = options.scale
        return cls(
            backlog=max(100, round(10_000 * s)),
            churn_rate=1000.0,
            churn_seconds=max(1.0, 10.0 * s),
            inprocess=max(100, round(10_000 * s)),
            scale=s,
            quick=False,
        )


def _ratio(kopf: float, shoal: float) -> float:
    return kopf / shoal if shoal > 0 else math.inf


def figures_of(sizes: Sizes, shoal: Figures, kopf: Figures, inprocess: dict[str, Any]) -> dict[str, Any]:
    rate = float(inprocess["reconciles_per_second_draining"])
    startup_ratio = _ratio(kopf.startup_seconds, shoal.startup_seconds)
    return {
        "sizes": {**asdict(sizes), "churn": sizes.churn},
        "shoal_http": asdict(shoal),
        "kopf_http": asdict(kopf),
        "shoal_inprocess": inprocess,
        "kopf_over_shoal": {
            "startup": startup_ratio,
            "peak_rss": _ratio(kopf.peak_rss_bytes, shoal.peak_rss_bytes),
            "priority_lag": _ratio(kopf.priority_lag_ms, shoal.priority_lag_ms),
            "churn_p50": _ratio(kopf.churn_lag_ms_p50, shoal.churn_lag_ms_p50),
            "churn_p99": _ratio(kopf.churn_lag_ms_p99, shoal.churn_lag_ms_p99),
        },
        "goals": {
            "startup_20x_kopf": startup_ratio >= GOAL_STARTUP_RATIO,
            "churn_p99_under_100ms": shoal.churn_lag_ms_p99 < GOAL_CHURN_P99_MS,
            "priority_under_50ms": shoal.priority_lag_ms < GOAL_PRIORITY_MS,
            "inprocess_20k_per_second": rate >= GOAL_INPROCESS_PER_SECOND,
        },
        "kopf_settings": "kopf 1.45.2, python -m kopf run --standalone -A, @kopf.on.event, "
        "posting disabled, worker_limit unset (unlimited), uvloop (kopf's CLI default)",
    }


def _row(name: str, shoal: str, kopf: str, ratio: str, goal: str) -> str:
    return f"| {name} | {shoal} | {kopf} | {ratio} | {goal} |"


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


def table(sizes: Sizes, shoal: Figures, kopf: Figures, inprocess: dict[str, Any]) -> str:
    f = figures_of(sizes, shoal, kopf, inprocess)
    r, g = f["kopf_over_shoal"], f["goals"]

    def met(key: str) -> str:
        return "met" if g[key] else "MISSED"

    extrapolated = " (extrapolated)" if kopf.startup_extrapolated else ""
    rows = [
        "| measure | shoal | kopf | kopf/shoal | goal |",
        "|---|---|---|---|---|",
        _row(
            f"start-up, {sizes.backlog} objects (s)",
            f"{shoal.startup_seconds:.3f}",
            f"{kopf.startup_seconds:.3f}{extrapolated}",
            f"{r['startup']:.1f}x",
            f"≥ 20x kopf: {met('startup_20x_kopf')}",
        ),
        _row(
            "peak RSS at start-up",
            _mb(shoal.peak_rss_bytes),
            _mb(kopf.peak_rss_bytes),
            f"{r['peak_rss']:.2f}x",
            "",
        ),
        _row(
            f"priority: new object behind {sizes.backlog} (ms)",
            f"{shoal.priority_lag_ms:.1f}",
            f"{kopf.priority_lag_ms:.1f}",
            f"{r['priority_lag']:.1f}x",
            f"< 50 ms: {met('priority_under_50ms')}",
        ),
        _row(
            "priority, reconciler awaiting once (ms; backlog before it)",
            f"{shoal.priority_yielding_lag_ms or 0.0:.1f} ({shoal.priority_yielding_backlog_before})",
            "",
            "",
            "",
        ),
        _row(
            "priority: backlog reconciled before it",
            str(shoal.priority_backlog_before),
            str(kopf.priority_backlog_before),
            "",
            "",
        ),
        _row(
            f"churn {sizes.churn_rate:.0f}/s x {sizes.churn_seconds:g} s: lag p50 (ms)",
            f"{shoal.churn_lag_ms_p50:.1f}",
            f"{kopf.churn_lag_ms_p50:.1f}",
            f"{r['churn_p50']:.1f}x",
            "",
        ),
        _row(
            "churn lag p99 (ms)",
            f"{shoal.churn_lag_ms_p99:.1f}",
            f"{kopf.churn_lag_ms_p99:.1f}",
            f"{r['churn_p99']:.1f}x",
            f"< 100 ms: {met('churn_p99_under_100ms')}",
        ),
        _row(
            f"in-process reconciles/s ({sizes.inprocess} objects)",
            f"{inprocess['reconciles_per_second_draining']:.0f}",
            "",
            "",
            f"≥ 20,000: {met('inprocess_20k_per_second')}",
        ),
    ]
    return "\n".join(rows)


def report(
    sizes: Sizes,
    shoal: Figures,
    kopf: Figures,
    inprocess: dict[str, Any],
    options: BenchOptions,
    *,
    profile: str | None = None,
) -> int:
    """Print the table, write ``pipeline.json|.md``; 0 when every object of every phase was reconciled."""
    text = table(sizes, shoal, kopf, inprocess)
    figures = figures_of(sizes, shoal, kopf, inprocess)
    if profile is not None:
        figures["profile"] = profile
    print(text)
    print(figures["kopf_settings"])
    options.out_dir.mkdir(parents=True, exist_ok=True)
    (options.out_dir / "pipeline.json").write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    (options.out_dir / "pipeline.md").write_text(
        f"# shoal bench pipeline\n\n{text}\n\n{figures['kopf_settings']}\n"
    )
    complete = (
        shoal.startup_reconciled == sizes.backlog
        and shoal.churn_reconciled == sizes.churn
        and inprocess["reconciled"] == sizes.inprocess
        and (kopf.startup_extrapolated or kopf.churn_reconciled == sizes.churn)
    )
    return 0 if complete else 1
