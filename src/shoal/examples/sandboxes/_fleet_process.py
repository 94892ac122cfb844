"""A fastlet fleet served from a child process, so its HTTP server does not share the controller's core.

Real fastlets run on their own nodes: their request parsing and reply writing never cost the
controller CPU. A :class:`FastletFleet` in the controller's own event loop does, and on a small machine
that cost (about a tenth of a millisecond per request for each side) is what a heartbeat sweep of 1,000
fastlets measures instead of the controller. :class:`FastletFleetProcess` runs the same fleet in a
spawned process on 127.0.0.1 with port 0, and the child reports its bound URL over a pipe once it
listens (the ready handshake).

The child runs on a ``select(2)`` loop (microsecond timers, so the injected latency is the one
measured), which limits it to about 1,000 open connections: size the client's pools below that.

``async with`` owns the child: leaving the block asks it to stop, waits for it, and kills it only if it
does not exit in time. The child also stops on its own when the pipe closes, so a parent that dies does
not leave a server behind. The fleet's books stay in the child; :meth:`set_reachable` and :meth:`books`
reach them over the pipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from shoal.bench import precise_event_loop, reduce_timer_slack

from ._fastlets import FastletFleet, FastletLatency
from ._model import FastletSpec

START_TIMEOUT = 60.0
"""Seconds the child may take to import, bind and report its URL."""
STOP_TIMEOUT = 10.0
"""Seconds the child may take to stop before it is killed."""


async def _serve(fleet: FastletFleet, conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[tuple[Any, ...] | None] = asyncio.Queue()

    def readable() -> None:
        try:
            commands.put_nowait(conn.recv())
        except (EOFError, OSError):
            loop.remove_reader(conn.fileno())
            commands.put_nowait(None)

    async with fleet:
        conn.send(("ready", fleet.base_url))
        loop.add_reader(conn.fileno(), readable)
        while (command := await commands.get()) is not None:
            if command[0] == "stop":
                loop.remove_reader(conn.fileno())
                break
            if command[0] == "reachable":
                fleet.set_reachable(command[1], command[2])
                conn.send(("ok", None))
            elif command[0] == "books":
                conn.send(("ok", {name: f.books() for name, f in fleet.fastlets.items()}))


def _child(specs: list[FastletSpec], latency: FastletLatency, conn: Connection) -> None:
    try:
        # The injected latency is the fleet's whole job: serve it on a loop whose timers are precise.
        reduce_timer_slack()
        with asyncio.Runner(loop_factory=precise_event_loop) as runner:
            runner.run(_serve(FastletFleet(specs, latency=latency), conn))
    except OSError as error:
        conn.send(("error", repr(error)))
    finally:
        conn.close()


class FastletFleetProcess:
    """Serves ``specs`` from a spawned process. ``async with`` starts it and stops it."""

    def __init__(self, specs: list[FastletSpec], *, latency: FastletLatency | None = None) -> None:
        self._specs = list(specs)
        self.latency = latency or FastletLatency()
        self.base_url = ""
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._lock = asyncio.Lock()

    def address(self, name: str) -> str:
        return f"{self.base_url}/fastlets/{name}"

    def specs(self) -> list[FastletSpec]:
        """Every fastlet's spec with its address on the child's server."""
        return [
            FastletSpec(s.name, s.pool, s.namespace, s.capacity, s.images, self.address(s.name))
            for s in self._specs
        ]

    async def __aenter__(self) -> FastletFleetProcess:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_child, args=(self._specs, self.latency, child), name="shoal-fastlet-fleet", daemon=True
        )
        process.start()
        child.close()
        self._conn, self._process = parent, process
        try:
            kind, payload = await self._receive(START_TIMEOUT)
        except BaseException:
            await self._stop()
            raise
        if kind != "ready":
            await self._stop()
            raise RuntimeError(f"the fastlet fleet process did not start: {payload}")
        self.base_url = str(payload)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stop()

    async def set_reachable(self, name: str, reachable: bool) -> None:
        """An unreachable fastlet answers every call with 503 (see :meth:`FastletFleet.set_reachable`)."""
        await self._command("reachable", name, reachable)

    async def books(self) -> dict[str, dict[str, Any]]:
        """Each fastlet's own books: ``sandboxes`` (key → ports), ``creates``, ``rejected``, ``probes``."""
        books = await self._command("books")
        return books if isinstance(books, dict) else {}

    async def _command(self, *command: Any) -> Any:
        async with self._lock:
            if self._conn is None:
                raise RuntimeError("the fastlet fleet process is not running: use `async with`")
            self._conn.send(command)
            kind, payload = await self._receive(STOP_TIMEOUT)
        if kind != "ok":
            raise RuntimeError(f"the fastlet fleet process failed: {payload}")
        return payload

    async def _receive(self, seconds: float) -> tuple[str, Any]:
        conn = self._conn
        if conn is None:
            raise RuntimeError("the fastlet fleet process is not running")
        ready = await asyncio.to_thread(conn.poll, seconds)
        if not ready:
            raise TimeoutError(f"the fastlet fleet process did not answer within {seconds:g} s")
        try:
            kind, payload = conn.recv()
        except EOFError:
            return "error", "the process exited"
        return str(kind), payload

    async def _stop(self) -> None:
        conn, self._conn = self._conn, None
        process, self._process = self._process, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send(("stop",))
        if process is not None:
            await asyncio.to_thread(process.join, STOP_TIMEOUT)
            if process.is_alive():
                process.kill()
                await asyncio.to_thread(process.join)
            process.close()
        if conn is not None:
            conn.close()
        self.base_url = ""
