"""The official ``kubernetes`` Python client, unmodified, against the simulator's HTTP door.

Its calls are synchronous, so each runs in a worker thread (``asyncio.to_thread``) while the event
loop keeps serving the simulator.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from kubernetes import client as k8s, watch as k8s_watch
from kubernetes.client.rest import ApiException

T = TypeVar("T")

SMP = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(fn, *args, **kwargs)


async def eventually(check: Callable[[], bool], what: str) -> None:
    """Poll ``check`` (in a thread) until it holds; fail naming ``what`` after 20 seconds."""
    try:
        async with asyncio.timeout(20):
            while True:
                if await asyncio.to_thread(check):
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}")


def is_gone(read: Callable[[], object]) -> Callable[[], bool]:
    def check() -> bool:
        try:
            read()
        except ApiException as exc:
            if exc.status == 404:
                return True
            raise
        return False

    return check


@pytest.fixture
def api_client(server_url: str) -> Iterator[k8s.ApiClient]:
    configuration = k8s.Configuration(host=server_url)
    with k8s.ApiClient(configuration) as api:
        yield api


@pytest.fixture
def core(api_client: k8s.ApiClient) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(api_client)


@pytest.fixture
def ns(core: k8s.CoreV1Api) -> Iterator[str]:
    """A namespace of the test's own on the session's shared simulator."""
    name = f"oc-{uuid.uuid4().hex[:8]}"
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)


async def test_configmap_crud(core: k8s.CoreV1Api, ns: str) -> None:
    body = k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="cm1", labels={"app": "demo"}), data={"a": "1"})
    created = await call(core.create_namespaced_config_map, ns, body)
    assert created.metadata.resource_version
    assert created.metadata.uid

    got = await call(core.read_namespaced_config_map, "cm1", ns)
    assert got.data == {"a": "1"}

    got.data["b"] = "2"
    replaced = await call(core.replace_namespaced_config_map, "cm1", ns, got)
    assert replaced.data == {"a": "1", "b": "2"}
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)

    # A stale resourceVersion is a 409, never a silent overwrite.
    got.data["c"] = "3"
    with pytest.raises(ApiException) as stale:
        await call(core.replace_namespaced_config_map, "cm1", ns, got)
    assert stale.value.status == 409

    patched = await call(
        core.patch_namespaced_config_map,
        "cm1",
        ns,
        {"data": {"a": None, "z": "9"}},
        _content_type=MERGE,
    )
    assert patched.data == {"b": "2", "z": "9"}
    patched = await call(
        core.patch_namespaced_config_map,
        "cm1",
        ns,
        {"metadata": {"labels": {"t": "x"}}},
        _content_type=SMP,
    )
    assert patched.metadata.labels == {"app": "demo", "t": "x"}

    listed = await call(core.list_namespaced_config_map, ns, label_selector="app=demo")
    assert [i.metadata.name for i in listed.items] == ["cm1"]
    assert listed.metadata.resource_version

    await call(core.delete_namespaced_config_map, "cm1", ns)
    with pytest.raises(ApiException) as missing:
        await call(core.read_namespaced_config_map, "cm1", ns)
    assert missing.value.status == 404


async def test_secret_crud(core: k8s.CoreV1Api, ns: str) -> None:
    value = base64.b64encode(b"hunter2").decode()
    secret = k8s.V1Secret(metadata=k8s.V1ObjectMeta(name="s1"), type="Opaque", data={"password": value})
    await call(core.create_namespaced_secret, ns, secret)
    got = await call(core.read_namespaced_secret, "s1", ns)
    assert base64.b64decode(got.data["password"]) == b"hunter2"
    with pytest.raises(ApiException) as exists:
        await call(core.create_namespaced_secret, ns, secret)
    assert exists.value.status == 409
    await call(core.delete_namespaced_secret, "s1", ns)
    assert (await call(core.list_namespaced_secret, ns, field_selector="metadata.name=s1")).items == []


async def test_pod_crud_and_status(core: k8s.CoreV1Api, ns: str) -> None:
    pod = k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name="p1"),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="c", image="busybox")]),
    )
    created = await call(core.create_namespaced_pod, ns, pod)
    assert created.spec.containers[0].name == "c"
    patched = await call(
        core.patch_namespaced_pod,
        "p1",
        ns,
        {"spec": {"containers": [{"name": "c", "image": "busybox:2"}]}},
        _content_type=SMP,
    )
    assert [c.image for c in patched.spec.containers] == ["busybox:2"]
    status = await call(
        core.patch_namespaced_pod_status,
        "p1",
        ns,
        {"status": {"phase": "Running"}},
        _content_type=MERGE,
    )
    assert status.status.phase == "Running"
    await call(core.delete_namespaced_pod, "p1", ns, grace_period_seconds=0)
    await eventually(is_gone(lambda: core.read_namespaced_pod("p1", ns)), "pod p1 to be deleted")


async def test_namespace_lifecycle(core: k8s.CoreV1Api) -> None:
    name = f"ns-{uuid.uuid4().hex[:6]}"
    await call(core.create_namespace, k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
    await call(
        core.create_namespaced_config_map, name, k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="inside"))
    )
    names = [n.metadata.name for n in (await call(core.list_namespace)).items]
    assert name in names
    assert "default" in names
    await call(core.delete_namespace, name)
    await eventually(is_gone(lambda: core.read_namespace(name)), f"namespace {name} to be removed")
    with pytest.raises(ApiException) as missing:
        await call(core.read_namespaced_config_map, "inside", name)
    assert missing.value.status == 404


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.official.shoal.test"},
    "spec": {
        "group": "official.shoal.test",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                },
            }
        ],
    },
}


async def test_custom_resource_crud(api_client: k8s.ApiClient, ns: str) -> None:
    ext = k8s.ApiextensionsV1Api(api_client)
    custom = k8s.CustomObjectsApi(api_client)
    await call(ext.create_custom_resource_definition, CRD)

    def established() -> bool:
        crd = ext.read_custom_resource_definition("widgets.official.shoal.test")
        conditions = (crd.status.conditions if crd.status else None) or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    await eventually(established, "the Widget CRD to be Established")
    args = ("official.shoal.test", "v1", ns, "widgets")
    widget = {
        "apiVersion": "official.shoal.test/v1",
        "kind": "Widget",
        "metadata": {"name": "w1"},
        "spec": {"size": 1},
    }
    created = await call(custom.create_namespaced_custom_object, *args, widget)
    assert created["metadata"]["generation"] == 1

    got = await call(custom.get_namespaced_custom_object, *args, "w1")
    got["spec"]["size"] = 2
    replaced = await call(custom.replace_namespaced_custom_object, *args, "w1", got)
    assert replaced["spec"] == {"size": 2}
    assert replaced["metadata"]["generation"] == 2

    patched = await call(custom.patch_namespaced_custom_object, *args, "w1", {"spec": {"color": "red"}})
    assert patched["spec"] == {"size": 2, "color": "red"}
    status = await call(
        custom.patch_namespaced_custom_object_status, *args, "w1", {"status": {"ready": True}}
    )
    assert status["status"] == {"ready": True}
    assert status["metadata"]["generation"] == 3  # status writes do not move generation

    listed = await call(custom.list_namespaced_custom_object, *args)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["w1"]
    assert listed["kind"] == "WidgetList"

    await call(custom.delete_namespaced_custom_object, *args, "w1")
    await eventually(
        is_gone(lambda: custom.get_namespaced_custom_object(*args, "w1")), "widget w1 to be deleted"
    )
    await call(ext.delete_custom_resource_definition, "widgets.official.shoal.test")
    await eventually(
        is_gone(lambda: ext.read_custom_resource_definition("widgets.official.shoal.test")),
        "the CRD to be removed",
    )


async def test_watch_sees_added_modified_deleted(core: k8s.CoreV1Api, ns: str) -> None:
    start = (await call(core.list_namespaced_config_map, ns)).metadata.resource_version
    watcher = k8s_watch.Watch()
    seen: list[tuple[str, str]] = []
    done = threading.Event()

    def consume() -> None:
        for event in watcher.stream(
            core.list_namespaced_config_map, ns, resource_version=start, timeout_seconds=30
        ):
            obj = event["raw_object"]
            seen.append((event["type"], obj["metadata"]["name"]))
            if event["type"] == "DELETED" and obj["metadata"]["name"] == "watched":
                break
        done.set()

    consumer = asyncio.create_task(asyncio.to_thread(consume))
    body = k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="watched"), data={"v": "1"})
    await call(core.create_namespaced_config_map, ns, body)
    await call(core.patch_namespaced_config_map, "watched", ns, {"data": {"v": "2"}}, _content_type=MERGE)
    await call(core.delete_namespaced_config_map, "watched", ns)
    await asyncio.wait_for(consumer, 30)
    watcher.stop()
    assert done.is_set()
    assert seen == [("ADDED", "watched"), ("MODIFIED", "watched"), ("DELETED", "watched")]


async def test_stateful_set_and_job_through_the_typed_apis(api_client: k8s.ApiClient, ns: str) -> None:
    apps, batch = k8s.AppsV1Api(api_client), k8s.BatchV1Api(api_client)
    container = k8s.V1Container(name="c", image="busybox")
    stateful_set = k8s.V1StatefulSet(
        metadata=k8s.V1ObjectMeta(name="db"),
        spec=k8s.V1StatefulSetSpec(
            service_name="db",
            replicas=2,
            selector=k8s.V1LabelSelector(match_labels={"app": "db"}),
            template=k8s.V1PodTemplateSpec(
                metadata=k8s.V1ObjectMeta(labels={"app": "db"}), spec=k8s.V1PodSpec(containers=[container])
            ),
        ),
    )
    created = await call(apps.create_namespaced_stateful_set, ns, stateful_set)
    assert (created.metadata.generation, created.spec.service_name) == (1, "db")
    scale = await call(apps.read_namespaced_stateful_set_scale, "db", ns)
    assert scale.spec.replicas == 2
    await call(apps.patch_namespaced_stateful_set_scale, "db", ns, {"spec": {"replicas": 4}})
    read = await call(apps.read_namespaced_stateful_set, "db", ns)
    assert (read.spec.replicas, read.metadata.generation) == (4, 2)

    job = k8s.V1Job(
        metadata=k8s.V1ObjectMeta(name="once"),
        spec=k8s.V1JobSpec(
            template=k8s.V1PodTemplateSpec(spec=k8s.V1PodSpec(containers=[container], restart_policy="Never"))
        ),
    )
    made = await call(batch.create_namespaced_job, ns, job)
    uid = made.metadata.uid
    assert made.spec.selector.match_labels == {"batch.kubernetes.io/controller-uid": uid}
    assert made.spec.template.metadata.labels["batch.kubernetes.io/job-name"] == "once"
    listed = await call(batch.list_namespaced_job, ns)
    assert [j.metadata.name for j in listed.items] == ["once"]
    job.metadata.name = "always"
    job.spec.template.spec.restart_policy = "Always"
    with pytest.raises(ApiException) as caught:
        await call(batch.create_namespaced_job, ns, job)
    assert caught.value.status == 422
    assert "spec.template.spec.restartPolicy" in str(caught.value.body)
