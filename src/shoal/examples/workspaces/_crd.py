"""The Workspace custom resource, its names, and installing it with the namespaces it uses.

Gitpod's ws-manager keeps a workspace's env Secret next to the Workspace and its token Secret in a
separate secrets namespace; the start call, the reconciler, the cleanup and the benchmark all need the
same names, so they are defined once here.
"""

from __future__ import annotations

import contextlib
from typing import Any

from shoal.api import CRDS, AlreadyExistsError, GroupVersionResource, custom_resource_definition
from shoal.client import Client

GROUP = "workspaces.shoal.dev"
VERSION = "v1"
KIND = "Workspace"
WORKSPACES = GroupVersionResource(GROUP, VERSION, "workspaces")
PODS = GroupVersionResource("", "v1", "pods")
SECRETS = GroupVersionResource("", "v1", "secrets")
NAMESPACES = GroupVersionResource("", "v1", "namespaces")

NAMESPACE = "default"
"""Where Workspaces, their Pods and their env Secrets live."""
SECRETS_NAMESPACE = "workspace-secrets"
"""Where the token Secrets live (readable by fewer parties than the workspace namespace)."""
FINALIZER = f"{GROUP}/finalizer"
"""Keeps a Workspace until its Pod and Secrets are gone."""
WORKSPACE_ID_LABEL = f"{GROUP}/id"
OWNER_TOKEN_ANNOTATION = f"{GROUP}/owner-token"
"""Set on the Pod when the reconciler creates it; the status reports it once the Pod exists."""


def env_secret_name(workspace_id: str) -> str:
    return f"{workspace_id}-env"


def token_secret_name(workspace_id: str) -> str:
    return f"{workspace_id}-tokens"


def pod_name(workspace_id: str) -> str:
    return f"ws-{workspace_id}"


def workspace_crd() -> dict[str, Any]:
    """The CustomResourceDefinition of ``workspaces.workspaces.shoal.dev`` (status as a subresource)."""
    spec = {
        "type": "object",
        "required": ["image", "owner"],
        "properties": {"image": {"type": "string"}, "owner": {"type": "string"}},
    }
    status = {
        "type": "object",
        "properties": {
            "phase": {"type": "string"},
            "url": {"type": "string"},
            "ownerToken": {"type": "string"},
            "podStarts": {"type": "integer"},
        },
    }
    return custom_resource_definition(GROUP, KIND, "workspaces", version=VERSION, spec=spec, status=status)


async def install(client: Client) -> None:
    """Create the Workspace CRD and the secrets namespace; existing ones are left as they are."""
    with contextlib.suppress(AlreadyExistsError):
        await client.create(CRDS, workspace_crd())
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SECRETS_NAMESPACE}}
    with contextlib.suppress(AlreadyExistsError):
        await client.create(NAMESPACES, namespace)


def workspace_object(workspace_id: str, *, image: str, owner: str) -> dict[str, Any]:
    """A Workspace asking for ``image`` on behalf of ``owner``, with the cleanup finalizer."""
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": KIND,
        "metadata": {
            "name": workspace_id,
            "namespace": NAMESPACE,
            "labels": {WORKSPACE_ID_LABEL: workspace_id},
            "finalizers": [FINALIZER],
        },
        "spec": {"image": image, "owner": owner},
    }


def secret_object(name: str, namespace: str, workspace_id: str, data: dict[str, str]) -> dict[str, Any]:
    """A Secret labelled with its workspace (``stringData`` is stored as base64 ``data``)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": {WORKSPACE_ID_LABEL: workspace_id}},
        "stringData": data,
    }
