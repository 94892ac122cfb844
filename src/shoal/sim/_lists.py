"""Reading a resource as a list: resourceVersion semantics, selectors, ``limit``/``continue`` paging.

A paged list must show one consistent revision across all its pages even while writes go on, as etcd
does. The continue token therefore carries the list's revision and the last key served; the next page
reads the resource as it was at that revision (rebuilt from the store's history), and a token whose
revision has been compacted away gets 410 Expired, which tells the client to start over.
"""

from __future__ import annotations

import base64
import binascii
import bisect
from dataclasses import dataclass

import orjson

from shoal.api import BadRequestError, GoneError, Object, ServerTimeoutError
from shoal.api._fields import FieldSelector, check_supported, selects
from shoal.api._selectors import LabelSelector

from ._objects import meta
from ._resources import ResourceInfo
from ._store import Key, Store

_TOKEN_VERSION = "meta.k8s.io/v1"


def encode_continue(revision: int, last: Key) -> str:
    """An opaque token: base64 of ``{"v", "rv", "start"}`` (the next page starts after ``last``)."""
    raw = orjson.dumps({"v": _TOKEN_VERSION, "rv": revision, "start": list(last)})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, Key]:
    """Inverse of :func:`encode_continue`; 400 BadRequest for a token this server did not issue."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = orjson.loads(raw)
        if data.get("v") != _TOKEN_VERSION:
            raise ValueError("unknown version")
        revision, start = int(data["rv"]), data["start"]
        if revision <= 0 or not isinstance(start, list) or len(start) != 2:
            raise ValueError("malformed")
        return revision, (str(start[0]), str(start[1]))
    except (ValueError, TypeError, KeyError, AttributeError, binascii.Error, orjson.JSONDecodeError):
        raise BadRequestError(f"continue key is not valid: {token!r}") from None


@dataclass(frozen=True, slots=True)
class Filter:
    """A namespace plus parsed label and field selectors, checked against what the kind supports."""

    namespace: str | None
    labels: LabelSelector
    fields: FieldSelector
    extra_paths: tuple[str, ...]

    @classmethod
    def parse(
        cls, info: ResourceInfo, namespace: str | None, label_selector: str, field_selector: str
    ) -> Filter:
        labels = LabelSelector.parse(label_selector)
        fields = FieldSelector.parse(field_selector)
        check_supported(fields, info.gvk, info.selectable_fields)
        return cls(namespace if info.namespaced else None, labels, fields, info.selectable_fields)

    @property
    def selective(self) -> bool:
        return not (self.labels.empty and self.fields.empty)

    def matches(self, obj: Object) -> bool:
        m = meta(obj)
        if self.namespace is not None and m.get("namespace") != self.namespace:
            return False
        if not self.labels.empty and not self.labels.matches(m.get("labels")):
            return False
        return self.fields.empty or selects(self.fields, obj, self.extra_paths)


def parse_revision(text: str, store: Store) -> int:
    """A client-sent resourceVersion as an int; 400 if not a number, 504 if newer than the store."""
    try:
        revision = int(text)
        if revision < 0:
            raise ValueError(text)
    except ValueError:
        raise BadRequestError(f'Invalid value: "{text}": invalid resource version') from None
    if revision > store.revision:
        raise ServerTimeoutError(
            f"Too large resource version: {revision}, current: {store.revision}", retry_after=1
        )
    return revision


def read_list(
    store: Store,
    info: ResourceInfo,
    selection: Filter,
    *,
    limit: int = 0,
    continue_: str = "",
    resource_version: str | None = None,
    resource_version_match: str | None = None,
) -> tuple[list[Object], dict[str, object]]:
    """The items of one list page and the list's metadata (resourceVersion, continue, remainingItemCount)."""
    storage = info.storage
    start: Key | None = None
    if continue_:
        if resource_version not in (None, "", "0"):
            raise BadRequestError("specifying resource version is not allowed when using continue")
        revision, start = decode_continue(continue_)
        try:
            state = store.state_at(storage, revision)
        except GoneError:
            raise GoneError(
                "The provided continue parameter is too old to display a consistent list result. You can "
                "start a new list without the continue parameter, or use the continue value from the "
                "response to get the remaining items."
            ) from None
    else:
        revision = store.revision
        exact = resource_version_match == "Exact" or (
            resource_version_match is None and limit > 0 and resource_version not in (None, "", "0")
        )
        if resource_version_match not in (None, "", "Exact", "NotOlderThan"):
            raise BadRequestError(f'Invalid value: "{resource_version_match}": resourceVersionMatch')
        if resource_version not in (None, "", "0"):
            requested = parse_revision(str(resource_version), store)
            if exact:
                revision = requested
        state = store.state_at(storage, revision) if revision < store.revision else store.objects(storage)
    if selection.namespace is not None:
        keys = sorted(k for k in state if k[0] == selection.namespace)
    else:
        keys = sorted(state)
    if start is not None:
        keys = keys[_after(keys, start) :]
    items: list[Object] = []
    out_meta: dict[str, object] = {"resourceVersion": str(revision)}
    consumed = 0
    for key in keys:
        obj = state[key]
        consumed += 1
        if selection.selective and not selection.matches(obj):
            continue
        items.append(obj)
        if limit and len(items) >= limit:
            if consumed < len(keys):
                out_meta["continue"] = encode_continue(revision, key)
                if not selection.selective:
                    out_meta["remainingItemCount"] = len(keys) - consumed
            break
    return items, out_meta


def _after(keys: list[Key], start: Key) -> int:
    return bisect.bisect_right(keys, start)
