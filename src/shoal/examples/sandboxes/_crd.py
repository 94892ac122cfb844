"""The Sandbox custom resource: its definition, and installing it into a cluster or the simulator.

The strong path is driven by Sandbox objects, and the fast path writes one after replying, so both need
the CRD served. ``status`` is a subresource: the controller's status writes never race a user's spec
edits (BRIEF invariant 5).
"""

from __future__ import annotations

import contextlib
from typing import Any

from shoal.api import CRDS, AlreadyExistsError, GroupVersionResource, custom_resource_definition
from shoal.client import Client

from ._model import GROUP, KIND

VERSION = "v1alpha1"
SANDBOXES = GroupVersionResource(GROUP, VERSION, "sandboxes")

FASTLET_ANNOTATION = f"{GROUP}/fastlet"
"""Set on a Sandbox object the fast path wrote: the fastlet that already runs it."""
MODE_ANNOTATION = f"{GROUP}/mode"


def sandbox_crd() -> dict[str, Any]:
    """The CustomResourceDefinition of ``sandboxes.sandboxes.shoal.dev``."""
    port = {"type": "integer", "minimum": 1, "maximum": 65535}
    spec = {
        "type": "object",
        "required": ["poolRef", "image"],
        "properties": {
            "poolRef": {"type": "string"},
            "image": {"type": "string"},
            "exposedPorts": {"type": "array", "items": port},
        },
    }
    status = {
        "type": "object",
        "properties": {
            "phase": {"type": "string"},
            "fastlet": {"type": "string"},
            "sandboxID": {"type": "string"},
            "message": {"type": "string"},
        },
    }
    return custom_resource_definition(GROUP, KIND, "sandboxes", version=VERSION, spec=spec, status=status)


async def install_sandbox_crd(client: Client) -> None:
    """Create the Sandbox CRD; an existing one is left as it is."""
    with contextlib.suppress(AlreadyExistsError):
        await client.create(CRDS, sandbox_crd())


def sandbox_object(
    namespace: str, name: str, *, pool: str, image: str, ports: tuple[int, ...] = ()
) -> dict[str, Any]:
    """A Sandbox object asking for ``image`` in ``pool`` with ``ports`` exposed."""
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"poolRef": pool, "image": image, "exposedPorts": list(ports)},
    }
