"""Unknown fields of a write, found and dropped the way the apiserver's field validation does.

The apiserver decodes every body into its kind's schema: fields the schema lacks are dropped (``Ignore``),
dropped and reported as ``Warning`` headers (``Warn``, its default), or make the whole request fail
with 400 ``strict decoding error: unknown field "spec.foo"`` (``Strict``, what kubectl asks for).
Built-in kinds are checked against the field tables of the official ``kubernetes`` client's models
(generated from the same OpenAPI the apiserver serves; shipped as data, see ``_builtin_fields``); custom resources against their CRD's
structural ``openAPIV3Schema``, where ``x-kubernetes-preserve-unknown-fields: true`` keeps unknown
fields. The simulator is lenient where a CRD schema says nothing: an object schema with neither
``properties`` nor ``additionalProperties`` keeps whatever it holds.

Patches are checked by their content (the stored object never holds unknown fields): merge, apply and
strategic merge patches as partial objects (``$``-directives and ``null`` deletions skipped), JSON
patches by the values their ``add`` and ``replace`` operations put at each path. A JSON body that
repeats a key within one object is reported the same way (``duplicate field "metadata.name"``); only
the HTTP door sees raw bodies, so only it checks that.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from typing import Any

from shoal.api import BadRequestError, PatchType

from ._builtin_fields import LEAF_TYPES, builtin_fields, model_candidates
from ._resources import ResourceInfo

FIELD_VALIDATIONS: tuple[str, ...] = ("Ignore", "Strict", "Warn")

Type = str | dict[str, Any]
"""A schema position: a model type string (``"V1PodSpec"``, ``"List[V1Container]"``) or a CRD schema."""

_ANY = "object"
"""The model type string of values whose content is not checked (it also means "anything" here)."""
_OBJECT_META = "V1ObjectMeta"
_TYPE_META = {"type": "string"}


def check_field_validation(value: str | None) -> None:
    """400 for a ``fieldValidation`` other than Ignore, Strict or Warn (empty counts as unset)."""
    if value not in (None, "", *FIELD_VALIDATIONS):
        raise BadRequestError(
            f'fieldValidation: Unsupported value: "{value}": supported values: "Ignore", "Strict", "Warn"'
        )


def field_problems(unknown: Sequence[str], duplicate: Sequence[str] = ()) -> list[str]:
    """The texts the apiserver reports (as warnings, or in Strict's error) for these field paths."""
    return [f'duplicate field "{p}"' for p in duplicate] + [f'unknown field "{p}"' for p in unknown]


def strict_error(info: ResourceInfo, problems: Sequence[str]) -> BadRequestError:
    """400 ``<Kind> in version "<v>" cannot be handled as a <Kind>: strict decoding error: ...``."""
    listed = ", ".join(problems)
    return BadRequestError(
        f'{info.kind} in version "{info.gvr.version}" cannot be handled as a {info.kind}: '
        f"strict decoding error: {listed}"
    )


@functools.cache
def _model_fields(name: str) -> dict[str, str] | None:
    """JSON field name → model type string of one built-in model (None: no such model)."""
    fields = builtin_fields().get(name)
    if fields is None:
        return None
    return {key: _checked(typ) for key, typ in fields.items()}


@functools.cache
def _checked(typ: str) -> str:
    """``typ``, or :data:`_ANY` when nothing beneath it can be an unknown field (``Dict[str, str]``)."""
    if typ in LEAF_TYPES:
        return _ANY
    if typ.startswith(("Dict[", "List[")):
        inner = typ[typ.index(",") + 2 : -1] if typ.startswith("Dict[") else typ[5:-1]
        return _ANY if _checked(inner) == _ANY else typ
    return typ


@functools.cache
def _model_of(group: str, version: str, kind: str) -> str | None:
    for name in model_candidates(group, version, kind):
        if _model_fields(name) is not None:
            return name
    return None


@functools.cache
def _model_shape(typ: str) -> tuple[str | None, dict[str, str] | None, str]:
    """A model type string taken apart: (map value type, object fields, list element type)."""
    if typ.startswith("Dict["):
        return _checked(typ[typ.index(",") + 2 : -1]), None, _ANY
    if typ.startswith("List["):
        return None, None, _checked(typ[5:-1])
    if typ in LEAF_TYPES:
        return None, None, _ANY
    return None, _model_fields(typ), _ANY


def _child(typ: Type, key: str) -> Type | None:
    """The type of field ``key`` of an object at ``typ``; None when the field is unknown."""
    if isinstance(typ, str):
        value, fields, _ = _model_shape(typ)
        if value is not None:
            return value
        return _ANY if fields is None else fields.get(key)
    props = typ.get("properties")
    if isinstance(props, dict) and key in props:
        sub = props[key]
        return sub if isinstance(sub, (dict, str)) else _ANY
    extra = typ.get("additionalProperties")
    if isinstance(extra, dict):
        return extra
    if typ.get("x-kubernetes-embedded-resource") is True and key in ("apiVersion", "kind", "metadata"):
        return _OBJECT_META if key == "metadata" else _ANY
    if extra is True or typ.get("x-kubernetes-preserve-unknown-fields") is True or not props:
        return _ANY
    return None


def _element(typ: Type) -> Type:
    if isinstance(typ, str):
        return _model_shape(typ)[2]
    items = typ.get("items")
    return items if isinstance(items, dict) else _ANY


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _walk(value: Any, typ: Type, path: str, found: list[str], patch: bool) -> Any:
    """``value`` without the fields ``typ`` lacks (copied where something goes), recording their paths."""
    if typ == _ANY:
        return value
    if isinstance(value, dict):
        fields: dict[str, str] | None = None
        if isinstance(typ, str):
            # A built-in model: look its field table up once for the whole object, not per key.
            map_value, fields, _ = _model_shape(typ)
            if map_value is not None or fields is None:
                fields = None
        out: dict[str, Any] | None = None
        for key, sub in value.items():
            if patch and (key.startswith("$") or sub is None):
                continue
            child = fields.get(key) if fields is not None else _child(typ, key)
            if child is None:
                found.append(_join(path, key))
                if out is None:
                    out = dict(value)
                del out[key]
                continue
            if child == _ANY or not isinstance(sub, (dict, list)):
                continue
            new = _walk(sub, child, _join(path, key), found, patch)
            if new is not sub:
                if out is None:
                    out = dict(value)
                out[key] = new
        return value if out is None else out
    if isinstance(value, list):
        element = _element(typ)
        if element == _ANY:
            return value
        items: list[Any] | None = None
        for i, item in enumerate(value):
            if not isinstance(item, (dict, list)):
                continue
            new = _walk(item, element, f"{path}[{i}]", found, patch)
            if new is not item:
                if items is None:
                    items = list(value)
                items[i] = new
        return value if items is None else items
    return value


def root_type(info: ResourceInfo) -> Type:
    """The schema position of a whole object of ``info``'s kind."""
    if not info.is_crd:
        return _model_of(info.gvr.group, info.gvr.version, info.kind) or _ANY
    schema = info.schema if isinstance(info.schema, dict) else {}
    props = schema.get("properties")
    top: dict[str, Any] = {
        **(props if isinstance(props, dict) else {}),
        "apiVersion": _TYPE_META,
        "kind": _TYPE_META,
        "metadata": _OBJECT_META,
    }
    if not props:
        return {"properties": top, "x-kubernetes-preserve-unknown-fields": True}
    return {**schema, "properties": top}


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as the key-value pairs it was written with (duplicates kept)."""


def duplicate_fields(raw: bytes) -> list[str]:
    """Paths of keys a JSON body repeats within one object (none for bodies that are not JSON)."""
    try:
        tree = json.loads(raw, object_pairs_hook=_Pairs)
    except ValueError:
        return []
    found: list[str] = []
    _duplicates(tree, "", found)
    return found


def _duplicates(node: Any, path: str, found: list[str]) -> None:
    if isinstance(node, _Pairs):
        seen: set[str] = set()
        for key, value in node:
            at = _join(path, key)
            if key in seen and at not in found:
                found.append(at)
            seen.add(key)
            _duplicates(value, at, found)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _duplicates(item, f"{path}[{i}]", found)


def load_schemas(infos: Iterable[ResourceInfo]) -> None:
    """Resolve the field tables of built-in kinds now (reading the table once is better done before
    any request is timed)."""
    for info in infos:
        if not info.is_crd:
            root_type(info)


def prune_object(info: ResourceInfo, obj: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``obj`` without unknown fields, and their paths (``obj`` and what it holds are not mutated)."""
    found: list[str] = []
    pruned = _walk(obj, root_type(info), "", found, False)
    return pruned, found


def _pointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _json_patch_unknowns(root: Type, patch: Any, found: list[str]) -> None:
    for op in patch if isinstance(patch, list) else ():
        if not isinstance(op, dict) or op.get("op") not in ("add", "replace") or "value" not in op:
            continue
        typ: Type | None = root
        at = ""
        for segment in _pointer(str(op.get("path") or "")):
            if typ is None or typ == _ANY:
                break
            if segment == "-" or segment.isdigit():
                typ, at = _element(typ), f"{at}[{segment}]"
                continue
            typ, at = _child(typ, segment), _join(at, segment)
            if typ is None:
                found.append(at)
        if typ is not None:
            _walk(op["value"], typ, at, found, False)


def patch_unknown_fields(info: ResourceInfo, patch: Any, patch_type: PatchType) -> list[str]:
    """Paths of the unknown fields a patch sets (see the module docstring for how each type is read)."""
    found: list[str] = []
    root = root_type(info)
    if PatchType(patch_type) is PatchType.JSON:
        _json_patch_unknowns(root, patch, found)
    else:
        _walk(patch, root, "", found, True)
    return found


def validate_fields(info: ResourceInfo, obj: dict[str, Any], field_validation: str | None) -> dict[str, Any]:
    """``obj`` without unknown fields; under ``Strict`` a 400 naming all of them instead."""
    pruned, found = prune_object(info, obj)
    if found and field_validation == "Strict":
        raise strict_error(info, field_problems(found))
    return pruned
