"""The event recorder: Kubernetes ``core/v1`` Events about the objects a controller manages.

``kubectl describe`` shows these Events under the object, which is where operators look first. The
recorder posts each one through the client and is awaited by the reconciler, so an Event cannot outlive
the reconcile that wrote it. A failed post is logged and dropped: an Event is an observation, never a
reason to fail or retry a reconcile.
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Literal

from shoal.api import ApiError, GroupVersionResource, Object
from shoal.client import Client

log = logging.getLogger(__name__)

EVENTS = GroupVersionResource("", "v1", "events")

EventType = Literal["Normal", "Warning"]


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EventRecorder:
    """Posts Events whose ``source.component`` is the controller's name."""

    __slots__ = ("client", "component")

    def __init__(self, client: Client, component: str) -> None:
        self.client = client
        self.component = component

    async def event(self, obj: Object, event_type: EventType, reason: str, message: str) -> Object | None:
        """Record that ``reason`` happened to ``obj``; return the Event, or ``None`` if posting failed.

        Args:
            obj: the object the Event is about (needs ``apiVersion``, ``kind`` and ``metadata.name``).
            event_type: ``"Normal"`` or ``"Warning"``.
            reason: a short UpperCamelCase machine word (``Created``, ``FailedSync``).
            message: a human sentence.
        """
        meta = obj.get("metadata") or {}
        namespace = str(meta.get("namespace") or "default")
        name = str(meta.get("name") or "")
        stamp = _now()
        involved = {
            "apiVersion": obj.get("apiVersion", ""),
            "kind": obj.get("kind", ""),
            "name": name,
            "namespace": str(meta.get("namespace") or ""),
            "uid": meta.get("uid", ""),
            "resourceVersion": meta.get("resourceVersion", ""),
        }
        event: Object = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{name}.{time.time_ns():x}", "namespace": namespace},
            "involvedObject": {k: v for k, v in involved.items() if v},
            "reason": reason,
            "message": message,
            "type": event_type,
            "source": {"component": self.component},
            "reportingComponent": self.component,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        try:
            return await self.client.create(EVENTS, event, namespace=namespace)
        except ApiError as exc:
            log.warning(
                "%s: could not record event %s on %s/%s: %s", self.component, reason, namespace, name, exc
            )
            return None
