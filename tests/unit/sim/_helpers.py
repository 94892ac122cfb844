"""Builders and a store-level event recorder for the simulator's unit tests."""

from __future__ import annotations

from typing import Any

from shoal.api import GVR, Object
from shoal.api._fields import FieldSelector
from shoal.api._selectors import LabelSelector
from shoal.sim import Simulator, Watcher

CONFIGMAPS = GVR("", "v1", "configmaps")
NAMESPACES = GVR("", "v1", "namespaces")
PODS = GVR("", "v1", "pods")
SECRETS = GVR("", "v1", "secrets")
DEPLOYMENTS = GVR("apps", "v1", "deployments")
CRDS = GVR("apiextensions.k8s.io", "v1", "customresourcedefinitions")
WIDGETS = GVR("unit.shoal.dev", "v1", "widgets")


def configmap(name: str, namespace: str = "default", **meta: Any) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, **meta},
    }


def owner_ref(owner: Object, *, block: bool = False) -> dict[str, Any]:
    ref = {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
    }
    if block:
        ref["blockOwnerDeletion"] = True
    return ref


def widget_crd(*, status: bool = True, scope: str = "Namespaced") -> Object:
    version: dict[str, Any] = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    }
    if status:
        version["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.unit.shoal.dev"},
        "spec": {
            "group": "unit.shoal.dev",
            "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
            "scope": scope,
            "versions": [version],
        },
    }


def record(sim: Simulator, *storages: str) -> list[Watcher]:
    """Store-level watchers on ``storages`` (no selectors), registered now."""
    out = []
    for storage in storages:
        watcher = Watcher(
            storage, namespace=None, labels=LabelSelector.everything(), fields=FieldSelector.everything()
        )
        sim.store.watch(watcher)
        out.append(watcher)
    return out


def recorded(watchers: list[Watcher]) -> list[tuple[str, str, str]]:
    """``(type, kind, name)`` of everything the watchers queued so far, in global revision order."""
    events = []
    for watcher in watchers:
        for item in watcher.take():
            m = item.object["metadata"]
            events.append((int(m["resourceVersion"]), item.type, item.object["kind"], m["name"]))
    events.sort()
    return [e[1:] for e in events]
