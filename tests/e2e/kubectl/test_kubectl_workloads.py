"""Real kubectl with the workload kinds: Jobs, CronJobs, StatefulSets and DaemonSets.

``kubectl create job|cronjob`` write protobuf (checked in kubectl's request log) and must store what the
same command's JSON stores; manifests of StatefulSets and DaemonSets go through ``apply``; ``get``
prints the server's columns, ``get all`` lists every kind of the ``all`` category, and ``scale`` works
on a StatefulSet through its ``/scale`` subresource.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from e2e.kubectl import test_kubectl as base, test_kubectl_protobuf as protobuf

pytestmark = [pytest.mark.kubectl, pytest.mark.slow]

flavour_server = base.flavour_server
kubectl = base.kubectl
ns = base.ns
namespaces = protobuf.namespaces
Kubectl = base.Kubectl

_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")


def _without_generated_selector(job: dict[str, Any]) -> dict[str, Any]:
    """The Job without the parts the server generates from its uid (after checking they are there)."""
    uid = job["metadata"].get("uid")
    spec = job["spec"]
    labels = dict(spec["template"]["metadata"]["labels"])
    assert [labels.pop(key) for key in _UID_LABELS] == [uid, uid]
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    template = {**spec["template"], "metadata": {**spec["template"]["metadata"], "labels": labels}}
    return {**job, "metadata": {}, "spec": {**spec, "selector": None, "template": template}}


def test_create_job_sends_protobuf_and_stores_what_json_stores(
    kubectl: Kubectl, namespaces: tuple[str, str]
) -> None:
    protobuf_ns, json_ns = namespaces
    command = ("create", "job", "hello", "--image=busybox", "--", "echo", "hi")
    log = protobuf._create_verbosely(kubectl, "-n", protobuf_ns, *command)
    assert protobuf.PROTOBUF_REQUEST in log, "kubectl did not send a protobuf body"
    manifest = kubectl.run("-n", json_ns, "--dry-run=client", "-o", "json", *command)
    kubectl.run("create", "-f", "-", stdin=manifest)
    from_protobuf = kubectl.json("get", "job", "hello", "-n", protobuf_ns)
    from_json = kubectl.json("get", "job", "hello", "-n", json_ns)
    assert _without_generated_selector(from_protobuf) == _without_generated_selector(from_json)
    pod_spec = from_protobuf["spec"]["template"]["spec"]  # type: ignore[index]
    assert pod_spec["restartPolicy"] == "Never"
    assert pod_spec["containers"][0]["command"] == ["echo", "hi"]
    header = kubectl.run("get", "jobs", "-n", protobuf_ns).splitlines()[0]
    assert header.split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]


def test_create_cronjob_then_a_job_from_it(kubectl: Kubectl, namespaces: tuple[str, str]) -> None:
    stored = protobuf._assert_same_as_json(
        kubectl,
        namespaces,
        "cronjob",
        "tick",
        "cronjob",
        "tick",
        "--image=busybox",
        "--schedule=*/5 * * * *",
        "--",
        "echo",
        "hi",
    )
    assert stored["spec"]["schedule"] == "*/5 * * * *"
    assert stored["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    ns = namespaces[0]
    table = kubectl.run("get", "cronjobs", "-n", ns).splitlines()
    assert table[0].split() == [
        "NAME",
        "SCHEDULE",
        "TIMEZONE",
        "SUSPEND",
        "ACTIVE",
        "LAST",
        "SCHEDULE",
        "AGE",
    ]
    assert table[1].split()[:8] == ["tick", "*/5", "*", "*", "*", "*", "<none>", "False"]

    log = protobuf._create_verbosely(kubectl, "-n", ns, "create", "job", "manual", "--from=cronjob/tick")
    assert protobuf.PROTOBUF_REQUEST in log, "kubectl did not send a protobuf body"
    cronjob = kubectl.json("get", "cronjob", "tick", "-n", ns)
    job = kubectl.json("get", "job", "manual", "-n", ns)
    owner = job["metadata"]["ownerReferences"][0]  # type: ignore[index]
    assert (owner["kind"], owner["name"], owner["uid"]) == ("CronJob", "tick", cronjob["metadata"]["uid"])  # type: ignore[index]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]  # type: ignore[index]
    assert job["spec"]["backoffLimit"] == 6  # type: ignore[index]


STATEFUL_SET_AND_DAEMON_SET = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 1
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: postgres:17
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      nodeSelector: {kubernetes.io/os: linux}
      containers:
      - name: agent
        image: busybox
"""


def test_apply_scale_and_get_stateful_and_daemon_sets(kubectl: Kubectl, ns: str) -> None:
    out = base.apply(kubectl, STATEFUL_SET_AND_DAEMON_SET, "-n", ns)
    assert "statefulset.apps/db created" in out
    assert "daemonset.apps/agent created" in out
    again = base.apply(kubectl, STATEFUL_SET_AND_DAEMON_SET, "-n", ns)
    assert "statefulset.apps/db unchanged" in again

    kubectl.run("scale", "statefulset", "db", "--replicas=3", "-n", ns)
    stored = kubectl.json("get", "sts", "db", "-n", ns)
    assert stored["spec"]["replicas"] == 3  # type: ignore[index]
    assert stored["metadata"]["generation"] == 2  # type: ignore[index]

    sts = kubectl.run("get", "statefulsets", "-n", ns).splitlines()
    assert sts[0].split() == ["NAME", "READY", "AGE"]
    assert sts[1].split()[:2] == ["db", "0/3"]
    ds = kubectl.run("get", "ds", "-n", ns).splitlines()
    assert ds[0].split() == [
        "NAME",
        "DESIRED",
        "CURRENT",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "NODE",
        "SELECTOR",
        "AGE",
    ]
    assert ds[1].split()[:7] == ["agent", "0", "0", "0", "0", "0", "kubernetes.io/os=linux"]

    kubectl.run("create", "job", "once", "--image=busybox", "-n", ns)
    listed = kubectl.run("get", "all", "-n", ns, "-o", "name").split()
    assert {"statefulset.apps/db", "daemonset.apps/agent", "job.batch/once"} <= set(listed)


def test_rejected_job_names_the_field(kubectl: Kubectl, ns: str) -> None:
    manifest = json.dumps(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "bad", "namespace": ns},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}},
        }
    )
    err = kubectl.run("create", "-f", "-", stdin=manifest, ok=False)
    assert 'spec.template.spec.restartPolicy: Unsupported value: "Always"' in err
