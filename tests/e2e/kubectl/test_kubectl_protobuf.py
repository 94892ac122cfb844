"""kubectl's imperative creates, whose typed clients write protobuf, against the simulator's HTTP door.

Each command runs twice: imperatively in one namespace (protobuf body) and as ``--dry-run=client -o json``
piped to ``kubectl create -f -`` in another (JSON body). The stored objects must be equal once the
fields the server sets are removed, and kubectl's own request log must show the protobuf body, so the
test cannot pass by kubectl quietly falling back to JSON.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from typing import Any

import pytest

from e2e.kubectl import test_kubectl as base

pytestmark = [pytest.mark.kubectl, pytest.mark.slow]

flavour_server = base.flavour_server
kubectl = base.kubectl
Kubectl = base.Kubectl

PROTOBUF_REQUEST = "Content-Type: application/vnd.kubernetes.protobuf"
_SERVER_METADATA = ("namespace", "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields")


@pytest.fixture
def namespaces(kubectl: Kubectl) -> tuple[str, str]:
    """Two fresh namespaces: one for the imperative (protobuf) create, one for the JSON create."""
    suffix = uuid.uuid4().hex[:8]
    pair = (f"pb-{suffix}", f"js-{suffix}")
    for name in pair:
        kubectl.run("create", "namespace", name)
    return pair


def _create_verbosely(kubectl: Kubectl, *args: str) -> str:
    """Run an imperative create with kubectl's request log on; return that log (stderr)."""
    done = subprocess.run(
        kubectl.command("-v=8", *args),
        capture_output=True,
        text=True,
        timeout=60,
        env=kubectl.env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stderr


def _stored(kubectl: Kubectl, resource: str, name: str, namespace: str) -> dict[str, Any]:
    """The stored object without the metadata the server sets, and for a Service without the cluster
    IP and node ports it allocates (each Service gets its own)."""
    obj: dict[str, Any] = kubectl.json("get", resource, name, "-n", namespace)
    obj["metadata"] = {k: v for k, v in obj["metadata"].items() if k not in _SERVER_METADATA}
    if obj["kind"] == "Service":
        spec = obj["spec"]
        if spec["type"] != "ExternalName":
            assert spec.pop("clusterIP") == spec.pop("clusterIPs")[0]
        for port in spec.get("ports", ()):
            if spec["type"] in ("NodePort", "LoadBalancer"):
                assert 30000 <= port.pop("nodePort") <= 32767
    return obj


def _assert_same_as_json(
    kubectl: Kubectl, namespaces: tuple[str, str], resource: str, name: str, *command: str
) -> dict[str, Any]:
    """Create ``command`` imperatively and through JSON; both stored objects must match. The
    namespace and output flags go first, so a container command after ``--`` stays last."""
    protobuf_ns, json_ns = namespaces
    log = _create_verbosely(kubectl, "-n", protobuf_ns, "create", *command)
    assert PROTOBUF_REQUEST in log, "kubectl did not send a protobuf body"
    manifest = kubectl.run("-n", json_ns, "--dry-run=client", "-o", "json", "create", *command)
    assert json.loads(manifest)["kind"]
    kubectl.run("create", "-f", "-", stdin=manifest)
    from_protobuf = _stored(kubectl, resource, name, protobuf_ns)
    assert from_protobuf == _stored(kubectl, resource, name, json_ns)
    return from_protobuf


def test_create_deployment(kubectl: Kubectl, namespaces: tuple[str, str]) -> None:
    stored = _assert_same_as_json(
        kubectl,
        namespaces,
        "deployment",
        "web",
        "deployment",
        "web",
        "--image=nginx",
        "--image=busybox",
        "--replicas=3",
        "--port=8080",
    )
    spec = stored["spec"]
    assert spec["replicas"] == 3
    assert spec["selector"] == {"matchLabels": {"app": "web"}}
    containers = spec["template"]["spec"]["containers"]
    assert [c["image"] for c in containers] == ["nginx", "busybox"]
    assert containers[0]["ports"][0]["containerPort"] == 8080


def test_create_deployment_with_a_command(kubectl: Kubectl, namespaces: tuple[str, str]) -> None:
    stored = _assert_same_as_json(
        kubectl,
        namespaces,
        "deployment",
        "sleeper",
        "deployment",
        "sleeper",
        "--image=busybox",
        "--",
        "sleep",
        "3600",
    )
    assert stored["spec"]["template"]["spec"]["containers"][0]["command"] == ["sleep", "3600"]


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("cip", ("service", "clusterip", "cip", "--tcp=80:8080", "--tcp=443:8443")),
        ("headless", ("service", "clusterip", "headless", "--clusterip=None", "--tcp=5432")),
        ("np", ("service", "nodeport", "np", "--tcp=80:8080")),
        ("lb", ("service", "loadbalancer", "lb", "--tcp=443:8443")),
        ("ext", ("service", "externalname", "ext", "--external-name=db.example.com")),
    ],
)
def test_create_service(
    kubectl: Kubectl, namespaces: tuple[str, str], name: str, command: tuple[str, ...]
) -> None:
    stored = _assert_same_as_json(kubectl, namespaces, "service", name, *command)
    assert stored["spec"]["type"] in {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"}
    live = kubectl.json("get", "service", name, "-n", namespaces[0])["spec"]
    table = kubectl.run("get", "service", name, "-n", namespaces[0]).splitlines()
    assert table[0].split()[:3] == ["NAME", "TYPE", "CLUSTER-IP"]
    cells = table[1].split()
    assert cells[2] == live.get("clusterIP", "<none>")
    if name in ("cip", "np", "lb"):
        assert cells[2].startswith("10.")
    if name in ("np", "lb"):
        assert f":{live['ports'][0]['nodePort']}/TCP" in cells[3]


def test_create_serviceaccount(kubectl: Kubectl, namespaces: tuple[str, str]) -> None:
    stored = _assert_same_as_json(kubectl, namespaces, "serviceaccount", "robot", "serviceaccount", "robot")
    assert stored["kind"] == "ServiceAccount"


def test_scale_and_set_image_after_an_imperative_create(
    kubectl: Kubectl, namespaces: tuple[str, str]
) -> None:
    ns = namespaces[0]
    kubectl.run("create", "deployment", "web", "--image=nginx", "-n", ns)
    kubectl.run("scale", "deployment", "web", "--replicas=3", "-n", ns)
    kubectl.run("set", "image", "deployment/web", "nginx=nginx:1.27", "-n", ns)
    spec = kubectl.json("get", "deployment", "web", "-n", ns)["spec"]
    assert isinstance(spec, dict)
    assert spec["replicas"] == 3
    assert spec["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
