"""Fixtures of the controller tests: a fresh simulator and a manager factory with its own registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from shoal.api import GroupVersionResource
from shoal.cache import CacheOptions, ReflectorOptions
from shoal.client import Client
from shoal.controller import Manager, ManagerOptions
from shoal.sim import Simulator

CMS = GroupVersionResource("", "v1", "configmaps")
SECRETS = GroupVersionResource("", "v1", "secrets")
EVENTS = GroupVersionResource("", "v1", "events")


def configmap(name: str, namespace: str = "default", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def options(**changes: Any) -> ManagerOptions:
    """Manager options for tests: no HTTP server, a private metrics registry, fast cache retries."""
    base: dict[str, Any] = {
        "http_port": 0,
        "registry": CollectorRegistry(),
        "cache": CacheOptions(reflector=ReflectorOptions(backoff_initial=0.01, backoff_max=0.05), debug=True),
        "graceful_shutdown_timeout": 5.0,
    }
    base.update(changes)
    return ManagerOptions(**base)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator() as simulator:
        yield simulator


@pytest.fixture
def client(sim: Simulator) -> Client:
    return sim.client()


@pytest.fixture
def manager(client: Client) -> Manager:
    return Manager(client, options=options())


def sample(registry: CollectorRegistry | None, metric: str, **labels: str) -> float:
    assert registry is not None
    value = registry.get_sample_value(metric, labels)
    return 0.0 if value is None else value
