"""Server-side apply with field ownership, at the granularity of leaf fields.

Each field manager's last applied configuration is remembered as a set of leaf paths in its
``metadata.managedFields`` entry (``FieldsV1``). Applying a configuration:

* conflicts (409, unless ``force``) when it would change a field another manager applied;
  with ``force`` the field changes owner;
* sets every field of the configuration (objects merge key by key);
* removes the fields this manager applied before, no longer applies, and nobody else owns.

Simplifications against the apiserver: lists are atomic leaves (no associative merge by key), only
apply operations record ownership (plain updates and patches do not), and of ``metadata`` only
labels and annotations are managed.
"""

from __future__ import annotations

from typing import Any

from shoal.api import ConflictError, Object

from ._objects import deep_copy, meta, now_rfc3339
from ._resources import ResourceInfo

Path = tuple[str, ...]


def applied_paths(config: Object) -> set[Path]:
    """The leaf paths a configuration sets (identity and type fields excluded)."""
    paths: set[Path] = set()
    for key, value in config.items():
        if key in ("apiVersion", "kind"):
            continue
        if key == "metadata":
            m = value if isinstance(value, dict) else {}
            for managed in ("labels", "annotations"):
                if isinstance(m.get(managed), dict):
                    paths |= _leaves(m[managed], ("metadata", managed))
            continue
        paths |= _leaves(value, (key,))
    return paths


def _leaves(value: Any, prefix: Path) -> set[Path]:
    if isinstance(value, dict) and value:
        out: set[Path] = set()
        for key, child in value.items():
            out |= _leaves(child, (*prefix, key))
        return out
    return {prefix}


def fields_v1(paths: set[Path]) -> dict[str, Any]:
    """Leaf paths as a ``FieldsV1`` tree (``{"f:data": {"f:x": {}}}``)."""
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for part in path:
            node = node.setdefault(f"f:{part}", {})
    return root


def paths_of(fields: Any, prefix: Path = ()) -> set[Path]:
    """Inverse of :func:`fields_v1`; unknown markers (``k:``, ``v:``, ``.``) make their node a leaf."""
    children = {k[2:]: v for k, v in fields.items() if k.startswith("f:")} if isinstance(fields, dict) else {}
    if not children:
        return {prefix} if prefix else set()
    out: set[Path] = set()
    for key, child in children.items():
        out |= paths_of(child, (*prefix, key))
    return out


def _get(obj: Any, path: Path) -> tuple[bool, Any]:
    node = obj
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _set(obj: dict[str, Any], path: Path, value: Any) -> None:
    node = obj
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[path[-1]] = deep_copy(value)


def _remove(obj: dict[str, Any], path: Path) -> None:
    parents: list[tuple[dict[str, Any], str]] = []
    node: Any = obj
    for part in path[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            return
        parents.append((node, part))
        node = node[part]
    if isinstance(node, dict):
        node.pop(path[-1], None)
    for parent, key in reversed(parents):
        if parent[key] == {} and key != "metadata":
            del parent[key]
        else:
            break


def _display(path: Path) -> str:
    return "." + ".".join(path)


def server_side_apply(
    info: ResourceInfo, current: Object, config: Object, manager: str, *, force: bool, subresource: str = ""
) -> Object:
    """``current`` (not modified) with ``config`` applied by ``manager``; raises 409 on conflicts."""
    entries = [dict(e) for e in meta(current).get("managedFields") or () if isinstance(e, dict)]
    mine = [e for e in entries if e.get("manager") == manager and e.get("operation") == "Apply"]
    others = [e for e in entries if not (e.get("manager") == manager and e.get("operation") == "Apply")]
    wanted = applied_paths(config)
    owners = [(e, paths_of(e.get("fieldsV1"))) for e in others if e.get("operation") == "Apply"]
    conflicts: dict[Path, str] = {}
    for path in sorted(wanted):
        present, value = _get(current, path)
        if not present:
            continue
        _, desired = _get(config, path)
        if value == desired:
            continue
        for entry, owned in owners:
            if path in owned:
                conflicts[path] = str(entry.get("manager"))
    if conflicts and not force:
        raise _conflict_error(info, str(meta(current).get("name")), conflicts)
    out: dict[str, Any] = deep_copy(current)
    previously = set().union(*(paths_of(e.get("fieldsV1")) for e in mine)) if mine else set()
    kept_by_others = set().union(*(owned for _, owned in owners)) if owners else set()
    for path in sorted(previously - wanted - kept_by_others, reverse=True):
        _remove(out, path)
    for path in wanted:
        _, value = _get(config, path)
        present, existing = _get(out, path)
        if value == {} and present and isinstance(existing, dict):
            continue  # an empty object merges into what is there
        _set(out, path, value)
    new_entries = []
    for entry in others:
        if entry.get("operation") == "Apply" and conflicts:
            owned = paths_of(entry.get("fieldsV1")) - set(conflicts)
            if not owned:
                continue
            entry["fieldsV1"] = fields_v1(owned)
        new_entries.append(entry)
    applied: dict[str, Any] = {
        "manager": manager,
        "operation": "Apply",
        "apiVersion": info.api_version,
        "time": now_rfc3339(),
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_v1(wanted),
    }
    if subresource:
        applied["subresource"] = subresource
    if mine and paths_of(mine[0].get("fieldsV1")) == wanted:
        applied["time"] = mine[0].get("time", applied["time"])
    new_entries.append(applied)
    out.setdefault("metadata", {})["managedFields"] = new_entries
    return out


def apply_entry(info: ResourceInfo, manager: str, config: Object) -> dict[str, Any]:
    """The managedFields entry of an apply that creates the object."""
    return {
        "manager": manager,
        "operation": "Apply",
        "apiVersion": info.api_version,
        "time": now_rfc3339(),
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_v1(applied_paths(config)),
    }


def _conflict_error(info: ResourceInfo, name: str, conflicts: dict[Path, str]) -> ConflictError:
    if len(conflicts) == 1:
        ((path, manager),) = conflicts.items()
        detail = f'Apply failed with 1 conflict: conflict with "{manager}" using {info.api_version}: {_display(path)}'
    else:
        lines = "\n".join(
            f'- conflict with "{m}" using {info.api_version}: {_display(p)}' for p, m in conflicts.items()
        )
        detail = f"Apply failed with {len(conflicts)} conflicts:\n{lines}"
    return ConflictError(detail, name=name, group=info.gvr.group, kind=info.gvr.resource)
