"""Cleaning up after a workspace: its two Secrets, concurrently, then the finalizer.

The env and token Secrets are independent, so deleting them one after the other (the seed before its
fix: Get then Delete, twice) costs two round trips where one will do. The finalizer comes off only once
both are gone, so a Workspace never disappears while a Secret of it remains. Each delete tolerates a
Secret already gone: cleanup runs again on every reconcile of a deleted Workspace until it succeeds.
"""

from __future__ import annotations

from typing import Any, Protocol

from shoal.api import GroupVersionResource, NotFoundError
from shoal.client import Client
from shoal.fanout import gather

from ._crd import (
    FINALIZER,
    NAMESPACE,
    SECRETS,
    SECRETS_NAMESPACE,
    WORKSPACES,
    env_secret_name,
    token_secret_name,
)


class ObjectGetter(Protocol):
    """A Client or a CachedReader: both read one object by name."""

    async def get(
        self, resource: GroupVersionResource, name: str, *, namespace: str | None = None
    ) -> Any: ...


def workspace_secrets(workspace_id: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """``(namespace, name)`` of the env and the token Secret of a workspace."""
    return (NAMESPACE, env_secret_name(workspace_id)), (SECRETS_NAMESPACE, token_secret_name(workspace_id))


async def delete_secret(client: Client, reader: ObjectGetter, namespace: str, name: str) -> bool:
    """Get the Secret, then delete it; returns whether this call deleted it (``False``: already gone)."""
    try:
        await reader.get(SECRETS, name, namespace=namespace)
        await client.delete(SECRETS, name, namespace=namespace)
    except NotFoundError:
        return False
    return True


async def delete_workspace_secrets(
    client: Client, workspace_id: str, *, reader: ObjectGetter | None = None, concurrent: bool = True
) -> int:
    """Delete both Secrets of a workspace (``concurrent=False``: one after the other, as the seed did).

    ``reader`` serves the Gets (a cached reader in a controller; the client by default). Returns how many
    Secrets this call deleted.
    """
    source = reader or client
    (env_ns, env), (tok_ns, tok) = workspace_secrets(workspace_id)
    if concurrent:
        deleted = await gather(
            delete_secret(client, source, env_ns, env), delete_secret(client, source, tok_ns, tok)
        )
        return sum(deleted)
    return int(await delete_secret(client, source, env_ns, env)) + int(
        await delete_secret(client, source, tok_ns, tok)
    )


async def remove_finalizer(client: Client, workspace: dict[str, Any]) -> bool:
    """Take :data:`FINALIZER` off the Workspace (an update with its resourceVersion: a stale copy gets a
    409 and the reconcile retries). Returns whether an update was sent."""
    meta = workspace.get("metadata") or {}
    finalizers = list(meta.get("finalizers") or [])
    if FINALIZER not in finalizers:
        return False
    finalizers.remove(FINALIZER)
    updated = {**workspace, "metadata": {**meta, "finalizers": finalizers}}
    try:
        await client.update(WORKSPACES, updated, namespace=meta.get("namespace"))
    except NotFoundError:
        return False
    return True


async def clean_up(
    client: Client, workspace: dict[str, Any], *, reader: ObjectGetter | None = None, concurrent: bool = True
) -> None:
    """Delete the workspace's Secrets, then remove its finalizer (ConflictError propagates: retry)."""
    workspace_id = workspace["metadata"]["name"]
    await delete_workspace_secrets(client, workspace_id, reader=reader, concurrent=concurrent)
    await remove_finalizer(client, workspace)
