"""The ApplicationSet and Application custom resources (``argoproj.io/v1alpha1``), and object builders.

The reference controller reconciles ApplicationSets into Applications, so both kinds must be served by
whatever cluster it runs against (the simulator included). Only the fields the controller reads and
writes are described; the schemas keep unknown fields so real Argo CD objects are accepted as well.
"""

from __future__ import annotations

import contextlib
from typing import Any

from shoal.api import CRDS, AlreadyExistsError, GroupVersionResource, custom_resource_definition
from shoal.client import Client

GROUP = "argoproj.io"
VERSION = "v1alpha1"
APPLICATION_SETS = GroupVersionResource(GROUP, VERSION, "applicationsets")
APPLICATIONS = GroupVersionResource(GROUP, VERSION, "applications")
APPLICATION_SET_KIND = "ApplicationSet"
APPLICATION_KIND = "Application"


def application_set_crd() -> dict[str, Any]:
    """The CustomResourceDefinition of ``applicationsets.argoproj.io``."""
    return custom_resource_definition(
        GROUP, APPLICATION_SET_KIND, "applicationsets", version=VERSION, short_names=["appset", "appsets"]
    )


def application_crd() -> dict[str, Any]:
    """The CustomResourceDefinition of ``applications.argoproj.io``."""
    return custom_resource_definition(
        GROUP, APPLICATION_KIND, "applications", version=VERSION, short_names=["app", "apps"]
    )


async def install_appset_crds(client: Client) -> None:
    """Create both CRDs; existing ones are left as they are."""
    for crd in (application_set_crd(), application_crd()):
        with contextlib.suppress(AlreadyExistsError):
            await client.create(CRDS, crd)


def application_set_object(
    namespace: str,
    name: str,
    *,
    repo_url: str,
    directories: list[str],
    excludes: tuple[str, ...] = (),
    revision: str = "HEAD",
    requeue_after_seconds: float | None = None,
    name_template: str = "{{path.basename}}",
) -> dict[str, Any]:
    """An ApplicationSet with one git directories generator over ``directories`` (glob patterns) of
    ``repo_url``, templating one Application per matched directory, named by ``name_template``."""
    generator: dict[str, Any] = {
        "repoURL": repo_url,
        "revision": revision,
        "directories": [{"path": p} for p in directories] + [{"path": p, "exclude": True} for p in excludes],
    }
    if requeue_after_seconds is not None:
        generator["requeueAfterSeconds"] = requeue_after_seconds
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": APPLICATION_SET_KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "generators": [{"git": generator}],
            "template": {
                "metadata": {"name": name_template, "labels": {"app.kubernetes.io/part-of": name}},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": repo_url, "targetRevision": revision, "path": "{{path}}"},
                    "destination": {
                        "server": "https://kubernetes.default.svc",
                        "namespace": "{{path.basenameNormalized}}",
                    },
                },
            },
        },
    }
