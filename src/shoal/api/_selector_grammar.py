"""The ``labelSelector`` text grammar: a tokenizer and a recursive-descent parser.

Kept apart from matching so the grammar can be read against the apiserver's (``k8s.io/apimachinery``
``labels.Parse``): the same tokens, the same precedence of errors, the same wording of "found X,
expected Y". The parser yields plain clauses; :class:`shoal.api.LabelSelector` turns them into requirements.
"""

from __future__ import annotations

import re
from typing import Final

from ._names import validate_label_value, validate_qualified_name

Clause = tuple[str, str, tuple[str, ...]]
"""``(key, operator, values)`` with operator one of ``= != in notin exists ! > <``."""

INTEGER: Final = re.compile(r"[+-]?[0-9]+")
_SPECIAL: Final = frozenset("=!(),<>")
_KEYWORDS: Final = {"in": "in", "notin": "notin"}


class SelectorSyntaxError(Exception):
    """Selector text that does not parse; ``detail`` says what was found and what was expected."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


_Token = tuple[str, str]  # (kind, literal); kinds: id, op, "(", ")", ",", "!", in, notin, end


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in _SPECIAL:
            two = text[i : i + 2]
            if two in ("==", "!="):
                tokens.append(("op", two))
                i += 2
            elif c in "=<>":
                tokens.append(("op", c))
                i += 1
            else:
                tokens.append((c, c))
                i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            word = text[i:j]
            tokens.append((_KEYWORDS.get(word, "id"), word))
            i = j
    tokens.append(("end", ""))
    return tokens


class SelectorParser:
    """Recursive descent over the token list, mirroring the apiserver's error sentences."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def _peek(self, values: bool = True) -> _Token:
        kind, lit = self.tokens[self.pos]
        if values and kind in ("in", "notin"):
            return ("id", lit)
        return kind, lit

    def _next(self, values: bool = True) -> _Token:
        tok = self._peek(values)
        self.pos += 1
        return tok

    def parse(self) -> list[Clause]:
        reqs: list[Clause] = []
        while True:
            kind, lit = self._peek()
            if kind == "end":
                return reqs
            if kind not in ("id", "!"):
                raise SelectorSyntaxError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            reqs.append(self._requirement())
            kind, lit = self._next()
            if kind == "end":
                return reqs
            if kind != ",":
                raise SelectorSyntaxError(f"found '{lit}', expected: ',' or 'end of string'")
            kind, lit = self._peek()
            if kind not in ("id", "!"):
                raise SelectorSyntaxError(f"found '{lit}', expected: identifier after ','")

    def _requirement(self) -> Clause:
        kind, key = self._next()
        negated = kind == "!"
        if negated:
            kind, key = self._next()
        if kind != "id":
            raise SelectorSyntaxError(f"found '{key}', expected: identifier")
        errors = validate_qualified_name(key)
        if errors:
            raise SelectorSyntaxError(f"invalid label key {key!r}: {'; '.join(errors)}")
        if negated:
            return (key, "!", ())
        if self._peek()[0] in ("end", ","):
            return (key, "exists", ())
        kind, lit = self._next(values=False)
        if kind in ("in", "notin"):
            values = self._value_set()
            return (key, "in" if kind == "in" else "notin", self._checked(key, values))
        if kind != "op":
            raise SelectorSyntaxError(f"found '{lit}', expected: in, notin, =, ==, !=, gt, lt")
        value = self._exact_value()
        if lit in ("<", ">"):
            if not INTEGER.fullmatch(value):
                raise SelectorSyntaxError(
                    f"for 'Gt', 'Lt' operators, the value must be an integer, got {value!r}"
                )
            return (key, "<" if lit == "<" else ">", (value,))
        return (key, "!=" if lit == "!=" else "=", self._checked(key, {value}))

    def _checked(self, key: str, values: set[str]) -> tuple[str, ...]:
        for i, value in enumerate(sorted(values)):
            errors = validate_label_value(value)
            if errors:
                raise SelectorSyntaxError(
                    f"values[{i}][{key}]: invalid label value {value!r}: {'; '.join(errors)}"
                )
        return tuple(sorted(values))

    def _exact_value(self) -> str:
        kind, lit = self._peek()
        if kind in ("end", ","):
            return ""
        self.pos += 1
        if kind != "id":
            raise SelectorSyntaxError(f"found '{lit}', expected: identifier")
        return lit

    def _value_set(self) -> set[str]:
        kind, lit = self._next()
        if kind != "(":
            raise SelectorSyntaxError(f"found '{lit}', expected: '('")
        kind, lit = self._peek()
        if kind == ")":
            self.pos += 1
            return {""}
        if kind not in ("id", ","):
            raise SelectorSyntaxError(f"found '{lit}', expected: ',', ')' or identifier")
        values: set[str] = set()
        expect_value = True
        while True:
            kind, lit = self._next()
            if kind == "id" and expect_value:
                values.add(lit)
                expect_value = False
            elif kind == ",":
                if expect_value:
                    values.add("")
                expect_value = True
            elif kind == ")":
                if expect_value:
                    values.add("")
                return values
            else:
                expected = "',' or ')'" if not expect_value else "',', ')' or identifier"
                raise SelectorSyntaxError(f"found '{lit}', expected: {expected}")
