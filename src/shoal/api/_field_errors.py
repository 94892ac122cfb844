"""Field-level rejection causes worded like the apiserver's ``field.Error`` bodies.

Validation anywhere in Shoal (selectors, metadata, CRD schemas in the simulator) reports a bad field the
way a Kubernetes client expects to read it: ``Invalid value: "x": <detail>`` with Go-style quoting,
``Required value: <detail>``, ``Forbidden: <detail>``. These builders produce ``StatusCause`` values with
the apiserver's ``reason`` names.
"""

from __future__ import annotations

from typing import Any

import orjson

from ._errors import StatusCause


def go_quote(value: Any) -> str:
    """Render a value as the apiserver prints a bad value: strings quoted, numbers and booleans bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return orjson.dumps(value).decode()
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)


def _with_detail(body: str, detail: str) -> str:
    return f"{body}: {detail}" if detail else body


def invalid_cause(field: str, value: Any, detail: str = "") -> StatusCause:
    """``FieldValueInvalid``: ``Invalid value: "x": <detail>``."""
    return StatusCause("FieldValueInvalid", _with_detail(f"Invalid value: {go_quote(value)}", detail), field)


def required_cause(field: str, detail: str = "") -> StatusCause:
    """``FieldValueRequired``: ``Required value[: <detail>]``."""
    return StatusCause("FieldValueRequired", _with_detail("Required value", detail), field)


def forbidden_cause(field: str, detail: str = "") -> StatusCause:
    """``FieldValueForbidden``: ``Forbidden[: <detail>]``."""
    return StatusCause("FieldValueForbidden", _with_detail("Forbidden", detail), field)


def too_long_cause(field: str, max_bytes: int) -> StatusCause:
    """``FieldValueTooLong``: ``Too long: may not be more than N bytes``."""
    return StatusCause("FieldValueTooLong", f"Too long: may not be more than {max_bytes} bytes", field)


def not_supported_cause(field: str, value: Any, supported: tuple[str, ...]) -> StatusCause:
    """``FieldValueNotSupported``: ``Unsupported value: "x": supported values: "a", "b"``."""
    listed = ", ".join(go_quote(s) for s in supported)
    return StatusCause(
        "FieldValueNotSupported", f"Unsupported value: {go_quote(value)}: supported values: {listed}", field
    )


def causes_text(causes: tuple[StatusCause, ...] | list[StatusCause]) -> str:
    """``field: message, field: message`` — one error bare, several bracketed, as Go aggregates print."""
    parts = [f"{c.field}: {c.message}" if c.field else c.message for c in causes]
    return parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
