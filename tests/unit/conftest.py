"""Fixtures shared by the unit tests: running a benchmark scenario at quick sizes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from shoal.bench import SCENARIOS, BenchOptions, run_scenario


@pytest.fixture
def run_quick_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Run ``shoal bench <name> --quick`` as the command line does; it must exit 0. Returns the
    directory it wrote its report to. A scenario runs its own event loop(s), so it runs in a thread of
    its own, off any loop of the test. Used to keep every scenario working, never to judge speed."""

    def run(name: str, *, scale: float = 1.0) -> Path:
        assert name in SCENARIOS
        outcome: list[int] = []
        options = BenchOptions(quick=True, scale=scale, out_dir=tmp_path)
        thread = threading.Thread(target=lambda: outcome.append(run_scenario(name, options)))
        thread.start()
        thread.join()
        assert outcome == [0], f"shoal bench {name} --quick did not exit 0 (see the thread's error above)"
        return tmp_path

    return run
