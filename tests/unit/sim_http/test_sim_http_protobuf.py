"""The protobuf envelope reader for kubectl's imperative creates, with hand-built wire bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from shoal.api import BadRequestError, UnsupportedMediaTypeError
from shoal.sim import Simulator
from shoal.sim._jsonpath import evaluate_jsonpath
from shoal.sim._protobuf import PROTOBUF, decode_protobuf
from shoal.sim._serve import serve


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, value: bytes | int) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _message(*fields: bytes) -> bytes:
    return b"".join(fields)


def _entry(number: int, key: str, value: bytes) -> bytes:
    return _field(number, _field(1, key.encode()) + _field(2, value))


def _envelope(kind: str, raw: bytes, api_version: str = "v1") -> bytes:
    type_meta = _field(1, api_version.encode()) + _field(2, kind.encode())
    return b"k8s\x00" + _field(1, type_meta) + _field(2, raw) + _field(3, b"") + _field(4, b"")


def _meta(name: str) -> bytes:
    """ObjectMeta as gogo-protobuf writes it: every non-pointer scalar, the zero creationTimestamp."""
    return _message(
        _field(1, name.encode()),
        _field(2, b""),
        _field(3, b""),
        _field(7, 0),
        _field(8, b""),
        _entry(11, "app", name.encode()),
    )


def _int_or_string(value: int | str) -> bytes:
    if isinstance(value, int):
        return _field(1, 0) + _field(2, value) + _field(3, b"")
    return _field(1, 1) + _field(2, 0) + _field(3, value.encode())


def _quantity(value: str) -> bytes:
    return _field(1, value.encode())


def _container(name: str, image: str, *extra: bytes) -> bytes:
    """A Container with its always-written scalars at zero and an empty ``resources``."""
    return _message(
        _field(1, name.encode()),
        _field(2, image.encode()),
        _field(5, b""),
        _field(8, b""),
        _field(13, b""),
        _field(14, b""),
        _field(16, 0),
        _field(17, 0),
        _field(18, 0),
        _field(20, b""),
        *extra,
    )


def _deployment(name: str, *, replicas: int, containers: list[bytes], spec_extra: bytes = b"") -> bytes:
    """The Deployment ``kubectl create deployment`` builds, as the typed client encodes it."""
    selector = _entry(1, "app", name.encode())
    pod_spec = b"".join(_field(2, c) for c in containers) + _message(
        _field(3, b""), _field(6, b""), _field(8, b""), _field(19, b"")
    )
    template = _field(1, _meta(name)) + _field(2, pod_spec)
    spec = _message(
        _field(1, replicas),
        _field(2, selector),
        _field(3, template),
        _field(4, _field(1, b"")),
        _field(5, 0),
        _field(7, 0),
        spec_extra,
    )
    status = _message(*(_field(n, 0) for n in (1, 2, 3, 4, 5, 7)))
    return _envelope("Deployment", _field(1, _meta(name)) + _field(2, spec) + _field(3, status), "apps/v1")


def test_config_map() -> None:
    raw = _field(1, _meta("cm")) + _entry(2, "k", b"v") + _entry(3, "bin", b"\x00\x01")
    obj = decode_protobuf(_envelope("ConfigMap", raw))
    assert obj == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm", "labels": {"app": "cm"}},
        "data": {"k": "v"},
        "binaryData": {"bin": "AAE="},
    }


def test_secret_data_is_base64() -> None:
    raw = _field(1, _meta("s")) + _entry(2, "password", b"hunter2") + _field(3, b"Opaque")
    obj = decode_protobuf(_envelope("Secret", raw))
    assert obj["data"] == {"password": "aHVudGVyMg=="}
    assert obj["type"] == "Opaque"


def test_namespace_keeps_empty_spec_and_status() -> None:
    obj = decode_protobuf(
        _envelope("Namespace", _field(1, _field(1, b"team-a")) + _field(2, b"") + _field(3, b""))
    )
    assert obj == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "team-a"},
        "spec": {},
        "status": {},
    }


def test_deployment_reads_as_the_json_kubectl_would_send() -> None:
    body = _deployment(
        "web",
        replicas=2,
        containers=[
            _container("nginx", "nginx", _field(6, _field(3, 80) + _field(2, 0) + _field(4, b"TCP"))),
            _container("busybox", "busybox", _field(3, b"sleep"), _field(3, b"3600")),
        ],
    )
    assert decode_protobuf(body) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"name": "web", "labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx",
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "resources": {},
                        },
                        {
                            "name": "busybox",
                            "image": "busybox",
                            "command": ["sleep", "3600"],
                            "resources": {},
                        },
                    ]
                },
            },
            "strategy": {},
        },
        "status": {},
    }


def test_zero_values_of_pointer_fields_stay_and_of_omitempty_fields_go() -> None:
    port = _field(6, _field(1, b"") + _field(2, 0) + _field(3, 0))
    body = _deployment(
        "zero",
        replicas=0,
        containers=[_container("", "", port)],
        spec_extra=_field(6, 0) + _field(9, 0),
    )
    spec = decode_protobuf(body)["spec"]
    assert spec["replicas"] == 0
    assert spec["revisionHistoryLimit"] == 0
    assert spec["progressDeadlineSeconds"] == 0
    assert "minReadySeconds" not in spec
    assert "paused" not in spec
    container = spec["template"]["spec"]["containers"][0]
    assert container == {"name": "", "ports": [{"containerPort": 0}], "resources": {}}
    sa = _envelope("ServiceAccount", _field(1, _meta("robot")) + _field(4, 0))
    assert decode_protobuf(sa)["automountServiceAccountToken"] is False


def test_negative_numbers_are_sign_extended() -> None:
    pod_spec = _field(2, _container("c", "i")) + _field(25, -5) + _field(4, 0)
    template = _field(2, pod_spec)
    body = _envelope("Deployment", _field(1, _meta("n")) + _field(2, _field(3, template)), "apps/v1")
    spec = decode_protobuf(body)["spec"]["template"]["spec"]
    assert spec["priority"] == -5
    assert spec["terminationGracePeriodSeconds"] == 0


def test_int_or_string_quantity_and_time() -> None:
    ports = _field(1, _field(1, b"http") + _field(3, 80) + _field(4, _int_or_string(8080))) + _field(
        1, _field(1, b"named") + _field(3, 81) + _field(4, _int_or_string("web"))
    )
    service = _envelope("Service", _field(1, _meta("svc")) + _field(2, ports + _field(4, b"ClusterIP")))
    assert decode_protobuf(service)["spec"] == {
        "ports": [
            {"name": "http", "port": 80, "targetPort": 8080},
            {"name": "named", "port": 81, "targetPort": "web"},
        ],
        "type": "ClusterIP",
    }
    resources = _entry(1, "cpu", _quantity("500m")) + _entry(2, "memory", _quantity("64Mi"))
    rolling = _field(2, _field(1, _int_or_string(0)) + _field(2, _int_or_string("25%")))
    spec = _field(3, _field(2, _field(2, _container("c", "i", _field(8, resources))))) + _field(4, rolling)
    meta = _field(1, b"timed") + _field(8, _field(1, 1_700_000_000) + _field(2, 5))
    obj = decode_protobuf(_envelope("Deployment", _field(1, meta) + _field(2, spec), "apps/v1"))
    assert obj["metadata"]["creationTimestamp"] == "2023-11-14T22:13:20Z"
    assert obj["spec"]["strategy"] == {"rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}
    container = obj["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"limits": {"cpu": "500m"}, "requests": {"memory": "64Mi"}}


def test_unknown_field_is_a_bad_request_naming_message_and_field() -> None:
    body = _deployment("web", replicas=1, containers=[_container("c", "i", _field(99, b"x"))])
    with pytest.raises(BadRequestError) as caught:
        decode_protobuf(body)
    message = str(caught.value)
    assert "k8s.io.api.core.v1.Container" in message
    assert "field 99" in message
    assert "spec.template.spec.containers[0]" in message


def test_wrong_wire_type_is_a_bad_request() -> None:
    body = _envelope("Deployment", _field(2, _field(1, b"\x01")), "apps/v1")
    with pytest.raises(BadRequestError, match=r"spec\.replicas"):
        decode_protobuf(body)


def test_other_kinds_are_refused_with_415_listing_the_accepted_ones() -> None:
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        decode_protobuf(_envelope("Pod", _field(1, _meta("p"))))
    for accepted in ("apps/v1 Deployment", "v1 Service", "v1 ServiceAccount", "v1 ConfigMap"):
        assert accepted in str(caught.value)


@pytest.mark.parametrize("body", [b"nope", b"k8s\x00\x0a\xff", b"k8s\x00\x0f"])
def test_garbage_is_a_bad_request(body: bytes) -> None:
    with pytest.raises(BadRequestError):
        decode_protobuf(body)


def test_truncated_bodies_are_bad_requests() -> None:
    body = _deployment("web", replicas=1, containers=[_container("nginx", "nginx")])
    for cut in (len(body) - 1, len(body) // 2, 12):
        with pytest.raises(BadRequestError):
            decode_protobuf(body[:cut])
    overrun = _envelope("Deployment", _field(2, _varint(3 << 3 | 2) + _varint(50) + b"short"), "apps/v1")
    with pytest.raises(BadRequestError, match="truncated"):
        decode_protobuf(overrun)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with (
        Simulator() as sim,
        serve(sim) as door,
        aiohttp.ClientSession(base_url=door.url) as session,
    ):
        yield session


async def _post(http: aiohttp.ClientSession, path: str, body: bytes, content_type: str) -> tuple[int, Any]:
    async with http.post(path, data=body, headers={"Content-Type": content_type}) as response:
        return response.status, orjson.loads(await response.read())


def _without_server_fields(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {
        k: v
        for k, v in obj["metadata"].items()
        if k
        not in {"namespace", "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"}
    }
    return {**obj, "metadata": meta}


async def test_protobuf_and_json_creates_store_the_same_deployment(http: aiohttp.ClientSession) -> None:
    code, namespace = await _post(
        http, "/api/v1/namespaces", _envelope("Namespace", _field(1, _meta("other"))), PROTOBUF
    )
    assert code == 201, namespace
    body = _deployment("web", replicas=1, containers=[_container("nginx", "nginx")])
    code, from_protobuf = await _post(http, "/apis/apps/v1/namespaces/default/deployments", body, PROTOBUF)
    assert code == 201, from_protobuf
    as_json = orjson.dumps(decode_protobuf(body))
    code, from_json = await _post(
        http, "/apis/apps/v1/namespaces/other/deployments", as_json, "application/json"
    )
    assert code == 201, from_json
    assert _without_server_fields(from_protobuf) == _without_server_fields(from_json)
    code, status = await _post(http, "/api/v1/namespaces/default/pods", _envelope("Pod", b""), PROTOBUF)
    assert (code, status["reason"]) == (415, "UnsupportedMediaType")
    assert "apps/v1 Deployment" in status["message"]


def test_jsonpath_subset() -> None:
    obj = {
        "metadata": {"labels": {"app.kubernetes.io/name": "x"}},
        "spec": {"items": [{"n": 1}, {"n": 2}]},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }
    assert evaluate_jsonpath(obj, ".metadata.labels['app.kubernetes.io/name']") == ["x"]
    assert evaluate_jsonpath(obj, ".spec.items[*].n") == [1, 2]
    assert evaluate_jsonpath(obj, ".spec.items[-1].n") == [2]
    assert evaluate_jsonpath(obj, '{.status.conditions[?(@.type=="Ready")].status}') == ["True"]
    assert evaluate_jsonpath(obj, ".spec.missing") == []
    assert evaluate_jsonpath(obj, "not a path") == []


def _job_spec(*extra: bytes) -> bytes:
    """The JobSpec ``kubectl create job|cronjob`` builds: a pod template restarting as given."""
    pod_spec = _field(2, _container("c", "busybox", _field(3, b"echo"), _field(3, b"hi"))) + _message(
        _field(3, b"Never"), _field(6, b""), _field(8, b""), _field(19, b"")
    )
    return _field(6, _field(1, _field(8, b"")) + _field(2, pod_spec)) + b"".join(extra)


def test_job_and_cron_job_read_as_the_json_kubectl_would_send() -> None:
    job_status = _message(_field(4, 0), _field(5, 0), _field(6, 0), _field(7, b""))
    job = _envelope(
        "Job",
        _field(1, _field(1, b"once"))
        + _field(2, _job_spec(_field(7, 0), _field(10, 0)))
        + _field(3, job_status),
        "batch/v1",
    )
    pod_spec = {
        "containers": [{"name": "c", "image": "busybox", "command": ["echo", "hi"], "resources": {}}],
        "restartPolicy": "Never",
    }
    assert decode_protobuf(job) == {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "once"},
        "spec": {"template": {"metadata": {}, "spec": pod_spec}, "backoffLimit": 0, "suspend": False},
        "status": {},
    }
    cron_spec = _message(
        _field(1, b"*/5 * * * *"),
        _field(3, b""),
        _field(5, _field(1, _field(1, b"tick")) + _field(2, _job_spec())),
    )
    cron_job = _envelope(
        "CronJob", _field(1, _field(1, b"tick")) + _field(2, cron_spec) + _field(3, b""), "batch/v1"
    )
    assert decode_protobuf(cron_job)["spec"] == {
        "schedule": "*/5 * * * *",
        "jobTemplate": {
            "metadata": {"name": "tick"},
            "spec": {"template": {"metadata": {}, "spec": pod_spec}},
        },
    }
