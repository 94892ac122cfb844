"""The fleet's HTTP/1.1 server protocol and the controller's keep-alive pool, against each other and raw peers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable

import orjson
import pytest

from shoal.api import NotFoundError, ServerTimeoutError, ServiceUnavailableError
from shoal.examples.sandboxes import (
    FastletClient,
    FastletFleet,
    FastletLatency,
    FastletSpec,
    SandboxRegistry,
    SandboxRequest,
)
from shoal.examples.sandboxes._http_pool import Http1Pool

SPECS = [FastletSpec(f"f{i}", "pool", "default", 2, frozenset({"alpine"})) for i in range(3)]


async def raw_exchange(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    await writer.wait_closed()
    return data


async def test_pipelined_requests_are_answered_in_order_on_one_connection() -> None:
    async with FastletFleet(SPECS, latency=FastletLatency(status=0.02)) as fleet:
        body = orjson.dumps({"name": "s1", "namespace": "default", "ports": [80]})
        request = (
            b"GET /fastlets/f0/api/v1/fastlet/status HTTP/1.1\r\nHost: x\r\n\r\n"
            + b"POST /fastlets/f1/api/v1/fastlet/create HTTP/1.1\r\nHost: x\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
            + b"GET /fastlets/nobody/api/v1/fastlet/status HTTP/1.1\r\nConnection: close\r\n\r\n"
        )
        data = await raw_exchange(fleet.base_url, request)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", data)
    # The status probe is slower than the create, yet its reply comes first.
    assert statuses == [b"200", b"201", b"404"]
    assert fleet.fastlets["f1"].sandboxes == {"default/s1": (80,)}


@pytest.mark.parametrize(
    ("request_bytes", "code"),
    [
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"POST /fastlets/f0/api/v1/fastlet/create HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"400"),
        (
            b"POST /fastlets/f0/api/v1/fastlet/create HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\n[1]",
            b"400",
        ),
        (b"GET /fastlets/f0/api/v1/fastlet/create HTTP/1.1\r\nConnection: close\r\n\r\n", b"405"),
        (b"GET /elsewhere HTTP/1.1\r\nConnection: close\r\n\r\n", b"404"),
    ],
)
async def test_bad_requests_get_a_status_and_leave_the_books_alone(request_bytes: bytes, code: bytes) -> None:
    async with FastletFleet(SPECS, latency=FastletLatency(create=0.0)) as fleet:
        data = await raw_exchange(fleet.base_url, request_bytes)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == code
    assert orjson.loads(body)["kind"] == "Status"
    assert all(not f.sandboxes and f.creates == 0 for f in fleet.fastlets.values())


async def test_the_client_keeps_connections_open_and_within_its_limit() -> None:
    async with (
        FastletFleet(SPECS, latency=FastletLatency(status=0.01)) as fleet,
        FastletClient(probe_connections=4) as client,
    ):
        address = fleet.address("f0")
        async with asyncio.TaskGroup() as tg:
            for _ in range(20):
                tg.create_task(client.status(address, seconds=5))
        opened = len(fleet._connections)
        for _ in range(5):
            await client.status(address, seconds=5)
        assert opened <= 4
        assert len(fleet._connections) == opened, "sequential probes reuse open connections"
        assert fleet.fastlets["f0"].probes == 25


async def test_client_errors_map_to_the_api_error_tree() -> None:
    async with (
        FastletFleet(SPECS, latency=FastletLatency(status=0.5)) as fleet,
        FastletClient() as client,
    ):
        with pytest.raises(NotFoundError):
            await client.status(fleet.address("ghost"), seconds=5)
        with pytest.raises(ServerTimeoutError):
            await client.status(fleet.address("f0"), seconds=0.05)
        fleet.set_reachable("f1", False)
        with pytest.raises(ServiceUnavailableError):
            await client.status(fleet.address("f1"), seconds=5)
        fleet.set_reachable("f1", True)
        registry = SandboxRegistry()
        for spec in fleet.specs():
            registry.register(spec)
        allocation = registry.allocate(SandboxRequest("s", "default", "pool", "alpine", (81,)))
        assert (await client.create(allocation))["sandboxID"] == "default/s"
        await client.delete(allocation)
        assert fleet.fastlets[allocation.fastlet].sandboxes == {}
    with pytest.raises(ServiceUnavailableError):
        await FastletClient().status("ftp://127.0.0.1:1/x", seconds=1)


Reply = Callable[[bytes], bytes]


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Reply], asyncio.Future[str]]]:
    """Start a server that answers every request head with ``reply(head)``; yields a starter."""
    servers: list[asyncio.Server] = []

    async def start(reply: Reply) -> str:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while head := await reader.readuntil(b"\r\n\r\n"):
                    answer = reply(head)
                    writer.write(answer)
                    await writer.drain()
                    if b"Connection: close" in answer or b"Content-Length" not in answer:
                        break
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start  # type: ignore[misc]
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_the_pool_reads_chunked_and_close_delimited_responses(
    raw_server: Callable[[Reply], asyncio.Future[str]],
) -> None:
    chunked = await raw_server(
        lambda _: (
            b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3;x=y\r\n:1}\r\n0\r\n\r\n'
        )
    )
    delimited = await raw_server(lambda _: b'HTTP/1.0 200 OK\r\n\r\n{"b": 2}')
    garbage = await raw_server(lambda _: b"SMTP ready\r\n\r\n")
    truncated = await raw_server(
        lambda _: b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{}"
    )
    pool = Http1Pool(2)
    try:
        assert await pool.request("GET", f"{chunked}/x", seconds=5) == (200, b'{"a":1}')
        assert await pool.request("GET", f"{chunked}/x", seconds=5) == (200, b'{"a":1}')
        assert await pool.request("GET", f"{delimited}/y", seconds=5) == (200, b'{"b": 2}')
        with pytest.raises(ValueError, match="not an HTTP"):
            await pool.request("GET", f"{garbage}/z", seconds=5)
        with pytest.raises(ConnectionResetError):
            await pool.request("GET", f"{truncated}/t", seconds=5)
    finally:
        pool.close()
