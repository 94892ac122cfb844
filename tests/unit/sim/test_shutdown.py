"""Shutting the HTTP door down ends the watch streams it serves, each as a complete response."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson

from shoal.api import GVR
from shoal.sim import Simulator, serve

CONFIGMAPS = GVR("", "v1", "configmaps")
WATCH = "/api/v1/namespaces/default/configmaps?watch=true"


async def test_shutdown_ends_a_watch_its_client_stopped_reading_with_a_complete_response() -> None:
    async with aiohttp.ClientSession() as http:
        async with Simulator() as sim:
            await sim.client().create(CONFIGMAPS, {"metadata": {"name": "a", "namespace": "default"}})
            async with serve(sim) as served:
                response = await http.get(served.url + WATCH)
                first = orjson.loads(await response.content.readline())
                assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "a")
                assert len(served.api.watches) == 1
            assert len(served.api.watches) == 0
        # The server ended the stream itself: the chunked body is complete, not cut off.
        assert await response.read() == b""
        response.release()


async def test_a_watch_opened_once_the_streams_were_ended_ends_at_once() -> None:
    async with Simulator() as sim, serve(sim) as served, aiohttp.ClientSession() as http:
        served.api.watches.end_all()
        async with asyncio.timeout(10), http.get(served.url + WATCH) as response:  # a guard, not a measure
            assert response.status == 200
            assert await response.read() == b""
