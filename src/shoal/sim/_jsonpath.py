"""The JSONPath subset CRDs use in ``additionalPrinterColumns``.

Printer columns name fields with simple paths (``.spec.replicas``), map keys with dots in brackets
(``.metadata.labels['app.kubernetes.io/name']``), indexes and wildcards (``.spec.items[0]``,
``[*]``) and condition filters (``.status.conditions[?(@.type=="Ready")].status``). That is all this
evaluator understands; anything else matches nothing, which prints as an empty cell.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(
    r"""\.(?P<name>[A-Za-z0-9_\-$]+)
      | \[\s*'(?P<quoted>[^']*)'\s*\]
      | \[\s*"(?P<dquoted>[^"]*)"\s*\]
      | \[\s*(?P<index>-?\d+)\s*\]
      | \[\s*\*\s*\]
      | \[\s*\?\(\s*@(?P<fpath>(?:\.[A-Za-z0-9_\-]+)+)\s*(?P<op>==|!=)\s*(?P<fval>"[^"]*"|'[^']*'|[^)\s]+)\s*\)\s*\]
    """,
    re.VERBOSE,
)


def _steps(expr: str) -> list[re.Match[str]] | None:
    text = expr.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[re.Match[str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            return None
        steps.append(match)
        pos = match.end()
    return steps


def _lookup(value: Any, dotted: str) -> Any:
    for key in dotted.strip(".").split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _literal(text: str) -> Any:
    if text[:1] in "\"'":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        return text


def _step(values: list[Any], match: re.Match[str]) -> list[Any]:
    out: list[Any] = []
    key = match["name"] or match["quoted"] or match["dquoted"]
    for value in values:
        if key is not None:
            if isinstance(value, dict) and key in value:
                out.append(value[key])
        elif match["index"] is not None:
            index = int(match["index"])
            if isinstance(value, list) and -len(value) <= index < len(value):
                out.append(value[index])
        elif match["fpath"] is not None:
            wanted = _literal(match["fval"])
            equal = match["op"] == "=="
            items = value if isinstance(value, list) else [value]
            out.extend(i for i in items if (_lookup(i, match["fpath"]) == wanted) == equal)
        elif isinstance(value, list):
            out.extend(value)
        elif isinstance(value, dict):
            out.extend(value.values())
    return out


def evaluate_jsonpath(obj: Any, expr: str) -> list[Any]:
    """Every value ``expr`` selects in ``obj``, in document order; ``[]`` when nothing (or not understood)."""
    steps = _steps(expr)
    if steps is None:
        return []
    values = [obj]
    for match in steps:
        values = _step(values, match)
        if not values:
            break
    return values
