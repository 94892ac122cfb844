"""JSON merge patch (RFC 7386) and JSON patch (RFC 6902), applied and failing the way the apiserver does.

The simulator applies client patches with these functions, and the runtime's create-or-patch and
status-if-changed helpers use :func:`create_merge_patch` to send only what changed — or nothing at all.
Every function returns a fresh value and leaves its inputs untouched, because cached objects are shared.

Errors follow the apiserver (``endpoints/handlers/patch.go``):

* a merge patch that is not a JSON object → 400 ``Invalid JSON Patch``;
* a JSON patch that is not a list of operation objects → 400;
* more than 10000 JSON patch operations → 413;
* an operation that cannot be applied (unknown ``op``, missing or malformed ``path``, a path that does
  not exist, a failed ``test``) → 422 Invalid, message ``the server rejected our request due to an error
  in our request``. The apiserver drops the detail there; Shoal keeps it as a cause so it can be read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import jsonpatch
import jsonpointer

from ._errors import BadRequestError, InvalidError, RequestEntityTooLargeError, StatusCause

MAX_JSON_PATCH_OPERATIONS: Final = 10000
_REJECTED: Final = "the server rejected our request due to an error in our request"


def deep_copy(value: Any) -> Any:
    """A private copy of a JSON value (dicts and lists copied, scalars shared); faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) for v in value]
    return value


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values that, unlike ``==``, tells ``1`` from ``true`` and ``1`` from ``1.0``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, Mapping):
        return deep_copy(patch)
    result: dict[str, Any] = dict(target) if isinstance(target, dict) else {}
    touched: set[str] = set()
    for key, value in patch.items():
        touched.add(key)
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    for key, value in result.items():
        if key not in touched:
            result[key] = deep_copy(value)
    return result


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 merge patch: objects merge key by key, ``null`` deletes, anything else replaces.

    Raises :class:`BadRequestError` when ``patch`` is not a JSON object (an object's patch must be one).
    """
    if not isinstance(patch, Mapping):
        raise BadRequestError(
            "Invalid JSON Patch",
            causes=(StatusCause("FieldValueInvalid", "a merge patch must be a JSON object", "patch"),),
        )
    return _merge(target, patch)


def create_merge_patch(original: Any, modified: Any) -> dict[str, Any]:
    """The smallest merge patch turning ``original`` into ``modified`` (``{}`` when they are equal).

    A ``null`` inside ``modified`` cannot be expressed by a merge patch (it means "delete"); Kubernetes
    treats a null field as absent, and so does this function.
    """
    if not isinstance(original, Mapping) or not isinstance(modified, Mapping):
        raise TypeError("create_merge_patch compares two JSON objects")
    patch: dict[str, Any] = {}
    for key in original:
        if (key not in modified or modified[key] is None) and original[key] is not None:
            patch[key] = None
    for key, new in modified.items():
        if new is None:
            continue
        old = original.get(key)
        if isinstance(new, Mapping) and isinstance(old, Mapping):
            sub = create_merge_patch(old, new)
            if sub:
                patch[key] = sub
        elif isinstance(new, Mapping):
            patch[key] = _without_nulls(new)
        elif not json_equal(old, new):
            patch[key] = deep_copy(new)
    return patch


def _without_nulls(value: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: _without_nulls(v) if isinstance(v, Mapping) else deep_copy(v)
        for k, v in value.items()
        if v is not None
    }


def _rejected(detail: str) -> InvalidError:
    return InvalidError(_REJECTED, causes=(StatusCause("UnexpectedServerResponse", detail, "patch"),))


def _check_ops(ops: Any) -> list[dict[str, Any]]:
    if not isinstance(ops, list) or not all(isinstance(op, Mapping) for op in ops):
        detail = "json: cannot unmarshal into Go value of type jsonpatch.Patch: expected a list of operations"
        raise BadRequestError(detail, causes=(StatusCause("FieldValueInvalid", detail, "patch"),))
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise RequestEntityTooLargeError(
            f"The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}"
        )
    return [deep_copy(dict(op)) for op in ops]


def _test(doc: Any, op: Mapping[str, Any]) -> None:
    path = op.get("path")
    if not isinstance(path, str):
        raise _rejected("Operation must have a 'path' member")
    if "value" not in op:
        raise _rejected(f"test operation on {path!r} has no 'value' member")
    try:
        actual = jsonpointer.resolve_pointer(doc, path)
    except jsonpointer.JsonPointerException as exc:
        raise _rejected(f"test operation on {path!r} failed: {exc}") from None
    if not json_equal(actual, op["value"]):
        raise _rejected(f"testing value {path} failed")


def apply_json_patch(target: Any, ops: Any) -> Any:
    """Apply an RFC 6902 JSON patch (``add remove replace move copy test``, ``-`` appends to a list).

    Operations apply in order to a private copy; the first failure raises and nothing is returned, so a
    patch is never half-applied. Errors as described in the module docstring.
    """
    checked = _check_ops(ops)
    doc = deep_copy(target)
    for op in checked:
        if op.get("op") == "test":
            _test(doc, op)
            continue
        try:
            doc = jsonpatch.apply_patch(doc, [op], in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise _rejected(str(exc)) from None
        except (TypeError, KeyError, IndexError, ValueError) as exc:
            raise _rejected(f"cannot apply {op.get('op')!r} at {op.get('path')!r}: {exc}") from None
    return doc
