"""Bad input: each mistake gets the right Status naming the field, and the store stays exactly as it was."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from shoal.api import (
    GVR,
    ApiError,
    BadRequestError,
    InvalidError,
    NotFoundError,
    PatchType,
    UnsupportedMediaTypeError,
)
from shoal.client import Client

from ._support import (
    CONFIGMAPS,
    DEPLOYMENTS,
    NAMESPACES,
    PODS,
    configmap,
    custom,
    deployment,
    register_crd,
    snapshot,
)

Call = Callable[[Client, str], Awaitable[Any]]


def _bad_label_value(client: Client, ns: str) -> Awaitable[Any]:
    return client.patch(
        CONFIGMAPS, "existing", {"metadata": {"labels": {"app": "not a value!"}}}, namespace=ns
    )


def _pod_without_containers(client: Client, ns: str) -> Awaitable[Any]:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": ns},
        "spec": {"containers": []},
    }
    return client.create(PODS, body)


def _negative_replicas(client: Client, ns: str) -> Awaitable[Any]:
    return client.patch(DEPLOYMENTS, "existing", {"spec": {"replicas": -1}}, namespace=ns)


CASES: dict[str, tuple[Call, type[ApiError], str]] = {
    "invalid name": (
        lambda c, ns: c.create(CONFIGMAPS, configmap("Not_Valid", ns)),
        InvalidError,
        "metadata.name",
    ),
    "name too long": (
        lambda c, ns: c.create(CONFIGMAPS, configmap("x" * 254, ns)),
        InvalidError,
        "metadata.name",
    ),
    "generateName too": (
        lambda c, ns: c.create(CONFIGMAPS, {"metadata": {"generateName": "Bad_"}}, namespace=ns),
        InvalidError,
        "metadata.generateName",
    ),
    "invalid label value": (_bad_label_value, InvalidError, "metadata.labels"),
    "invalid label key": (
        lambda c, ns: c.create(CONFIGMAPS, configmap("x", ns, labels={"bad key": "v"})),
        InvalidError,
        "metadata.labels",
    ),
    "pod without containers": (_pod_without_containers, InvalidError, "spec.containers"),
    "negative replicas": (_negative_replicas, InvalidError, "spec.replicas"),
    "unknown resource": (
        lambda c, ns: c.create(GVR("", "v1", "nosuchthings"), {"metadata": {"name": "x"}}, namespace=ns),
        NotFoundError,
        "",
    ),
    "unknown version": (
        lambda c, ns: c.list(GVR("apps", "v9", "deployments"), namespace=ns),
        NotFoundError,
        "",
    ),
    "missing namespace": (
        lambda c, ns: c.create(CONFIGMAPS, configmap("x", "nowhere")),
        NotFoundError,
        "nowhere",
    ),
    "body is a list": (
        lambda c, ns: c.create(CONFIGMAPS, [configmap("x", ns)], namespace=ns),  # type: ignore[arg-type]
        BadRequestError,
        "",
    ),
    "body is a string": (
        lambda c, ns: c.create(CONFIGMAPS, "x", namespace=ns),  # type: ignore[arg-type]
        BadRequestError,
        "",
    ),
    "kind mismatch": (
        lambda c, ns: c.create(
            CONFIGMAPS, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}, namespace=ns
        ),
        BadRequestError,
        "",
    ),
    "namespace mismatch": (
        lambda c, ns: c.create(CONFIGMAPS, configmap("x", "default"), namespace=ns),
        BadRequestError,
        "",
    ),
    "json patch is not a list": (
        lambda c, ns: c.patch(
            CONFIGMAPS, "existing", {"op": "remove"}, patch_type=PatchType.JSON, namespace=ns
        ),
        BadRequestError,
        "",
    ),
    "json patch test fails": (
        lambda c, ns: c.patch(
            CONFIGMAPS,
            "existing",
            [
                {"op": "add", "path": "/data/x", "value": "1"},
                {"op": "test", "path": "/data/k", "value": "no"},
            ],
            patch_type=PatchType.JSON,
            namespace=ns,
        ),
        InvalidError,
        "",
    ),
    "merge patch is not an object": (
        lambda c, ns: c.patch(CONFIGMAPS, "existing", "text", namespace=ns),
        BadRequestError,
        "",
    ),
    "strategic patch on a custom resource": (
        lambda c, ns: c.patch(
            GVR("conformance.shoal.dev", "v1", "widgets"),
            "existing",
            {"spec": {"size": 2}},
            patch_type=PatchType.STRATEGIC,
            namespace=ns,
        ),
        UnsupportedMediaTypeError,
        "",
    ),
    "apply without field manager": (
        lambda c, ns: c.patch(
            CONFIGMAPS, "new", configmap("new", ns), patch_type=PatchType.APPLY, namespace=ns
        ),
        InvalidError,
        "fieldManager",
    ),
    "unsupported field selector": (
        lambda c, ns: c.list(CONFIGMAPS, namespace=ns, field_selector="data.k=v"),
        BadRequestError,
        "data.k",
    ),
    "malformed label selector": (
        lambda c, ns: c.list(CONFIGMAPS, namespace=ns, label_selector="app in (a"),
        BadRequestError,
        "",
    ),
    "dry run of an invalid object": (
        lambda c, ns: c.create(CONFIGMAPS, configmap("Bad", ns), dry_run=True),
        InvalidError,
        "metadata.name",
    ),
    "update of a namespace to an invalid label": (
        lambda c, ns: c.patch(NAMESPACES, ns, {"metadata": {"labels": {"-bad": "v"}}}),
        InvalidError,
        "metadata.labels",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_bad_input_is_answered_by_status_and_changes_nothing(
    client: Client, ns: str, case: str
) -> None:
    call, error, named = CASES[case]
    widgets = await register_crd(client, "widgets", "Widget")
    await client.create(widgets, custom("Widget", "existing", ns, spec={"size": 1}))
    await client.create(CONFIGMAPS, configmap("existing", ns, data={"k": "v"}))
    await client.create(DEPLOYMENTS, deployment("existing", ns))
    before = await snapshot(client, widgets)

    with pytest.raises(ApiError) as caught:
        await call(client, ns)

    err = caught.value
    assert type(err) is error, f"expected {error.__name__}, got {err!r}"
    assert err.code == error.code
    assert err.status()["kind"] == "Status"
    if error is InvalidError and named.startswith(("metadata.", "spec.")):
        assert named in err.fields, f"{named} not among {err.fields}"
    if named:
        assert named in err.message, f"{named!r} not in {err.message!r}"
    assert await snapshot(client, widgets) == before


async def test_namespaced_object_without_a_namespace_is_not_found(client: Client, ns: str) -> None:
    """``/api/v1/configmaps/<name>`` is no route: the apiserver answers 404."""
    await client.create(CONFIGMAPS, configmap("a", ns))
    with pytest.raises(NotFoundError):
        await client.get(CONFIGMAPS, "a")
