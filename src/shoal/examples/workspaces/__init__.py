"""Workspaces: Gitpod ws-manager's start, reconcile and cleanup paths, with the seed's fixes as defaults.

``start_workspace`` creates a workspace's env and token Secrets concurrently, then its Workspace, and
returns when the reconciler (``add_workspace_controller``) has created the Pod and reported the URL and
owner token, observed by watch. Deleting a Workspace deletes its Pod and both Secrets, then the
finalizer. ``collect_remote_content`` signs the content URLs concurrently. ``shoal bench workspaces``
measures all of it against the seed's sequential "before" and the ideal (docs/examples.md).
"""

from ._cleanup import (
    clean_up as clean_up,
    delete_workspace_secrets as delete_workspace_secrets,
    remove_finalizer as remove_finalizer,
    workspace_secrets as workspace_secrets,
)
from ._content import (
    CONTENT_SOURCES as CONTENT_SOURCES,
    SimulatedStorage as SimulatedStorage,
    collect_remote_content as collect_remote_content,
)
from ._crd import (
    FINALIZER as FINALIZER,
    NAMESPACE as NAMESPACE,
    OWNER_TOKEN_ANNOTATION as OWNER_TOKEN_ANNOTATION,
    PODS as PODS,
    SECRETS as SECRETS,
    SECRETS_NAMESPACE as SECRETS_NAMESPACE,
    WORKSPACE_ID_LABEL as WORKSPACE_ID_LABEL,
    WORKSPACES as WORKSPACES,
    env_secret_name as env_secret_name,
    install as install,
    pod_name as pod_name,
    token_secret_name as token_secret_name,
    workspace_crd as workspace_crd,
    workspace_object as workspace_object,
)
from ._reconciler import (
    WorkspaceReconciler as WorkspaceReconciler,
    add_workspace_controller as add_workspace_controller,
    desired_status as desired_status,
    workspace_manager as workspace_manager,
    workspace_url as workspace_url,
)
from ._start import (
    StartOptions as StartOptions,
    create_workspace_secrets as create_workspace_secrets,
    is_started as is_started,
    start_workspace as start_workspace,
)

__all__ = [
    "CONTENT_SOURCES",
    "FINALIZER",
    "NAMESPACE",
    "OWNER_TOKEN_ANNOTATION",
    "PODS",
    "SECRETS",
    "SECRETS_NAMESPACE",
    "WORKSPACES",
    "WORKSPACE_ID_LABEL",
    "SimulatedStorage",
    "StartOptions",
    "WorkspaceReconciler",
    "add_workspace_controller",
    "clean_up",
    "collect_remote_content",
    "create_workspace_secrets",
    "delete_workspace_secrets",
    "desired_status",
    "env_secret_name",
    "install",
    "is_started",
    "pod_name",
    "remove_finalizer",
    "start_workspace",
    "token_secret_name",
    "workspace_crd",
    "workspace_manager",
    "workspace_object",
    "workspace_secrets",
    "workspace_url",
]
