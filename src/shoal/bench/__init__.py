"""``shoal bench``: every scenario runs the seed's "before", Shoal's version and the ideal in one invocation.

Scenarios are named here and imported only when run, so ``shoal bench list`` stays instant and a
scenario's heavy dependencies (matplotlib, kopf) load only for the scenario that needs them. Each
scenario module exposes ``run(options: BenchOptions) -> int``; it prints a table and writes
``<out>/<scenario>.json`` and ``.md`` (and ``.png`` where it plots).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ._harness import (
    Row as Row,
    Variant as Variant,
    VariantContext as VariantContext,
    VariantRun as VariantRun,
    run_bench as run_bench,
)
from ._loop import precise_event_loop as precise_event_loop, reduce_timer_slack as reduce_timer_slack
from ._measure import Measurement as Measurement
from ._report import Report as Report, RowResult as RowResult


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchOptions:
    """What the command line asks of a scenario."""

    out_dir: Path = Path("bench-results")
    quick: bool = False
    """Tiny sizes: the test suite uses this to keep every scenario working (never to judge speed)."""
    scale: float = 1.0
    profile: bool = False
    """Write a CPU profile of the Shoal variant next to the report."""


SCENARIOS: dict[str, tuple[str, str]] = {
    "appsets": ("shoal.examples.appsets._bench", "Argo CD ApplicationSet: new appset behind 808, x0.01"),
    "backups": (
        "shoal.examples.backups._bench",
        "Velero item blocks: 1 worker vs a bounded pool of W, x0.01 time",
    ),
    "gangs": (
        "shoal.examples.gangs._bench",
        "Grove PodCliqueSet R=500 on 100 nodes: deploy, steady state, delete",
    ),
    "nodes": ("shoal.bench._nodes", "simulated nodes: 100 nodes, 10,000 pods to Ready, no controller"),
    "patterns": (
        "shoal.bench._patterns",
        "the seed patterns: gather, ComponentGraph, memo, pools, single-flight",
    ),
    "sim-http": ("shoal.bench._sim_http", "HTTP door writes/s, 10 watchers, load from another process"),
    "pipeline": ("shoal.bench._pipeline", "start-up, churn lag, priority and reconciles/s: Shoal vs kopf"),
    "sim-store": (
        "shoal.bench._sim_store",
        "in-process store writes/s and watch fan-out, 10 watchers, 10k objects",
    ),
    "sandboxes": (
        "shoal.examples.sandboxes._bench",
        "Fast Sandbox: allocate us, CreateSandbox p50, heartbeat",
    ),
    "workspaces": (
        "shoal.examples.workspaces._bench",
        "Gitpod ws-manager: Secrets, cleanup, start E2E, load, URLs",
    ),
}
"""Scenario name → (module with a ``run(options)`` function, one-line description)."""


def run_scenario(name: str, options: BenchOptions) -> int:
    """Import and run one scenario; raises KeyError for an unknown name."""
    module_name, _ = SCENARIOS[name]
    module = importlib.import_module(module_name)
    return cast(Callable[[BenchOptions], int], module.run)(options)


def run_cli(args: argparse.Namespace) -> int:
    """``shoal bench <scenario|list|all> [--quick] [--scale F] [--out DIR] [--profile]``."""
    if args.scenario == "list":
        width = max(map(len, SCENARIOS))
        for name, (_, description) in sorted(SCENARIOS.items()):
            print(f"{name:<{width}}  {description}")
        return 0
    options = BenchOptions(out_dir=Path(args.out), quick=args.quick, scale=args.scale, profile=args.profile)
    names = sorted(SCENARIOS) if args.scenario == "all" else [args.scenario]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"unknown scenario {unknown[0]!r}; 'shoal bench list' names them")
        return 2
    status = 0
    for name in names:
        status |= run_scenario(name, options)
    return status


__all__ = [
    "BenchOptions",
    "Measurement",
    "Report",
    "Row",
    "RowResult",
    "SCENARIOS",
    "Variant",
    "VariantContext",
    "VariantRun",
    "precise_event_loop",
    "reduce_timer_slack",
    "run_bench",
    "run_cli",
    "run_scenario",
]
