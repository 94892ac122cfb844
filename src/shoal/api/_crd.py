"""Building CustomResourceDefinitions: the one-version shape every example, benchmark and test needs.

A CRD manifest is forty lines of nesting around a handful of facts (group, kind, plural, scope, which
subresources, which fields). Writing it once here keeps those facts visible at each call site and the
nesting right everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._gvk import GroupVersionResource, Object

CRDS = GroupVersionResource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
"""Where CustomResourceDefinitions are created."""

OPEN_OBJECT: Mapping[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
"""A schema that accepts any object (its unknown fields are kept, not pruned)."""


def custom_resource_definition(
    group: str,
    kind: str,
    plural: str,
    *,
    version: str = "v1",
    namespaced: bool = True,
    spec: Mapping[str, Any] | None = None,
    status: Mapping[str, Any] | None = None,
    schema: Mapping[str, Any] | None = None,
    status_subresource: bool = True,
    short_names: Sequence[str] = (),
    printer_columns: Sequence[Mapping[str, Any]] = (),
) -> Object:
    """A CustomResourceDefinition serving one version (``<plural>.<group>``).

    Args:
        spec, status: the schemas of ``.spec`` and ``.status``; each defaults to :data:`OPEN_OBJECT`.
        schema: the whole ``openAPIV3Schema``, when ``spec``/``status`` do not describe it (e.g. a kind
            without spec); it wins over them.
        status_subresource: serve ``/status`` (writes to it change only status, BRIEF invariant 5).
        printer_columns: ``additionalPrinterColumns`` for ``kubectl get``.
    """
    root = (
        dict(schema)
        if schema is not None
        else {
            "type": "object",
            "properties": {"spec": dict(spec or OPEN_OBJECT), "status": dict(status or OPEN_OBJECT)},
        }
    )
    served: dict[str, Any] = {
        "name": version,
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": root},
    }
    if status_subresource:
        served["subresources"] = {"status": {}}
    if printer_columns:
        served["additionalPrinterColumns"] = [dict(c) for c in printer_columns]
    names: dict[str, Any] = {
        "plural": plural,
        "singular": kind.lower(),
        "kind": kind,
        "listKind": f"{kind}List",
    }
    if short_names:
        names["shortNames"] = list(short_names)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced" if namespaced else "Cluster",
            "names": names,
            "versions": [served],
        },
    }
