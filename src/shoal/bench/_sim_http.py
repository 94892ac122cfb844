"""``shoal bench sim-http``: write throughput of the simulator's HTTP door with watchers attached.

The server (simulator + HTTP door) runs in this process; the load comes from a separate process so the
client's parsing and connection handling do not share the server's core. The load process opens
``watchers`` watch streams on configmaps, then creates ``writes`` configmaps with ``concurrency`` requests
in flight over keep-alive connections, and reports when the last create returned and when every watcher
had seen every object. The same creates through the in-process client give the reference figure (the
store's own cost, no HTTP), so the report can state what the HTTP door costs as a ratio.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import time
from collections.abc import Coroutine
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import aiohttp
import orjson

from shoal.api import GroupVersionResource
from shoal.bench import BenchOptions
from shoal.sim import Simulator, serve

CONFIGMAPS = GroupVersionResource("", "v1", "configmaps")
NAMESPACE = "default"
GOAL_WRITES_PER_SECOND = 5000.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Load:
    url: str
    writes: int
    concurrency: int
    watchers: int
    resource_version: str


@dataclass(frozen=True, slots=True)
class LoadResult:
    write_seconds: float
    delivery_seconds: float
    latencies_ms: list[float]
    events_seen: list[int]
    errors: int


def _configmap(i: int) -> bytes:
    return orjson.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"bench-{i}"},
            "data": {"index": str(i)},
        }
    )


async def _watch(
    session: aiohttp.ClientSession, load: Load, expected: int, seen: list[int], slot: int
) -> None:
    path = f"/api/v1/namespaces/{NAMESPACE}/configmaps?watch=true&resourceVersion={load.resource_version}"
    async with session.get(path) as response:
        response.raise_for_status()
        async for chunk in response.content.iter_any():
            seen[slot] += chunk.count(b"\n")
            if seen[slot] >= expected:
                return


async def _generate(load: Load) -> LoadResult:
    path = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
    headers = {"Content-Type": "application/json", "User-Agent": "shoal-bench-sim-http"}
    connector = aiohttp.TCPConnector(limit=load.concurrency + load.watchers + 4)
    seen = [0] * load.watchers
    latencies: list[float] = []
    errors = 0
    next_index = 0
    async with aiohttp.ClientSession(base_url=load.url, connector=connector) as session:

        async def writer() -> None:
            nonlocal next_index, errors
            while next_index < load.writes:
                index = next_index
                next_index += 1
                began = time.perf_counter()
                async with session.post(path, data=_configmap(index), headers=headers) as response:
                    await response.read()
                    if response.status != 201:
                        errors += 1
                latencies.append((time.perf_counter() - began) * 1000)

        async with asyncio.timeout(120), asyncio.TaskGroup() as watches:
            for slot in range(load.watchers):
                watches.create_task(_watch(session, load, load.writes, seen, slot))
            await asyncio.sleep(0.5)
            began = time.perf_counter()
            async with asyncio.TaskGroup() as writers:
                for _ in range(load.concurrency):
                    writers.create_task(writer())
            write_seconds = time.perf_counter() - began
        delivery_seconds = time.perf_counter() - began
    return LoadResult(write_seconds, delivery_seconds, latencies, seen, errors)


def _run_loop(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def _load_process(load: Load, conn: Connection) -> None:
    try:
        conn.send(("ok", asdict(_run_loop(_generate(load)))))
    except (aiohttp.ClientError, OSError, TimeoutError, ExceptionGroup) as exc:
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


async def _inprocess_baseline(writes: int, concurrency: int) -> float:
    async with Simulator() as sim:
        client = sim.client(user_agent="shoal-bench-inprocess")
        next_index = 0

        async def writer() -> None:
            nonlocal next_index
            while next_index < writes:
                index = next_index
                next_index += 1
                await client.create(CONFIGMAPS, orjson.loads(_configmap(index)), namespace=NAMESPACE)

        began = time.perf_counter()
        async with asyncio.TaskGroup() as tasks:
            for _ in range(concurrency):
                tasks.create_task(writer())
        return time.perf_counter() - began


async def _run_http(writes: int, concurrency: int, watchers: int) -> tuple[LoadResult, int]:
    context = multiprocessing.get_context("spawn")
    async with Simulator(watch_queue_size=max(10_000, writes + 100)) as sim, serve(sim) as served:
        listed = await sim.client().list(CONFIGMAPS, namespace=NAMESPACE)
        load = Load(served.url, writes, concurrency, watchers, listed["metadata"]["resourceVersion"])
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_load_process, args=(load, sender), name="shoal-bench-load")
        process.start()
        sender.close()
        loop = asyncio.get_running_loop()
        try:
            status, payload = await loop.run_in_executor(None, _receive, receiver)
        finally:
            await loop.run_in_executor(None, process.join, 30)
        if status != "ok":
            raise RuntimeError(f"load process failed: {payload}")
        return LoadResult(**payload), sim.accounting.count(verb="create", resource="configmaps")


def _receive(conn: Connection) -> Any:
    try:
        return conn.recv()
    except EOFError:
        return ("error", "the load process exited without a result")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _report(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    lines = [f"| {'measure':<{width}} | value |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {k:<{width}} | {v} |" for k, v in rows]
    return "\n".join(lines)


def run(options: BenchOptions) -> int:
    """Run the scenario, print the table, write ``sim-http.json`` and ``sim-http.md``."""
    writes = 500 if options.quick else max(100, int(20_000 * options.scale))
    concurrency, watchers = (8, 2) if options.quick else (64, 10)
    result, counted = _run_loop(_run_http(writes, concurrency, watchers))
    baseline = _run_loop(_inprocess_baseline(writes, concurrency))
    http_rate = writes / result.write_seconds
    inprocess_rate = writes / baseline
    complete = all(n >= writes for n in result.events_seen)
    figures: dict[str, Any] = {
        "writes": writes,
        "concurrency": concurrency,
        "watchers": watchers,
        "http_writes_per_second": round(http_rate, 1),
        "inprocess_writes_per_second": round(inprocess_rate, 1),
        "http_over_inprocess_time": round(inprocess_rate / http_rate, 2),
        "watch_events_delivered_per_second": round(writes * watchers / result.delivery_seconds, 1),
        "create_latency_ms_p50": round(statistics.median(result.latencies_ms), 2),
        "create_latency_ms_p99": round(_percentile(result.latencies_ms, 0.99), 2),
        "every_watcher_saw_every_write": complete,
        "server_counted_creates": counted,
        "errors": result.errors,
        "goal_writes_per_second": GOAL_WRITES_PER_SECOND,
        "goal_met": http_rate >= GOAL_WRITES_PER_SECOND,
        "quick": options.quick,
    }
    rows = [(k, str(v)) for k, v in figures.items()]
    table = _report(rows)
    print(table)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    (options.out_dir / "sim-http.json").write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    (options.out_dir / "sim-http.md").write_text(f"# shoal bench sim-http\n\n{table}\n")
    ok = complete and result.errors == 0 and counted == writes
    return 0 if ok else 1
