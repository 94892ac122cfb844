"""Rendering an ApplicationSet's template with one parameter set into a desired Application.

Argo CD substitutes ``{{name}}`` placeholders in every string of the template (fasttemplate style).
Here a placeholder naming no parameter is an error that names the template field, rather than text left
in an Application name where the API would reject it later with a less helpful message. The rendered
Application is controlled by its ApplicationSet (an ownerReference with ``controller: true``), so
deleting the ApplicationSet deletes its Applications and the controller finds them by owner.
"""

from __future__ import annotations

import re
from typing import Any

from shoal.api import StatusCause, invalid, invalid_cause

from ._crd import APPLICATION_KIND, APPLICATION_SET_KIND, GROUP, VERSION

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


def _render(value: Any, params: dict[str, str], field: str, causes: list[StatusCause]) -> Any:
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in params:
                causes.append(invalid_cause(field, value, f"no parameter {name!r}"))
                return match.group(0)
            return params[name]

        return _PLACEHOLDER.sub(substitute, value)
    if isinstance(value, dict):
        return {k: _render(v, params, f"{field}.{k}", causes) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, params, f"{field}[{i}]", causes) for i, v in enumerate(value)]
    return value


def render_application(appset: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    """The Application ``appset``'s template yields for ``params``, in the ApplicationSet's namespace.

    Raises:
        InvalidError: a placeholder names no parameter, or the rendered name is empty; the field is named.
    """
    meta = appset["metadata"]
    causes: list[StatusCause] = []
    template = _render(appset["spec"]["template"], params, "spec.template", causes)
    app_meta = dict(template.get("metadata") or {})
    if not causes and not app_meta.get("name"):
        causes.append(invalid_cause("spec.template.metadata.name", app_meta.get("name"), "renders empty"))
    if causes:
        raise invalid(APPLICATION_SET_KIND, str(meta.get("name", "")), *causes, group=GROUP)
    app_meta["namespace"] = meta["namespace"]
    app_meta["ownerReferences"] = [
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": APPLICATION_SET_KIND,
            "name": meta["name"],
            "uid": meta["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": APPLICATION_KIND,
        "metadata": app_meta,
        "spec": template.get("spec") or {},
    }
