"""The apiserver's defaults for pods, the workload kinds and Services, and Services' allocated values.

A real apiserver fills in the defaults of every pod, workload and Service it decodes, so what a client
reads back is more than it wrote; an update that omits a defaulted field is defaulted again and so
changes nothing (nor ``generation``). Services get a cluster IP from the service CIDR and node ports
from the node-port range, unique in the cluster, kept when an update omits them, fixed once set and
released when the Service goes.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from shoal.api import GVR, InvalidError, Object
from shoal.client import Client
from shoal.testing import eventually

from ._support import (
    CRON_JOBS,
    DAEMON_SETS,
    DEPLOYMENTS,
    JOBS,
    PODS,
    STATEFUL_SETS,
    cron_job,
    daemon_set,
    deployment,
    is_gone,
    job,
    pod,
    stateful_set,
)

SERVICES = GVR("", "v1", "services")
REPLICA_SETS = GVR("apps", "v1", "replicasets")

CONTAINER_DEFAULTS = {
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "File",
    "resources": {},
}
TEMPLATE_DEFAULTS = {
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
    "dnsPolicy": "ClusterFirst",
    "securityContext": {},
    "schedulerName": "default-scheduler",
}


def _replica_set(name: str, namespace: str) -> Object:
    made = deployment(name, namespace)
    spec = {k: v for k, v in made["spec"].items() if k != "replicas"}
    return {**made, "kind": "ReplicaSet", "spec": spec}


def _service(name: str, namespace: str, **spec: Any) -> Object:
    body: dict[str, Any] = {"selector": {"app": name}, "ports": [{"port": 80}], **spec}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }


def _spec_fields(obj: Object, expected: dict[str, Any]) -> dict[str, Any]:
    return {key: obj["spec"].get(key) for key in expected}


WORKLOADS: dict[str, tuple[GVR, Any, dict[str, Any]]] = {
    # kind: (resource, builder, the spec defaults it gets)
    "Deployment": (
        DEPLOYMENTS,
        deployment,
        {
            "replicas": 1,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
    ),
    "ReplicaSet": (REPLICA_SETS, _replica_set, {"replicas": 1}),
    "StatefulSet": (
        STATEFUL_SETS,
        stateful_set,
        {
            "replicas": 1,
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "revisionHistoryLimit": 10,
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        },
    ),
    "DaemonSet": (
        DAEMON_SETS,
        daemon_set,
        {
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
            },
            "revisionHistoryLimit": 10,
        },
    ),
    "Job": (
        JOBS,
        job,
        {
            "completions": 1,
            "parallelism": 1,
            "backoffLimit": 6,
            "completionMode": "NonIndexed",
            "suspend": False,
            "manualSelector": False,
            "podReplacementPolicy": "TerminatingOrFailed",
        },
    ),
    "CronJob": (
        CRON_JOBS,
        cron_job,
        {
            "concurrencyPolicy": "Allow",
            "suspend": False,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 1,
        },
    ),
}


def _pod_spec(obj: Object) -> dict[str, Any]:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    result: dict[str, Any] = spec["template"]["spec"]
    return result


@pytest.fixture(params=sorted(WORKLOADS))
def workload(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


async def test_workload_gets_its_defaults_on_create(client: Client, ns: str, workload: str) -> None:
    resource, build, defaults = WORKLOADS[workload]
    body = build("w", ns)
    made = await client.create(resource, body)
    assert _spec_fields(made, defaults) == defaults
    template = _pod_spec(made)
    given = _pod_spec(body)
    assert {key: template.get(key) for key in TEMPLATE_DEFAULTS} == {
        **TEMPLATE_DEFAULTS,
        **{key: given[key] for key in TEMPLATE_DEFAULTS if key in given},
    }
    container = template["containers"][0]
    assert {key: container.get(key) for key in CONTAINER_DEFAULTS} == CONTAINER_DEFAULTS
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert await client.get(resource, "w", namespace=ns) == made


async def test_update_omitting_defaults_changes_nothing(client: Client, ns: str, workload: str) -> None:
    resource, build, defaults = WORKLOADS[workload]
    body = build("w", ns)
    made = await client.create(resource, body)
    if workload == "Job":  # the selector generated on create is not a default: a PUT must carry it
        template = {**body["spec"]["template"], "metadata": made["spec"]["template"]["metadata"]}
        body["spec"] = {**body["spec"], "selector": made["spec"]["selector"], "template": template}
    again = await client.update(resource, {**body, "metadata": made["metadata"]})
    assert again["spec"] == made["spec"]
    assert _spec_fields(again, defaults) == defaults
    assert again["metadata"]["generation"] == 1
    assert again["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"], "a no-op is no write"


async def test_job_without_labels_gets_its_template_labels(client: Client, ns: str) -> None:
    made = await client.create(JOBS, job("pi", ns))
    assert made["metadata"]["labels"] == made["spec"]["template"]["metadata"]["labels"]
    assert made["metadata"]["labels"]["job-name"] == "pi"


async def test_given_values_are_kept(client: Client, ns: str) -> None:
    body = deployment("d", ns, replicas=0)
    body["spec"]["strategy"] = {"type": "Recreate"}
    body["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Never"
    made = await client.create(DEPLOYMENTS, body)
    assert made["spec"]["replicas"] == 0
    assert made["spec"]["strategy"] == {"type": "Recreate"}
    assert made["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Never"
    assert made["spec"]["revisionHistoryLimit"] == 10, "the fields left out are defaulted"
    parallel = await client.create(JOBS, job("p", ns, parallelism=3))
    assert (parallel["spec"]["parallelism"], parallel["spec"].get("completions")) == (3, None)
    assert parallel["spec"]["backoffLimit"] == 6


async def test_pod_gets_its_defaults(client: Client, ns: str) -> None:
    body = pod("p", ns)
    body["spec"]["containers"] = [
        {
            "name": "main",
            "image": "nginx",
            "ports": [{"containerPort": 80}],
            "resources": {"limits": {"cpu": "1"}},
            "readinessProbe": {"httpGet": {"port": 80}},
            "env": [{"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
        },
        {"name": "latest", "image": "example.com:5000/tool:latest"},
        {"name": "digest", "image": "example.com/tool@sha256:" + "0" * 64},
    ]
    body["spec"]["volumes"] = [{"name": "scratch"}, {"name": "conf", "configMap": {"name": "c"}}]
    made = await client.create(PODS, body)
    spec = made["spec"]
    assert {key: spec[key] for key in TEMPLATE_DEFAULTS} == TEMPLATE_DEFAULTS
    assert spec["enableServiceLinks"] is True
    main, latest, digest = spec["containers"]
    assert main == {
        **body["spec"]["containers"][0],
        **CONTAINER_DEFAULTS,
        "imagePullPolicy": "Always",
        "ports": [{"containerPort": 80, "protocol": "TCP"}],
        "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}},
        "readinessProbe": {
            "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
            "timeoutSeconds": 1,
            "periodSeconds": 10,
            "successThreshold": 1,
            "failureThreshold": 3,
        },
        "env": [
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace", "apiVersion": "v1"}}}
        ],
    }
    assert (latest["imagePullPolicy"], digest["imagePullPolicy"]) == ("Always", "IfNotPresent")
    assert spec["volumes"] == [
        {"name": "scratch", "emptyDir": {}},
        {"name": "conf", "configMap": {"name": "c", "defaultMode": 420}},
    ]
    labelled = await client.update(PODS, {**body, "metadata": {**made["metadata"], "labels": {"a": "b"}}})
    assert labelled["spec"] == spec
    assert labelled["metadata"]["generation"] == 1


def _cluster_ip(service: Object) -> str:
    ip: str = service["spec"]["clusterIP"]
    assert service["spec"]["clusterIPs"] == [ip]
    assert ipaddress.ip_address(ip) in ipaddress.ip_network("10.96.0.0/12")
    assert ip != "10.96.0.1", "the kubernetes Service's address"
    return ip


async def test_service_gets_its_defaults_and_a_cluster_ip(client: Client, ns: str) -> None:
    made = await client.create(SERVICES, _service("s", ns))
    spec = made["spec"]
    _cluster_ip(made)
    assert {k: v for k, v in spec.items() if k not in ("clusterIP", "clusterIPs")} == {
        "selector": {"app": "s"},
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
    }
    again = await client.update(SERVICES, {**_service("s", ns), "metadata": made["metadata"]})
    assert again["spec"] == spec
    assert again["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


async def test_service_cluster_ips_and_node_ports_are_unique(client: Client, ns: str) -> None:
    made = [await client.create(SERVICES, _service(f"s{i}", ns, type="NodePort")) for i in range(20)]
    ips = [_cluster_ip(s) for s in made]
    node_ports = [s["spec"]["ports"][0]["nodePort"] for s in made]
    assert len(set(ips)) == len(ips)
    assert len(set(node_ports)) == len(node_ports)
    assert all(30000 <= port <= 32767 for port in node_ports)
    assert made[0]["spec"]["externalTrafficPolicy"] == "Cluster"


async def test_load_balancer_service(client: Client, ns: str) -> None:
    made = await client.create(SERVICES, _service("lb", ns, type="LoadBalancer"))
    spec = made["spec"]
    _cluster_ip(made)
    assert 30000 <= spec["ports"][0]["nodePort"] <= 32767
    assert (spec["allocateLoadBalancerNodePorts"], spec["externalTrafficPolicy"]) == (True, "Cluster")


async def test_headless_service_keeps_none(client: Client, ns: str) -> None:
    made = await client.create(SERVICES, _service("h", ns, clusterIP="None"))
    assert (made["spec"]["clusterIP"], made["spec"]["clusterIPs"]) == ("None", ["None"])
    again = await client.update(SERVICES, {**_service("h", ns), "metadata": made["metadata"]})
    assert again["spec"] == made["spec"]


async def test_update_omitting_allocated_values_keeps_them(client: Client, ns: str) -> None:
    made = await client.create(SERVICES, _service("s", ns, type="NodePort"))
    changed = await client.update(
        SERVICES, {**_service("s", ns, type="NodePort", ports=[{"port": 81}]), "metadata": made["metadata"]}
    )
    assert changed["spec"]["clusterIP"] == made["spec"]["clusterIP"]
    assert changed["spec"]["clusterIPs"] == made["spec"]["clusterIPs"]
    assert changed["spec"]["ports"] == [{**made["spec"]["ports"][0], "port": 81, "targetPort": 81}]


async def test_cluster_ip_may_not_change_once_set(client: Client, ns: str) -> None:
    made = await client.create(SERVICES, _service("s", ns))
    other = "10.96.0.77" if made["spec"]["clusterIP"] != "10.96.0.77" else "10.96.0.78"
    spec = {**made["spec"], "clusterIP": other, "clusterIPs": [other]}
    with pytest.raises(InvalidError) as caught:
        await client.update(SERVICES, {**made, "spec": spec})
    assert "spec.clusterIPs[0]" in caught.value.fields
    assert "may not change once set" in caught.value.message
    with pytest.raises(InvalidError):
        await client.patch(SERVICES, "s", {"spec": {"clusterIP": other}}, namespace=ns)
    assert (await client.get(SERVICES, "s", namespace=ns))["spec"] == made["spec"]


async def test_taken_values_are_refused_and_released_on_delete(client: Client, ns: str) -> None:
    first = await client.create(SERVICES, _service("a", ns, type="NodePort", clusterIP="10.96.0.10"))
    assert first["spec"]["clusterIPs"] == ["10.96.0.10"]
    node_port = first["spec"]["ports"][0]["nodePort"]
    with pytest.raises(InvalidError) as caught:
        await client.create(SERVICES, _service("b", ns, clusterIP="10.96.0.10"))
    assert "provided IP is already allocated" in caught.value.message
    with pytest.raises(InvalidError) as caught:
        await client.create(
            SERVICES, _service("b", ns, type="NodePort", ports=[{"port": 80, "nodePort": node_port}])
        )
    assert "spec.ports[0].nodePort" in caught.value.fields
    assert "provided port is already allocated" in caught.value.message
    with pytest.raises(InvalidError):
        await client.create(SERVICES, _service("b", ns, clusterIP="192.168.0.1"))
    await client.delete(SERVICES, "a", namespace=ns)
    assert await eventually(lambda: is_gone(client, SERVICES, "a", ns))
    reused = await client.create(
        SERVICES,
        _service(
            "b", ns, type="NodePort", clusterIP="10.96.0.10", ports=[{"port": 80, "nodePort": node_port}]
        ),
    )
    assert (reused["spec"]["clusterIP"], reused["spec"]["ports"][0]["nodePort"]) == ("10.96.0.10", node_port)


async def test_cluster_ip_service_may_not_have_node_ports(client: Client, ns: str) -> None:
    with pytest.raises(InvalidError) as caught:
        await client.create(SERVICES, _service("s", ns, ports=[{"port": 80, "nodePort": 30100}]))
    assert "spec.ports[0].nodePort" in caught.value.fields


async def test_external_name_service_gets_no_cluster_ip(client: Client, ns: str) -> None:
    body = _service("x", ns, type="ExternalName", externalName="example.com")
    made = await client.create(SERVICES, body)
    assert "clusterIP" not in made["spec"]
    assert "clusterIPs" not in made["spec"]
    assert made["spec"]["sessionAffinity"] == "None"
    assert "internalTrafficPolicy" not in made["spec"]


async def test_type_change_allocates_and_drops_what_the_type_needs(client: Client, ns: str) -> None:
    made = await client.create(SERVICES, _service("s", ns))
    ip = _cluster_ip(made)
    node_port = await client.patch(SERVICES, "s", {"spec": {"type": "NodePort"}}, namespace=ns)
    assert node_port["spec"]["clusterIP"] == ip
    assert 30000 <= node_port["spec"]["ports"][0]["nodePort"] <= 32767
    back = await client.patch(SERVICES, "s", {"spec": {"type": "ClusterIP"}}, namespace=ns)
    assert back["spec"] == made["spec"]
    external = await client.patch(
        SERVICES, "s", {"spec": {"type": "ExternalName", "externalName": "db.example.com"}}, namespace=ns
    )
    assert not {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"} & set(external["spec"])
