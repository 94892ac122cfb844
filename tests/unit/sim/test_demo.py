"""``shoal demo`` runs end to end and shows the events it promises."""

from __future__ import annotations

import pytest

from shoal.examples.demo import run_demo


def test_demo_prints_the_watch_events(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo(keep_running=False) == 0
    out = capsys.readouterr().out
    assert "Gadget" in out
    assert "stale update rejected: 409" in out
    assert out.count("DELETED") == 3
