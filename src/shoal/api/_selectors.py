"""Label selectors: the ``labelSelector`` query grammar, ``metav1.LabelSelector`` objects, and matching.

The same selector text arrives from kubectl (``app in (demo,x),!foo``), from controllers and from the
simulator's watch filters; it must parse, reject and match exactly as the apiserver does, and matching
runs once per watch event per watcher, so a parsed selector is compiled into a flat tuple of checks.

Semantics: requirements are ANDed; ``!=`` and ``notin`` also match when the key is absent; an empty
selector matches everything; ``a in ()`` and ``a=`` mean the empty value.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from ._errors import BadRequestError, InvalidError, StatusCause
from ._field_errors import (
    causes_text,
    forbidden_cause,
    invalid_cause,
    not_supported_cause,
    required_cause,
)
from ._names import validate_label_value, validate_qualified_name
from ._selector_grammar import INTEGER, SelectorParser, SelectorSyntaxError

Operator = Literal["=", "!=", "in", "notin", "exists", "!", ">", "<"]
"""Requirement operators; ``==`` parses to ``=`` and renders as ``=``."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ANDed clause: ``key``, an operator and the (sorted, distinct) values it compares against."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.key)
        op = self.operator
        if op == "=" or op == "in":
            return value is not None and value in self.values
        if op == "!=" or op == "notin":
            return value is None or value not in self.values
        if op == "exists":
            return value is not None
        if op == "!":
            return value is None
        return _compare(value, op, self.values[0])

    def __str__(self) -> str:
        op = self.operator
        if op == "exists":
            return self.key
        if op == "!":
            return f"!{self.key}"
        if op in ("in", "notin"):
            return f"{self.key} {op} ({','.join(self.values)})"
        return f"{self.key}{op}{self.values[0]}"


def _compare(value: str | None, op: str, bound: str) -> bool:
    if value is None or not INTEGER.fullmatch(value):
        return False
    return int(value) > int(bound) if op == ">" else int(value) < int(bound)


# Compiled check codes, for the matching loop.
_EQ, _IN, _NE, _NOTIN, _EXISTS, _ABSENT, _CMP = range(7)


class LabelSelector:
    """A parsed label selector. Immutable, hashable, compares by its canonical requirements.

    ``LabelSelector.parse("app=web,tier!=db")``, ``LabelSelector.from_json(deployment["spec"]["selector"])``,
    ``selector.matches(obj["metadata"].get("labels", {}))``; ``str(selector)`` is canonical text that
    parses back to an equal selector.
    """

    __slots__ = ("_checks", "_hash", "requirements")

    requirements: tuple[Requirement, ...]

    def __init__(self, requirements: Iterable[Requirement] = ()) -> None:
        reqs = tuple(sorted(set(requirements), key=lambda r: (r.key, str(r))))
        self.requirements = reqs
        self._hash = hash(reqs)
        checks: list[tuple[str, int, Any]] = []
        for r in reqs:
            if r.operator == "=":
                checks.append((r.key, _EQ, r.values[0]))
            elif r.operator == "in":
                checks.append((r.key, _IN, frozenset(r.values)))
            elif r.operator == "!=":
                checks.append((r.key, _NE, r.values[0]))
            elif r.operator == "notin":
                checks.append((r.key, _NOTIN, frozenset(r.values)))
            elif r.operator == "exists":
                checks.append((r.key, _EXISTS, None))
            elif r.operator == "!":
                checks.append((r.key, _ABSENT, None))
            else:
                checks.append((r.key, _CMP, r))
        self._checks = tuple(checks)

    @classmethod
    def everything(cls) -> LabelSelector:
        """The empty selector: matches every object."""
        return _EVERYTHING

    @property
    def empty(self) -> bool:
        """True when the selector has no requirements (and so matches everything)."""
        return not self._checks

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """Whether an object with these labels is selected."""
        if labels is None:
            labels = {}
        for key, code, arg in self._checks:
            value = labels.get(key)
            if code == _EQ:
                if value != arg:
                    return False
            elif code == _IN:
                if value is None or value not in arg:
                    return False
            elif code == _NE:
                if value == arg:
                    return False
            elif code == _NOTIN:
                if value is not None and value in arg:
                    return False
            elif code == _EXISTS:
                if value is None:
                    return False
            elif code == _ABSENT:
                if value is not None:
                    return False
            elif not arg.matches(labels):
                return False
        return True

    @classmethod
    def parse(cls, text: str) -> LabelSelector:
        """Parse ``labelSelector`` text; raise :class:`BadRequestError` (cause field ``labelSelector``).

        Results are immutable and recently parsed texts are remembered, so re-parsing the selector of
        every list or watch request costs a dictionary lookup.
        """
        if not text or text.isspace():
            return _EVERYTHING
        return _parse(text)

    @classmethod
    def from_json(cls, selector: Mapping[str, Any] | None, *, field: str = "selector") -> LabelSelector:
        """Build from a ``metav1.LabelSelector`` (``matchLabels`` and ``matchExpressions``).

        ``None`` and ``{}`` select everything here (callers that need "null selects nothing" check for
        ``None`` first). Invalid content raises :class:`InvalidError` with causes under ``field``.
        """
        if not selector:
            return _EVERYTHING
        reqs, causes = _from_json(selector, field)
        if causes:
            raise InvalidError(f"invalid label selector: {causes_text(causes)}", causes=tuple(causes))
        return cls(reqs)

    def to_json(self) -> dict[str, Any]:
        """The equivalent ``metav1.LabelSelector`` (``>``/``<`` have none and raise ``ValueError``)."""
        match_labels: dict[str, str] = {}
        exprs: list[dict[str, Any]] = []
        names = {"in": "In", "notin": "NotIn", "exists": "Exists", "!": "DoesNotExist"}
        for r in self.requirements:
            if r.operator == "=" and r.key not in match_labels:
                match_labels[r.key] = r.values[0]
            elif r.operator in ("=", "!="):
                op = "In" if r.operator == "=" else "NotIn"
                exprs.append({"key": r.key, "operator": op, "values": list(r.values)})
            elif r.operator in names:
                expr: dict[str, Any] = {"key": r.key, "operator": names[r.operator]}
                if r.values or r.operator in ("in", "notin"):
                    expr["values"] = list(r.values)
                exprs.append(expr)
            else:
                raise ValueError(f"{r} has no metav1.LabelSelector form")
        out: dict[str, Any] = {}
        if match_labels:
            out["matchLabels"] = match_labels
        if exprs:
            out["matchExpressions"] = exprs
        return out

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return f"LabelSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelSelector) and self.requirements == other.requirements

    def __hash__(self) -> int:
        return self._hash


_EVERYTHING: Final = LabelSelector()


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> LabelSelector:
    try:
        clauses = SelectorParser(text).parse()
    except SelectorSyntaxError as exc:
        message = f'unable to parse label selector "{text}": {exc.detail}'
        raise BadRequestError(
            message, causes=(StatusCause("FieldValueInvalid", exc.detail, "labelSelector"),)
        ) from None
    return LabelSelector(Requirement(key, cast(Operator, op), values) for key, op, values in clauses)


_JSON_OPERATORS: Final[dict[str, Operator]] = {
    "In": "in",
    "NotIn": "notin",
    "Exists": "exists",
    "DoesNotExist": "!",
}


def _from_json(selector: Mapping[str, Any], field: str) -> tuple[list[Requirement], list[StatusCause]]:
    reqs: list[Requirement] = []
    causes: list[StatusCause] = []
    labels_path = f"{field}.matchLabels"
    for key, value in (selector.get("matchLabels") or {}).items():
        causes.extend(invalid_cause(labels_path, key, m) for m in validate_qualified_name(str(key)))
        causes.extend(invalid_cause(labels_path, value, m) for m in validate_label_value(str(value)))
        reqs.append(Requirement(str(key), "=", (str(value),)))
    for i, expr in enumerate(selector.get("matchExpressions") or ()):
        path = f"{field}.matchExpressions[{i}]"
        key = str(expr.get("key") or "")
        raw_op = expr.get("operator")
        values = [str(v) for v in expr.get("values") or ()]
        op = _JSON_OPERATORS.get(str(raw_op))
        if op is None:
            causes.append(not_supported_cause(f"{path}.operator", raw_op, tuple(_JSON_OPERATORS)))
        elif op in ("in", "notin") and not values:
            detail = "must be specified when `operator` is 'In' or 'NotIn'"
            causes.append(required_cause(f"{path}.values", detail))
        elif op in ("exists", "!") and values:
            detail = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
            causes.append(forbidden_cause(f"{path}.values", detail))
        causes.extend(invalid_cause(f"{path}.key", key, m) for m in validate_qualified_name(key))
        for j, value in enumerate(values):
            causes.extend(invalid_cause(f"{path}.values[{j}]", value, m) for m in validate_label_value(value))
        if op is not None:
            reqs.append(Requirement(key, op, tuple(sorted(set(values)))))
    return reqs, causes
