"""A small kopf operator for the e2e test: create/update/delete handlers on ``gadgets.kopf.shoal.test``.

Run as ``python -m kopf run --standalone -A gadget_operator.py`` with ``KUBECONFIG`` pointing at the
simulator. The delete handler makes kopf put its finalizer on every gadget, so deletion completes
only after kopf has handled it and removed the finalizer.
"""

from __future__ import annotations

from typing import Any

import kopf

GROUP, VERSION, PLURAL = "kopf.shoal.test", "v1", "gadgets"


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.posting.enabled = False
    settings.watching.connect_timeout = 5
    settings.networking.error_backoffs = [0.1, 0.2, 0.5, 1.0]


@kopf.on.create(GROUP, VERSION, PLURAL)
async def created(spec: kopf.Spec, patch: kopf.Patch, **_: Any) -> None:
    patch.status["phase"] = "Created"
    patch.status["observedSize"] = spec.get("size")


@kopf.on.update(GROUP, VERSION, PLURAL, field="spec.size")
async def resized(new: Any, patch: kopf.Patch, **_: Any) -> None:
    patch.status["phase"] = "Updated"
    patch.status["observedSize"] = new


@kopf.on.delete(GROUP, VERSION, PLURAL)
async def deleted(name: str, logger: kopf.Logger, **_: Any) -> None:
    logger.info("gadget %s is going away", name)
