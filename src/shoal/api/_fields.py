"""Field selectors and the selectable fields of each kind.

``fieldSelector`` is how kubectl (``wait``, ``delete``), kubelets (``spec.nodeName=n1``) and event readers
narrow lists and watches. The apiserver accepts only a fixed set of field labels per kind and rejects the
rest with 400 ``field label not supported``; :func:`supported_fields` and :func:`field_set` encode that
table, so the simulator and cached readers filter exactly as a real server does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from ._errors import BadRequestError, StatusCause
from ._gvk import GroupVersionKind, Object

FieldOperator = Literal["=", "!="]
"""``==`` parses to ``=``."""

_ESCAPES: Final = {"\\": "\\\\", ",": "\\,", "=": "\\=", "!": "\\!"}


@dataclass(frozen=True, slots=True)
class FieldSelector:
    """A parsed field selector: ANDed ``(field, operator, value)`` requirements.

    A field absent from the object's field set compares as ``""`` (so ``x!=v`` matches it).
    """

    requirements: tuple[tuple[str, FieldOperator, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> FieldSelector:
        """Parse ``a=b,c!=d`` (``==`` accepted, ``\\,`` ``\\=`` ``\\!`` ``\\\\`` escape); 400 on bad terms."""
        reqs: list[tuple[str, FieldOperator, str]] = []
        for term in _split_terms(text):
            if not term.strip():
                continue
            parsed = _split_term(term)
            if parsed is None:
                detail = f"invalid selector: '{text}'; can't understand '{_unescape(term)}'"
                raise BadRequestError(
                    f'unable to parse field selector "{text}": {detail}',
                    causes=(StatusCause("FieldValueInvalid", detail, "fieldSelector"),),
                )
            reqs.append(parsed)
        return cls(tuple(sorted(set(reqs))))

    @classmethod
    def everything(cls) -> FieldSelector:
        return _EVERYTHING

    @property
    def empty(self) -> bool:
        return not self.requirements

    @property
    def fields(self) -> frozenset[str]:
        """The field labels this selector reads."""
        return frozenset(f for f, _, _ in self.requirements)

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all((fields.get(name, "") == value) == (op == "=") for name, op, value in self.requirements)

    def value_of(self, field: str) -> str | None:
        """The value an ``=`` requirement pins ``field`` to (``metadata.name=x`` → ``x``), if any."""
        for name, op, value in self.requirements:
            if name == field and op == "=":
                return value
        return None

    def __str__(self) -> str:
        return ",".join(f"{_escape(f)}{op}{_escape(v)}" for f, op, v in self.requirements)


_EVERYTHING: Final = FieldSelector()


def _escape(text: str) -> str:
    return "".join(_ESCAPES.get(c, c) for c in text)


def _unescape(text: str) -> str:
    out: list[str] = []
    escaped = False
    for c in text:
        if escaped or c != "\\":
            out.append(c)
            escaped = False
        else:
            escaped = True
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    terms: list[str] = []
    start, escaped = 0, False
    for i, c in enumerate(text):
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, FieldOperator, str] | None:
    escaped = False
    for i, c in enumerate(term):
        if escaped:
            escaped = False
            continue
        if c == "\\":
            escaped = True
            continue
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                name = _unescape(term[:i]).strip()
                if not name:
                    return None
                value = _unescape(term[i + len(op) :])
                return name, ("!=" if op == "!=" else "="), value
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return ""


def _dig(obj: Mapping[str, Any], path: str) -> Any:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _pod_ip(obj: Object) -> str:
    status = obj.get("status") or {}
    ips = status.get("podIPs") or ()
    if ips and isinstance(ips[0], Mapping):
        return _text(ips[0].get("ip"))
    return _text(status.get("podIP"))


# (group, kind) -> {field label: a dotted path into the object, or a callable(obj) -> str}
_KIND_FIELDS: Final[dict[tuple[str, str], dict[str, Any]]] = {
    ("", "Pod"): {
        "spec.nodeName": "spec.nodeName",
        "spec.host": "spec.nodeName",
        "spec.restartPolicy": "spec.restartPolicy",
        "spec.schedulerName": "spec.schedulerName",
        "spec.serviceAccountName": "spec.serviceAccountName",
        "spec.hostNetwork": lambda o: "true" if _dig(o, "spec.hostNetwork") else "false",
        "status.phase": "status.phase",
        "status.podIP": _pod_ip,
        "status.nominatedNodeName": "status.nominatedNodeName",
    },
    ("", "Event"): {
        "involvedObject.kind": "involvedObject.kind",
        "involvedObject.namespace": "involvedObject.namespace",
        "involvedObject.name": "involvedObject.name",
        "involvedObject.uid": "involvedObject.uid",
        "involvedObject.apiVersion": "involvedObject.apiVersion",
        "involvedObject.resourceVersion": "involvedObject.resourceVersion",
        "involvedObject.fieldPath": "involvedObject.fieldPath",
        "reason": "reason",
        "reportingComponent": "reportingComponent",
        "source": "source.component",
        "type": "type",
    },
    ("events.k8s.io", "Event"): {
        "regarding.kind": "regarding.kind",
        "regarding.namespace": "regarding.namespace",
        "regarding.name": "regarding.name",
        "regarding.uid": "regarding.uid",
        "reason": "reason",
        "reportingController": "reportingController",
        "type": "type",
    },
    ("", "Secret"): {"type": "type"},
    ("", "Node"): {"spec.unschedulable": lambda o: "true" if _dig(o, "spec.unschedulable") else "false"},
    ("", "Namespace"): {"status.phase": "status.phase"},
    ("", "ReplicationController"): {"status.replicas": lambda o: _text(_dig(o, "status.replicas") or 0)},
    ("apps", "ReplicaSet"): {"status.replicas": lambda o: _text(_dig(o, "status.replicas") or 0)},
    ("batch", "Job"): {"status.successful": lambda o: _text(_dig(o, "status.successful") or 0)},
    ("certificates.k8s.io", "CertificateSigningRequest"): {"spec.signerName": "spec.signerName"},
}

_META_FIELDS: Final = frozenset({"metadata.name", "metadata.namespace"})


def _extra_label(path: str) -> str:
    return path[1:] if path.startswith(".") else path


def supported_fields(gvk: GroupVersionKind, extra_paths: Sequence[str] = ()) -> frozenset[str]:
    """The field labels a ``fieldSelector`` may use for this kind (CRDs: their ``selectableFields``)."""
    specific = _KIND_FIELDS.get((gvk.group, gvk.kind), {})
    return _META_FIELDS | frozenset(specific) | frozenset(_extra_label(p) for p in extra_paths)


def check_supported(selector: FieldSelector, gvk: GroupVersionKind, extra_paths: Sequence[str] = ()) -> None:
    """Raise 400 ``field label not supported: <x>`` for the first field the kind cannot select on."""
    allowed = supported_fields(gvk, extra_paths)
    for name in sorted(selector.fields):
        if name not in allowed:
            raise BadRequestError(
                f"field label not supported: {name}",
                causes=(StatusCause("FieldValueNotSupported", f"field label not supported: {name}", name),),
            )


def field_set(obj: Object, extra_paths: Sequence[str] = ()) -> dict[str, str]:
    """The selectable fields of ``obj`` with their string values (booleans ``true``/``false``)."""
    meta = obj.get("metadata") or {}
    out = {"metadata.name": _text(meta.get("name")), "metadata.namespace": _text(meta.get("namespace"))}
    gvk = GroupVersionKind.of(obj)
    for label, getter in _KIND_FIELDS.get((gvk.group, gvk.kind), {}).items():
        out[label] = _text(_dig(obj, getter)) if isinstance(getter, str) else getter(obj)
    for path in extra_paths:
        out[_extra_label(path)] = _text(_dig(obj, _extra_label(path)))
    return out


def selects(selector: FieldSelector, obj: Object, extra_paths: Iterable[str] = ()) -> bool:
    """Shortcut: ``selector.matches(field_set(obj, extra_paths))`` (everything when empty)."""
    return selector.empty or selector.matches(field_set(obj, tuple(extra_paths)))
