"""Value types shared by every Client implementation and by the simulator: watch events, patch kinds.

They sit in ``shoal.api`` (not ``shoal.client``) because the simulator implements the Client protocol
structurally and may import nothing above ``shoal.api``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal

from ._gvk import Object

WatchEventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One event of a watch stream. ``object`` is the full object (for BOOKMARK, only metadata)."""

    type: WatchEventType
    object: Object


class PatchType(enum.StrEnum):
    """The patch formats, valued by their ``Content-Type``."""

    JSON = "application/json-patch+json"
    MERGE = "application/merge-patch+json"
    STRATEGIC = "application/strategic-merge-patch+json"
    APPLY = "application/apply-patch+yaml"


PropagationPolicy = Literal["Background", "Foreground", "Orphan"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Preconditions:
    """Delete only if the object still has this uid / resourceVersion (else 409 Conflict)."""

    uid: str | None = None
    resource_version: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListOptions:
    """The query of a list or watch, with Kubernetes' defaults.

    ``resource_version``: ``None``/``""`` = most recent (consistent read); ``"0"`` = any (served from the
    store as is); ``"N"`` = not older than N for lists, and "changes after N" for watches.
    """

    label_selector: str = ""
    field_selector: str = ""
    limit: int = 0
    continue_: str = ""
    resource_version: str | None = None
    resource_version_match: str | None = None
    timeout_seconds: float | None = None
    allow_bookmarks: bool = False
    send_initial_events: bool = False
    extra: dict[str, str] = field(default_factory=dict)
