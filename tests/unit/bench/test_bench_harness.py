"""The harness: measured windows, per-window call counts, milestones by watch, reports in three formats."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from shoal.api import GroupVersionResource
from shoal.bench import BenchOptions, Report, Row, Variant, VariantContext, run_bench
from shoal.bench._harness import run_rows
from shoal.bench._loop import SOLE_PROCESS_SPIN_SECONDS, SPIN_SECONDS, polling_seconds, precise_event_loop

CMS = GroupVersionResource("", "v1", "configmaps")


def configmap(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}}


async def two_creates(ctx: VariantContext) -> None:
    await ctx.client.create(CMS, configmap("setup"), namespace="default")  # outside every window
    for i in range(ctx.repeats):
        async with ctx.measure():
            await ctx.client.create(CMS, configmap(f"a-{i}"), namespace="default")
            await ctx.client.create(CMS, configmap(f"b-{i}"), namespace="default")
            await ctx.client.get(CMS, f"a-{i}", namespace="default")


async def unwindowed(ctx: VariantContext) -> None:
    with ctx.phase("deploy"):
        await ctx.client.create(CMS, configmap("only"), namespace="default")


def row(*variants: Variant, repeats: int = 3) -> Row:
    return Row(key="T-1", title="test row", variants=variants, ideal_seconds=0.001, repeats=repeats)


async def test_windows_count_calls_per_window_and_exclude_setup() -> None:
    [(_, [m])] = await run_rows([row(Variant("shoal", two_creates), repeats=4)], progress=False)
    assert (m.windows, len(m.samples)) == (4, 4)
    assert m.calls == {"create configmaps": 8, "get configmaps": 4}
    assert m.calls_by_verb() == {"create": 2.0, "get": 1.0}
    assert m.writes == 2.0
    assert m.wall_seconds >= max(m.samples)
    assert m.peak_rss_bytes > 0


async def test_a_variant_without_windows_is_measured_whole_with_its_phases() -> None:
    [(_, [m])] = await run_rows([row(Variant("before", unwindowed))], progress=False)
    assert (m.windows, len(m.samples)) == (1, 1)
    assert m.calls == {"create configmaps": 1}
    assert set(m.phases) == {"deploy"}


async def test_every_variant_gets_a_fresh_simulator() -> None:
    async def count_existing(ctx: VariantContext) -> None:
        items = (await ctx.client.list(CMS, namespace="default"))["items"]
        assert [i["metadata"]["name"] for i in items] == []
        await ctx.client.create(CMS, configmap("left-behind"), namespace="default")

    results = await run_rows(
        [row(Variant("before", count_existing), Variant("shoal", count_existing))], progress=False
    )
    assert [m.variant for m in results[0][1]] == ["before", "shoal"]


async def test_overlapping_windows_are_refused() -> None:
    async def overlap(ctx: VariantContext) -> None:
        async with ctx.measure(), ctx.measure():
            pass

    with pytest.raises(RuntimeError, match="must not overlap"):
        await run_rows([row(Variant("shoal", overlap))], progress=False)


async def test_milestones_are_conditions_seen_by_watch() -> None:
    async def deploy(ctx: VariantContext) -> None:
        async with ctx.measure():
            async with asyncio.TaskGroup() as tg:
                tg.create_task(
                    ctx.wait_until(
                        CMS, lambda objs: len(objs) == 3, namespace="default", milestone="three exist"
                    )
                )
                for i in range(3):
                    await asyncio.sleep(0)
                    await ctx.client.create(CMS, configmap(f"m-{i}"), namespace="default")
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await ctx.wait_until(
                        CMS, lambda objs: len(objs) == 4, namespace="default", milestone="never"
                    )

    [(_, [m])] = await run_rows([row(Variant("shoal", deploy))], progress=False)
    assert list(m.milestones) == ["three exist"]
    assert 0 <= m.milestones["three exist"] <= m.wall_seconds


async def test_explicit_samples_replace_the_window_sample() -> None:
    async def concurrent(ctx: VariantContext) -> None:
        async with ctx.measure():
            for seconds in (0.001, 0.003, 0.002):
                ctx.sample(seconds)

    [(_, [m])] = await run_rows([row(Variant("shoal", concurrent))], progress=False)
    assert sorted(m.samples) == [0.001, 0.002, 0.003]
    assert m.median == 0.002


def test_run_bench_writes_json_markdown_png_and_profile(tmp_path: Path) -> None:
    scaled = Row(
        key="T-2",
        title="scaled row",
        variants=(Variant("before", unwindowed), Variant("shoal", unwindowed)),
        ideal_seconds=0.0005,
        time_scale=0.01,
        goal_seconds=1.0,
    )
    options = BenchOptions(out_dir=tmp_path, quick=True, profile=True)
    report = run_bench(
        "harness-test", "a test scenario", [row(Variant("shoal", two_creates)), scaled], options
    )
    assert isinstance(report, Report)
    for ext in ("json", "md", "png", "prof"):
        assert (tmp_path / f"harness-test.{ext}").stat().st_size > 0
    data = orjson.loads((tmp_path / "harness-test.json").read_bytes())
    assert [r["key"] for r in data["rows"]] == ["T-1", "T-2"]
    t2 = data["rows"][1]
    assert t2["time_scale"] == 0.01
    assert t2["goal_met"] in (True, False)
    assert t2["before_over_shoal"] > 0
    assert [v["variant"] for v in t2["variants"]] == ["before", "shoal"]
    assert data["rows"][0]["variants"][0]["calls_by_verb_per_window"] == {"create": 2.0, "get": 1.0}
    markdown = (tmp_path / "harness-test.md").read_text()
    assert "| T-1 test row | shoal |" in markdown
    assert "T-2 runs time-scaled x0.01" in markdown
    assert (tmp_path / "harness-test.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("spin_seconds", [SPIN_SECONDS, SOLE_PROCESS_SPIN_SECONDS])
def test_precise_loop_never_wakes_a_timer_early_and_still_sees_io(spin_seconds: float) -> None:
    """The polled tail (or a wait polled whole) must not return before the deadline, nor hide a
    descriptor that became ready."""
    import socket

    loop = precise_event_loop(spin_seconds)
    try:

        async def main() -> None:
            started, polled = loop.time(), polling_seconds()
            await asyncio.sleep(0.001)
            assert loop.time() - started >= 0.001
            assert polling_seconds() > polled, "the polled tail is counted, for the CPU figure to leave out"
            left, right = socket.socketpair()
            with left, right:
                got: asyncio.Future[bytes] = loop.create_future()
                loop.add_reader(left, lambda: got.set_result(left.recv(1)))
                loop.call_later(0.0001, right.send, b"x")
                assert await asyncio.wait_for(got, 1.0) == b"x"
                loop.remove_reader(left)

        loop.run_until_complete(main())
    finally:
        loop.close()


def test_precise_loop_rejects_a_negative_spin() -> None:
    with pytest.raises(ValueError, match="spin_seconds"):
        precise_event_loop(-0.001)


def test_short_polling_makes_a_sole_process_loop_sleep_through_most_of_a_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A loop that polls waits of up to 5 ms whole sleeps through a 2 ms wait's start inside
    ``short_polling`` (the profiled pass), and not outside it."""
    import select as select_module

    from shoal.bench import _loop

    timed: list[float] = []
    real_select = select_module.select

    def recording_select(r: Any, w: Any, x: Any, timeout: float | None = None) -> Any:
        if timeout:
            timed.append(timeout)
        return real_select(r, w, x, timeout)

    monkeypatch.setattr(_loop.select, "select", recording_select)
    loop = precise_event_loop(SOLE_PROCESS_SPIN_SECONDS)
    try:
        loop.run_until_complete(asyncio.sleep(0.002))
        assert timed == []
        with _loop.short_polling():
            loop.run_until_complete(asyncio.sleep(0.002))
        assert len(timed) == 1
        assert timed[0] <= 0.002 - SPIN_SECONDS
    finally:
        loop.close()


async def test_a_missed_goal_fails_the_command_at_full_size_only() -> None:
    unreachable = Row(
        key="T-3",
        title="a goal no run meets",
        variants=(Variant("shoal", unwindowed),),
        ideal_seconds=0.0005,
        goal_seconds=1e-9,
    )
    met = Row(
        key="T-4",
        title="a goal every run meets",
        variants=(Variant("shoal", unwindowed),),
        ideal_seconds=0.0005,
        goal_seconds=60.0,
    )
    results = await run_rows([unreachable, met], progress=False)
    full = Report.from_results("goals", "test", results)
    assert full.missed_goals == ["T-3"]
    assert full.exit_status() == 1
    assert Report.from_results("goals", "test", results, quick=True).exit_status() == 0
    assert Report.from_results("goals", "test", results[1:]).exit_status() == 0


def test_the_patterns_goals_are_judged_on_every_row_that_has_one() -> None:
    from shoal.bench._patterns import missed_goals

    good = {
        "gitpod": {"shoal_ms": 2.068},
        "overhead": {"gather_us_per_item": 8.3, "bounded_map_us_per_item": 3.8},
        "argo": {"shoal_calls": 1},
    }
    assert missed_goals(good) == []
    bad = {
        "gitpod": {"shoal_ms": 2.11},
        "overhead": {"gather_us_per_item": 8.3, "bounded_map_us_per_item": 21.0},
        "argo": {"shoal_calls": 2},
    }
    assert missed_goals(bad) == ["gitpod: 2 Secret creates", "overhead per item", "argo: single-flight"]
