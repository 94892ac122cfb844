"""The field tables of the built-in kinds, shipped as data so the simulator need not import a client.

Field validation (``_field_validation``) needs, for every built-in kind, which JSON fields each nested
structure has. The official ``kubernetes`` client's models carry exactly that (they are generated from
the apiserver's OpenAPI), but importing them costs ~0.4 s and leaves ~47,000 long-lived objects that
every full garbage collection walks, which slowed every write-heavy benchmark. So the tables are
extracted once into ``builtin_fields.json`` (model name → JSON field → model type string) and read
from there; ``python -m shoal.sim._builtin_fields`` regenerates the file, and a test checks that it
matches the installed client.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import orjson

from ._resources import BUILTIN_RESOURCES

TABLE = Path(__file__).with_name("builtin_fields.json")
LEAF_TYPES = frozenset({"str", "int", "bool", "float", "object", "datetime", "date", "bytearray"})


@functools.cache
def builtin_fields() -> dict[str, dict[str, str]]:
    """Model name → {JSON field name → model type string}, for every model the built-in kinds reach."""
    table: dict[str, dict[str, str]] = orjson.loads(TABLE.read_bytes())
    return table


def model_candidates(group: str, version: str, kind: str) -> tuple[str, ...]:
    """The model names a kind may have in the official client (``CoreV1Event``, ``V1Pod``)."""
    cap = version[:1].upper() + version[1:]
    prefix = (group.split(".")[0] if group else "core").capitalize()
    return (f"{prefix}{cap}{kind}", f"{cap}{kind}")


def _inner_types(typ: str) -> Iterable[str]:
    if typ.startswith("Dict["):
        yield from _inner_types(typ[typ.index(",") + 2 : -1])
    elif typ.startswith("List["):
        yield from _inner_types(typ[5:-1])
    elif typ not in LEAF_TYPES:
        yield typ


def generate() -> dict[str, dict[str, str]]:
    """Extract the table from the installed ``kubernetes`` client (used to write :data:`TABLE`)."""
    from kubernetes.client import models

    table: dict[str, dict[str, str]] = {}
    pending = [
        name
        for info in BUILTIN_RESOURCES
        for name in model_candidates(info.gvr.group, info.gvr.version, info.kind)
        if hasattr(models, name)
    ]
    while pending:
        name = pending.pop()
        model = getattr(models, name, None)
        if name in table or model is None:
            continue
        fields = {model.attribute_map[attr]: typ for attr, typ in model.openapi_types.items()}
        table[name] = dict(sorted(fields.items()))
        pending.extend(t for typ in fields.values() for t in _inner_types(typ) if t not in table)
    return dict(sorted(table.items()))


if __name__ == "__main__":
    TABLE.write_bytes(orjson.dumps(generate(), option=orjson.OPT_INDENT_2) + b"\n")
