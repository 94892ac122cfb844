"""Strategic merge patch for the built-in kinds: what ``kubectl apply``, ``edit`` and ``patch`` send by default.

It is a merge patch in which some lists merge item by item (containers by ``name``, conditions by
``type``, finalizers by value; see :mod:`._strategic_schema`) and in which the patch may carry directives:

* ``{"$patch": "replace"}`` in a map replaces the map; as a list item it replaces the whole list;
* ``{"$patch": "delete"}`` in a map empties it; as a list item it deletes the item with that merge key;
* ``"$deleteFromPrimitiveList/<field>": [values]`` removes values from a merging list of scalars;
* ``"$setElementOrder/<field>": [...]`` gives the final order of a merging list (patched items follow it,
  items only the server has keep their place relative to them);
* ``"$retainKeys": [keys]`` drops every other key of the map after merging.

Custom resources have no such schema: the apiserver refuses the format with 415, and so does
:func:`apply_strategic_merge_patch`. A malformed patch (not an object, an item without its merge key, an
unknown directive) is a 400 BadRequest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ._errors import BadRequestError, StatusCause, UnsupportedMediaTypeError
from ._gvk import GroupVersionKind, Object
from ._patch import deep_copy, json_equal
from ._strategic_schema import ListRule, list_rules, strategic_merge_supported

_PATCH: Final = "$patch"
_RETAIN: Final = "$retainKeys"
_DELETE_FROM: Final = "$deleteFromPrimitiveList/"
_ORDER: Final = "$setElementOrder/"

UNSUPPORTED_PATCH_MESSAGE: Final = (
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
)


def _bad(detail: str) -> BadRequestError:
    return BadRequestError(detail, causes=(StatusCause("FieldValueInvalid", detail, "patch"),))


def _find(items: list[Any], value: Any) -> int:
    for i, item in enumerate(items):
        if json_equal(item, value):
            return i
    return -1


class _Merger:
    def __init__(self, rules: dict[str, ListRule]) -> None:
        self.rules = rules

    def fresh(self, value: Any, path: str) -> Any:
        """A patch value placed where nothing was: directives applied against emptiness, nulls dropped."""
        if isinstance(value, Mapping):
            return self.merge_map({}, value, path)
        if isinstance(value, list):
            return self.merge_list([], value, path, None)
        return value

    def merge_map(self, original: dict[str, Any], patch: Mapping[str, Any], path: str) -> dict[str, Any]:
        directive = patch.get(_PATCH)
        if directive == "replace":
            return self.merge_map({}, {k: v for k, v in patch.items() if k != _PATCH}, path)
        if directive == "delete":
            return {}
        if directive not in (None, "merge"):
            raise _bad(f"Unsupported strategic merge patch format: unknown $patch directive {directive!r}")
        result = dict(original)
        for key, values in patch.items():
            if key.startswith(_DELETE_FROM):
                field = key[len(_DELETE_FROM) :]
                if not isinstance(values, list):
                    raise _bad(f"{key} must be a list of values")
                current = result.get(field)
                if isinstance(current, list):
                    result[field] = [x for x in current if _find(values, x) < 0]
        for key, value in patch.items():
            if key.startswith("$"):
                continue
            child = f"{path}.{key}" if path else key
            current = result.get(key)
            if value is None:
                result.pop(key, None)
            elif isinstance(value, Mapping):
                result[key] = self.merge_map(current if isinstance(current, dict) else {}, value, child)
            elif isinstance(value, list):
                base = current if isinstance(current, list) else []
                result[key] = self.merge_list(base, value, child, patch.get(_ORDER + key))
            else:
                result[key] = value
        for key, order in patch.items():
            field = key[len(_ORDER) :]
            if key.startswith(_ORDER) and field not in patch and isinstance(result.get(field), list):
                child = f"{path}.{field}" if path else field
                rule = self.rules.get(child)
                if rule is not None:
                    result[field] = _ordered(result[field], result[field], order, rule)
        retain = patch.get(_RETAIN)
        if retain is not None:
            if not isinstance(retain, list):
                raise _bad("$retainKeys must be a list of field names")
            result = {k: v for k, v in result.items() if k in retain}
        return result

    def merge_list(self, original: list[Any], patch: list[Any], path: str, order: Any) -> list[Any]:
        rule = self.rules.get(path)
        replace = any(isinstance(x, Mapping) and x.get(_PATCH) == "replace" for x in patch)
        if rule is None or replace:
            return [self.fresh(x, path) for x in patch if not (isinstance(x, Mapping) and _PATCH in x)]
        result = list(original)
        if rule.merge_key is None:
            for value in patch:
                if _find(result, value) < 0:
                    result.append(deep_copy(value))
        else:
            self._merge_items(result, patch, rule.merge_key, path)
        if order is not None:
            result = _ordered(result, original, order, rule)
        return result

    def _merge_items(self, result: list[Any], patch: list[Any], key: str, path: str) -> None:
        for item in patch:
            if not isinstance(item, Mapping):
                raise _bad(f"{path}: expected a list of objects merged by {key!r}, found {item!r}")
            if key not in item:
                raise _bad(f"map: {dict(item)} does not contain declared merge key: {key}")
            matches = [
                i for i, x in enumerate(result) if isinstance(x, dict) and json_equal(x.get(key), item[key])
            ]
            if item.get(_PATCH) == "delete":
                for i in reversed(matches):
                    del result[i]
            elif matches:
                result[matches[0]] = self.merge_map(result[matches[0]], item, path)
            else:
                result.append(self.merge_map({}, item, path))


def _ordered(merged: list[Any], server: list[Any], order: Any, rule: ListRule) -> list[Any]:
    """Apply ``$setElementOrder``: patched items in ``order``, server-only items kept near their neighbours."""
    if not isinstance(order, list):
        raise _bad("$setElementOrder must be a list")
    key = rule.merge_key

    def ident(item: Any) -> Any:
        return item.get(key) if key is not None and isinstance(item, Mapping) else item

    wanted = [ident(o) for o in order]
    server_ids = [ident(x) for x in server]
    listed = sorted(
        (x for x in merged if _find(wanted, ident(x)) >= 0), key=lambda x: _find(wanted, ident(x))
    )
    others = [x for x in merged if _find(wanted, ident(x)) < 0]
    out: list[Any] = []
    i = j = 0
    while i < len(listed) or j < len(others):
        if j >= len(others):
            out.append(listed[i])
            i += 1
        elif i >= len(listed):
            out.append(others[j])
            j += 1
        else:
            li, ri = _find(server_ids, ident(listed[i])), _find(server_ids, ident(others[j]))
            if li >= 0 and ri >= 0 and li < ri:
                out.append(listed[i])
                i += 1
            else:
                out.append(others[j])
                j += 1
    return out


def apply_strategic_merge_patch(target: Object, patch: Any, gvk: GroupVersionKind) -> Object:
    """Apply a strategic merge patch to a built-in ``gvk`` object; returns a new object.

    Raises :class:`UnsupportedMediaTypeError` (415) for custom resources and :class:`BadRequestError`
    for malformed patches. Inputs are never modified.
    """
    if not strategic_merge_supported(gvk):
        raise UnsupportedMediaTypeError(UNSUPPORTED_PATCH_MESSAGE)
    if not isinstance(patch, Mapping):
        raise _bad("a strategic merge patch must be a JSON object")
    merged = _Merger(list_rules(gvk)).merge_map(deep_copy(target), patch, "")
    return merged
