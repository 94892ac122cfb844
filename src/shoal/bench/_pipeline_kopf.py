"""kopf's side of ``shoal bench pipeline``: an ``@kopf.on.event`` handler that only reports the key.

Run unmodified by the benchmark as ``python -m kopf run --standalone -A <this file>`` with ``KUBECONFIG``
pointing at the simulator. ``on.event`` is kopf's level-based handler (no progress annotations, no
patches), the closest twin of a no-op reconcile. Event posting is off; ``queueing.worker_limit`` keeps
its default (unlimited). Each event writes one ``<name> <monotonic seconds>`` line to the Unix socket
named by ``SHOAL_BENCH_RECORD_SOCKET`` (one small ``send`` on a connected socket, cheaper than any
handler body a real operator has); a ``startup`` line marks when kopf's startup handlers ran.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import kopf

GROUP, VERSION, PLURAL = os.environ.get("SHOAL_BENCH_RESOURCE", "bench.shoal.dev/v1/probes").split("/")
_sink = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.posting.enabled = False
    _sink.connect(os.environ["SHOAL_BENCH_RECORD_SOCKET"])
    _sink.sendall(f"startup {time.monotonic()}\n".encode())


@kopf.on.event(GROUP, VERSION, PLURAL)
async def observed(name: str, type: str | None, **_: Any) -> None:  # noqa: A002 - kopf's keyword
    if type != "DELETED":
        _sink.sendall(f"{name} {time.monotonic()}\n".encode())
