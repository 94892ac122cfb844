"""Pool scale-up: create the fastlet Pods a pool lacks, many at a time.

The seed keeps a minimum of fastlet Pods per pool (``PoolMin``/``BufferMin``) and, when it must add
some, creates them one after another: 100 Pods at 5 ms a create take 0.5 s, or 1 s when the client's
100 QPS is the limit. :func:`scale_up` creates the missing Pods with ``concurrency`` creates in flight
(:func:`shoal.fanout.bounded_map`), so the time is the larger of the client's rate limit and a few
create latencies.

Pods are named by index (``<pool>-fastlet-<i>``) and labelled with their pool, so a scale-up is
idempotent: it counts the Pods the pool already has, creates only the missing indices, and takes an
``AlreadyExists`` (a Pod another scale-up created meanwhile) as done.
"""

from __future__ import annotations

from shoal.api import AlreadyExistsError, GroupVersionResource, Object
from shoal.client import Client
from shoal.fanout import bounded_map

from ._model import GROUP

PODS = GroupVersionResource("", "v1", "pods")
POOL_LABEL = f"{GROUP}/pool"
FASTLET_IMAGE = "shoal.dev/fastlet:latest"


def fastlet_pod(pool: str, namespace: str, index: int, image: str = FASTLET_IMAGE) -> Object:
    """The Pod of fastlet ``index`` of ``pool``."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{pool}-fastlet-{index}",
            "namespace": namespace,
            "labels": {POOL_LABEL: pool},
        },
        "spec": {"containers": [{"name": "fastlet", "image": image}]},
    }


async def scale_up(
    client: Client, pool: str, namespace: str, *, want: int, concurrency: int = 16
) -> list[str]:
    """Create Pods until ``pool`` has ``want`` of them; returns the names created, in index order.

    ``concurrency`` 1 is the seed's sequential loop.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    listed = await client.list(PODS, namespace=namespace, label_selector=f"{POOL_LABEL}={pool}")
    have = {item["metadata"]["name"] for item in listed.get("items", [])}
    missing = [i for i in range(want) if f"{pool}-fastlet-{i}" not in have]
    room = max(0, want - len(have))

    async def create(index: int) -> str | None:
        try:
            await client.create(PODS, fastlet_pod(pool, namespace, index), namespace=namespace)
        except AlreadyExistsError:
            return None
        return f"{pool}-fastlet-{index}"

    created = await bounded_map(create, missing[:room], limit=concurrency, ordered=True).collect()
    return [name for name in created if name is not None]
