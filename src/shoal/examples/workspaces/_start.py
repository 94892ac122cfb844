"""Starting a workspace: two Secrets, the Workspace, and the wait for its URL and owner token.

Gitpod's StartWorkspace created the env and token Secrets one after the other, then the Workspace, then
polled every 100 ms (waiting a full interval before the first look) until the reconciler had set the
URL and owner token: a start could not return sooner than 100 ms whatever the cluster's speed. Here the
Secrets are created concurrently (they do not depend on each other; the Workspace depends on both) and
the wait is a watch on the one Workspace, so the call returns on the event that completes it. The seed's
sequential creates and poll remain available as ``StartOptions.seed()``: the benchmark's "before".
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from shoal.api import AlreadyExistsError, not_found
from shoal.client import Client
from shoal.fanout import gather

from ._crd import (
    NAMESPACE,
    SECRETS,
    SECRETS_NAMESPACE,
    WORKSPACE_ID_LABEL,
    WORKSPACES,
    env_secret_name,
    secret_object,
    token_secret_name,
    workspace_object,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class StartOptions:
    """How :func:`start_workspace` writes and waits.

    Attributes:
        concurrent_secrets: create the two Secrets at once (``False``: one after the other, as the seed).
        poll_interval: ``None`` waits by watch; seconds poll with a Get every interval, after waiting
            one interval first (the seed's ``wait.PollWithContext(100ms, …)``).
        timeout: seconds before the wait gives up with TimeoutError. Defaults to 30.
    """

    concurrent_secrets: bool = True
    poll_interval: float | None = None
    timeout: float = 30.0

    @classmethod
    def seed(cls) -> StartOptions:
        """The seed's behaviour before its fix: sequential Secrets, 100 ms poll."""
        return cls(concurrent_secrets=False, poll_interval=0.1)


def is_started(workspace: dict[str, Any]) -> bool:
    """Whether the reconciler has reported the URL and owner token (it does once the Pod exists)."""
    status = workspace.get("status") or {}
    return bool(status.get("url")) and bool(status.get("ownerToken"))


async def create_workspace_secrets(client: Client, workspace_id: str, *, concurrent: bool = True) -> None:
    """Create the env Secret (workspace namespace) and the token Secret (secrets namespace); at once,
    or one after the other with ``concurrent=False`` (the seed before its fix)."""
    env = secret_object(
        env_secret_name(workspace_id), NAMESPACE, workspace_id, {"GITPOD_WORKSPACE_ID": workspace_id}
    )
    tokens = secret_object(
        token_secret_name(workspace_id), SECRETS_NAMESPACE, workspace_id, {"token": secrets.token_urlsafe(24)}
    )
    if concurrent:
        await gather(
            client.create(SECRETS, env, namespace=NAMESPACE),
            client.create(SECRETS, tokens, namespace=SECRETS_NAMESPACE),
        )
    else:
        await client.create(SECRETS, env, namespace=NAMESPACE)
        await client.create(SECRETS, tokens, namespace=SECRETS_NAMESPACE)


async def start_workspace(
    client: Client,
    workspace_id: str,
    *,
    image: str = "workspace-full:latest",
    owner: str = "user-1",
    options: StartOptions | None = None,
) -> dict[str, Any]:
    """Create the Secrets and the Workspace, wait until it is started, return it (with ``status.url``).

    Raises:
        AlreadyExistsError: a Workspace with this id exists already.
        NotFoundError: the Workspace was deleted before it started.
        TimeoutError: the Workspace was not started within ``options.timeout`` seconds.
    """
    opts = options or StartOptions()
    existing = await client.list(
        WORKSPACES, namespace=NAMESPACE, label_selector=f"{WORKSPACE_ID_LABEL}={workspace_id}"
    )
    if existing.get("items"):
        raise AlreadyExistsError(f'workspaces.{WORKSPACES.group} "{workspace_id}" already exists')
    await create_workspace_secrets(client, workspace_id, concurrent=opts.concurrent_secrets)
    created = await client.create(
        WORKSPACES, workspace_object(workspace_id, image=image, owner=owner), namespace=NAMESPACE
    )
    async with asyncio.timeout(opts.timeout):
        if opts.poll_interval is None:
            return await _watch_started(client, created)
        return await _poll_started(client, workspace_id, opts.poll_interval)


async def _watch_started(client: Client, created: dict[str, Any]) -> dict[str, Any]:
    """Watch the one Workspace from the version the create returned until it is started; if the stream
    ends first, read it again and watch on from there."""
    workspace, name = created, created["metadata"]["name"]
    while not is_started(workspace):
        stream = client.watch(
            WORKSPACES,
            namespace=NAMESPACE,
            field_selector=f"metadata.name={name}",
            resource_version=workspace["metadata"]["resourceVersion"],
        )
        try:
            async for event in stream:
                if event.type == "DELETED":
                    raise not_found(WORKSPACES.resource, name, WORKSPACES.group)
                if event.type in ("ADDED", "MODIFIED") and is_started(event.object):
                    return event.object
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()
        workspace = await client.get(WORKSPACES, name, namespace=NAMESPACE)
    return workspace


async def _poll_started(client: Client, workspace_id: str, interval: float) -> dict[str, Any]:
    """The seed's wait: sleep one interval, Get, repeat until started."""
    while True:
        await asyncio.sleep(interval)
        workspace = await client.get(WORKSPACES, workspace_id, namespace=NAMESPACE)
        if is_started(workspace):
            return workspace
