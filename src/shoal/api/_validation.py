"""Validation of ``metadata`` common to every kind, with the apiserver's field paths and sentences.

The simulator calls :func:`validate_metadata` on every create and update before anything is stored, so a
bad name, label or annotation is rejected as 422 Invalid naming ``metadata.name`` (or ``metadata.labels``,
...) exactly as a real cluster would, and nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Final, Literal

from ._errors import StatusCause
from ._field_errors import forbidden_cause, invalid_cause, required_cause, too_long_cause
from ._gvk import Object, split_api_version
from ._names import (
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_label_value,
    validate_path_segment_name,
    validate_qualified_name,
)

NameRule = Literal["subdomain", "label", "path"]
"""How a kind's names are checked: DNS-1123 subdomain (most kinds), label (Namespace, Service), path segment."""

TOTAL_ANNOTATION_SIZE_LIMIT: Final = 256 * 1024

_RULES: Final[dict[str, Callable[[str], list[str]]]] = {
    "subdomain": validate_dns1123_subdomain,
    "label": validate_dns1123_label,
    "path": validate_path_segment_name,
}


def validate_name(name: str, rule: NameRule = "subdomain", *, prefix: bool = False) -> list[str]:
    """Errors for an object name; with ``prefix`` (a ``generateName``) a trailing ``-`` is allowed."""
    if prefix:
        if rule == "path":
            return [m for m in validate_path_segment_name(name) if "contain" in m]
        if name.endswith("-"):
            name = name[:-1] + "a"
    return _RULES[rule](name)


@lru_cache(maxsize=4096)
def _key_errors(key: str) -> tuple[str, ...]:
    """A label or annotation key's errors. Objects of a kind carry the same few keys and values over
    and over, so the checks (regular expressions) run once per distinct string."""
    return tuple(validate_qualified_name(key))


@lru_cache(maxsize=4096)
def _label_value_errors(value: str) -> tuple[str, ...]:
    return tuple(validate_label_value(value))


@lru_cache(maxsize=1024)
def _namespace_errors(namespace: str) -> tuple[str, ...]:
    return tuple(validate_dns1123_label(namespace))


def validate_labels(labels: Any, field: str) -> list[StatusCause]:
    """Each key a qualified name, each value a label value; causes at ``field`` (``metadata.labels``)."""
    if labels is None:
        return []
    if not isinstance(labels, Mapping):
        return [invalid_cause(field, labels, "must be a map of string keys to string values")]
    causes: list[StatusCause] = []
    for key, value in labels.items():
        if errors := _key_errors(str(key)):
            causes.extend(invalid_cause(field, key, m) for m in errors)
        if not isinstance(value, str):
            causes.append(invalid_cause(field, value, "must be a string"))
            continue
        if errors := _label_value_errors(value):
            causes.extend(invalid_cause(field, value, m) for m in errors)
    return causes


def validate_annotations(annotations: Any, field: str) -> list[StatusCause]:
    """Keys are qualified names (any case); keys and values together at most 256 KiB."""
    if annotations is None:
        return []
    if not isinstance(annotations, Mapping):
        return [invalid_cause(field, annotations, "must be a map of string keys to string values")]
    causes: list[StatusCause] = []
    total = 0
    for key, value in annotations.items():
        if errors := _key_errors(str(key).lower()):
            causes.extend(invalid_cause(field, key, m) for m in errors)
        if not isinstance(value, str):
            causes.append(invalid_cause(field, value, "must be a string"))
            continue
        total += len(str(key)) + len(value)
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        causes.append(too_long_cause(field, TOTAL_ANNOTATION_SIZE_LIMIT))
    return causes


def _validate_finalizers(finalizers: Any, field: str) -> list[StatusCause]:
    if finalizers is None:
        return []
    if not isinstance(finalizers, list):
        return [invalid_cause(field, finalizers, "must be a list of strings")]
    causes: list[StatusCause] = []
    for i, name in enumerate(finalizers):
        path = f"{field}[{i}]"
        if not isinstance(name, str):
            causes.append(invalid_cause(path, name, "must be a string"))
            continue
        causes.extend(invalid_cause(path, name, m) for m in validate_qualified_name(name))
    return causes


def _validate_owner_references(refs: Any, field: str) -> list[StatusCause]:
    if refs is None:
        return []
    if not isinstance(refs, list) or not all(isinstance(r, Mapping) for r in refs):
        return [invalid_cause(field, refs, "must be a list of owner references")]
    causes: list[StatusCause] = []
    controllers: list[str] = []
    for ref in refs:
        api_version = str(ref.get("apiVersion") or "")
        if not split_api_version(api_version)[1]:
            causes.append(invalid_cause(f"{field}.apiVersion", api_version, "version must not be empty"))
        causes.extend(
            invalid_cause(f"{field}.{key}", str(ref.get(key) or ""), "must not be empty")
            for key in ("kind", "name", "uid")
            if not ref.get(key)
        )
        if ref.get("controller") is True:
            controllers.append(str(ref.get("name") or ""))
    if len(controllers) > 1:
        listed = ", ".join(controllers)
        detail = (
            f'Only one reference can have Controller set to true. Found "true" in references for {listed}'
        )
        causes.append(invalid_cause(field, refs, detail))
    return causes


def validate_metadata(
    obj: Object, *, kind: str, namespaced: bool, name_rule: NameRule = "subdomain"
) -> list[StatusCause]:
    """The causes a ``kind`` object's ``metadata`` would be rejected for (empty when it is valid).

    Checks name / generateName against ``name_rule`` (a name is required unless generateName is set: the
    store generates it), namespace presence and syntax for namespaced kinds and absence otherwise,
    labels, annotations (keys and total size), finalizers and ownerReferences. ``kind`` is accepted so
    per-kind rules can be added; the checks here are those every kind shares.
    """
    del kind  # the shared rules do not depend on it
    meta = obj.get("metadata")
    if meta is None:
        meta = {}
    if not isinstance(meta, Mapping):
        return [invalid_cause("metadata", meta, "must be an object")]
    causes: list[StatusCause] = []
    name = meta.get("name") or ""
    generate_name = meta.get("generateName") or ""
    if generate_name:
        causes.extend(
            invalid_cause("metadata.generateName", generate_name, m)
            for m in validate_name(str(generate_name), name_rule, prefix=True)
        )
    if name:
        causes.extend(invalid_cause("metadata.name", name, m) for m in validate_name(str(name), name_rule))
    elif not generate_name:
        causes.append(required_cause("metadata.name", "name or generateName is required"))
    namespace = meta.get("namespace") or ""
    if namespaced:
        if not namespace:
            causes.append(required_cause("metadata.namespace"))
        else:
            causes.extend(
                invalid_cause("metadata.namespace", namespace, m) for m in _namespace_errors(str(namespace))
            )
    elif namespace:
        causes.append(forbidden_cause("metadata.namespace", "not allowed on this type"))
    causes.extend(validate_labels(meta.get("labels"), "metadata.labels"))
    causes.extend(validate_annotations(meta.get("annotations"), "metadata.annotations"))
    causes.extend(_validate_finalizers(meta.get("finalizers"), "metadata.finalizers"))
    causes.extend(_validate_owner_references(meta.get("ownerReferences"), "metadata.ownerReferences"))
    return causes
