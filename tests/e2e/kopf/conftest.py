"""Fixtures of the kopf suite: Shoal's HttpClient on the session's simulator, driving the objects."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from shoal.client import HttpClient


@pytest.fixture
async def shoal_client(server_url: str) -> AsyncIterator[HttpClient]:
    async with HttpClient.from_url(
        server_url, registry=CollectorRegistry(), user_agent="shoal-e2e"
    ) as client:
        yield client
