"""The workload kinds served as storage: StatefulSets, DaemonSets, Jobs and CronJobs.

No controller acts on them (as with Deployments); the API behaviour is the apiserver's: create, read,
update and delete; ``generation`` moved by spec, not by status; the validation a controller most
plausibly trips over, answered by 422 naming the field; a Job's selector and template labels generated
from its uid and fixed afterwards; ownerReferences collected across kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shoal.api import GVR, BadRequestError, InvalidError, Object, PatchType
from shoal.client import Client
from shoal.testing import eventually

from ._support import (
    CRON_JOBS,
    DAEMON_SETS,
    JOBS,
    STATEFUL_SETS,
    cron_job,
    daemon_set,
    is_gone,
    job,
    job_spec,
    names,
    owner_reference,
    stateful_set,
)

Builder = Callable[[str, str], Object]

KINDS: dict[str, tuple[GVR, Builder, dict[str, Any], dict[str, Any]]] = {
    # kind: (resource, builder, a spec change, a status)
    "StatefulSet": (STATEFUL_SETS, stateful_set, {"replicas": 3}, {"replicas": 1, "readyReplicas": 1}),
    "DaemonSet": (DAEMON_SETS, daemon_set, {"minReadySeconds": 5}, {"desiredNumberScheduled": 2}),
    "Job": (JOBS, job, {"parallelism": 2}, {"active": 1}),
    "CronJob": (CRON_JOBS, cron_job, {"schedule": "0 * * * *"}, {"lastScheduleTime": "2026-01-01T00:00:00Z"}),
}


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


async def test_create_get_list_update_delete(client: Client, ns: str, kind: str) -> None:
    resource, build, change, _ = KINDS[kind]
    made = await client.create(resource, build("w", ns))
    assert (made["kind"], made["metadata"]["name"]) == (kind, "w")
    assert await client.get(resource, "w", namespace=ns) == made
    assert await names(client, resource, ns) == {"w"}
    updated = await client.update(resource, {**made, "spec": {**made["spec"], **change}})
    assert all(updated["spec"][key] == value for key, value in change.items())
    await client.delete(resource, "w", namespace=ns)
    assert await eventually(lambda: is_gone(client, resource, "w", ns))


async def test_generation_moves_on_spec_not_on_status(client: Client, ns: str, kind: str) -> None:
    resource, build, change, status = KINDS[kind]
    made = await client.create(resource, {**build("w", ns), "status": status})
    assert made["metadata"]["generation"] == 1
    assert "status" not in made, "a create must not set status"
    labelled = await client.patch(resource, "w", {"metadata": {"labels": {"x": "y"}}}, namespace=ns)
    assert labelled["metadata"]["generation"] == 1
    with_status = await client.patch_status(resource, "w", {"status": status}, namespace=ns)
    assert (with_status["metadata"]["generation"], with_status["status"]) == (1, status)
    changed = await client.patch(resource, "w", {"spec": change, "status": {}}, namespace=ns)
    assert changed["metadata"]["generation"] == 2
    assert changed["status"] == status, "a spec write must not change status"


def _without(obj: Object, path: str) -> Object:
    """A copy of ``obj`` without the field at dotted ``path``."""
    *parents, last = path.split(".")
    out: dict[str, Any] = dict(obj)
    node = out
    for key in parents:
        node[key] = dict(node[key])
        node = node[key]
    del node[last]
    return out


def _with(obj: Object, path: str, value: Any) -> Object:
    """A copy of ``obj`` with ``value`` at dotted ``path``."""
    *parents, last = path.split(".")
    out: dict[str, Any] = dict(obj)
    node = out
    for key in parents:
        node[key] = dict(node.get(key) or {})
        node = node[key]
    node[last] = value
    return out


_JOB_POLICY = "spec.template.spec.restartPolicy"
_CRON_POLICY = "spec.jobTemplate.spec.template.spec.restartPolicy"
_UNSUPPORTED_ALWAYS = 'Unsupported value: "Always": supported values: "OnFailure", "Never"'
_NEGATIVE = "must be greater than or equal to 0"

INVALID: dict[str, tuple[GVR, Callable[[str], Object], str, str]] = {
    # case: (resource, body in the namespace, field named, words of the message)
    "statefulset without containers": (
        STATEFUL_SETS,
        lambda ns: _with(stateful_set("bad", ns), "spec.template.spec.containers", []),
        "spec.template.spec.containers",
        "Required value",
    ),
    "statefulset selector misses the template": (
        STATEFUL_SETS,
        lambda ns: _with(stateful_set("bad", ns), "spec.selector", {"matchLabels": {"app": "other"}}),
        "spec.template.metadata.labels",
        "`selector` does not match template `labels`",
    ),
    "statefulset negative replicas": (
        STATEFUL_SETS,
        lambda ns: _with(stateful_set("bad", ns), "spec.replicas", -1),
        "spec.replicas",
        _NEGATIVE,
    ),
    "daemonset without selector": (
        DAEMON_SETS,
        lambda ns: _without(daemon_set("bad", ns), "spec.selector"),
        "spec.selector",
        "Required value",
    ),
    "job without containers": (
        JOBS,
        lambda ns: _with(job("bad", ns), "spec.template.spec.containers", []),
        "spec.template.spec.containers",
        "Required value",
    ),
    "job restarting Always": (
        JOBS,
        lambda ns: _with(job("bad", ns), _JOB_POLICY, "Always"),
        _JOB_POLICY,
        _UNSUPPORTED_ALWAYS,
    ),
    "job without restartPolicy": (
        JOBS,
        lambda ns: _without(job("bad", ns), _JOB_POLICY),
        _JOB_POLICY,
        _UNSUPPORTED_ALWAYS,
    ),
    "job negative parallelism": (
        JOBS,
        lambda ns: job("bad", ns, parallelism=-1),
        "spec.parallelism",
        _NEGATIVE,
    ),
    "job negative completions": (
        JOBS,
        lambda ns: job("bad", ns, completions=-2),
        "spec.completions",
        _NEGATIVE,
    ),
    "job negative backoffLimit": (
        JOBS,
        lambda ns: job("bad", ns, backoffLimit=-1),
        "spec.backoffLimit",
        _NEGATIVE,
    ),
    "job with manualSelector and no selector": (
        JOBS,
        lambda ns: job("bad", ns, manualSelector=True),
        "spec.selector",
        "Required value",
    ),
    "job selecting a foreign uid": (
        JOBS,
        lambda ns: job("bad", ns, selector={"matchLabels": {"batch.kubernetes.io/controller-uid": "other"}}),
        "spec.template.metadata.labels",
        "`selector` does not match template `labels`",
    ),
    "cronjob without schedule": (
        CRON_JOBS,
        lambda ns: _without(cron_job("bad", ns), "spec.schedule"),
        "spec.schedule",
        "Required value",
    ),
    "cronjob with a malformed schedule": (
        CRON_JOBS,
        lambda ns: cron_job("bad", ns, schedule="every minute"),
        "spec.schedule",
        "expected exactly 5 fields, found 2",
    ),
    "cronjob without jobTemplate": (
        CRON_JOBS,
        lambda ns: _without(cron_job("bad", ns), "spec.jobTemplate"),
        "spec.jobTemplate",
        "Required value",
    ),
    "cronjob whose job restarts Always": (
        CRON_JOBS,
        lambda ns: _with(cron_job("bad", ns), "spec.jobTemplate.spec", job_spec("Always")),
        _CRON_POLICY,
        _UNSUPPORTED_ALWAYS,
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
async def test_invalid_workload_is_rejected_naming_the_field(client: Client, ns: str, case: str) -> None:
    resource, body, field, words = INVALID[case]
    with pytest.raises(InvalidError) as caught:
        await client.create(resource, body(ns))
    assert caught.value.code == 422
    assert field in caught.value.fields, f"{field} not among {caught.value.fields}"
    messages = [cause.message for cause in caught.value.causes if cause.field == field]
    assert any(words in message for message in messages), messages
    assert f"{field}: " in caught.value.message
    assert await names(client, resource, ns) == set()


async def test_job_selector_and_labels_are_generated_from_its_uid(client: Client, ns: str) -> None:
    made = await client.create(JOBS, job("pi", ns))
    uid = made["metadata"]["uid"]
    assert made["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert made["spec"]["template"]["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": "pi",
        "controller-uid": uid,
        "job-name": "pi",
    }
    assert await client.get(JOBS, "pi", namespace=ns) == made


async def test_job_with_manual_selector_keeps_its_own(client: Client, ns: str) -> None:
    selector = {"matchLabels": {"app": "pi"}}
    body = job(
        "pi", ns, manualSelector=True, selector=selector, template=job_spec(labels={"app": "pi"})["template"]
    )
    made = await client.create(JOBS, body)
    assert made["spec"]["selector"] == selector
    assert made["spec"]["template"]["metadata"]["labels"] == {"app": "pi"}


async def test_job_selector_and_template_are_immutable(client: Client, ns: str) -> None:
    made = await client.create(JOBS, job("pi", ns))
    spec = made["spec"]
    for field, value in (
        ("selector", {"matchLabels": {"app": "pi"}}),
        ("template", _with(spec["template"], "spec.containers", [{"name": "main", "image": "busybox:2"}])),
    ):
        with pytest.raises(InvalidError) as caught:
            await client.update(JOBS, {**made, "spec": {**spec, field: value}})
        assert f"spec.{field}" in caught.value.fields
        assert "field is immutable" in caught.value.message
    assert await client.get(JOBS, "pi", namespace=ns) == made
    suspended = await client.patch(JOBS, "pi", {"spec": {"suspend": True}}, namespace=ns)
    assert suspended["spec"]["suspend"] is True


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("selector", {"matchLabels": {"app": "w", "tier": "db"}}),
        ("serviceName", "other"),
        ("podManagementPolicy", "Parallel"),
    ],
)
async def test_stateful_set_identity_fields_are_fixed(
    client: Client, ns: str, field: str, value: Any
) -> None:
    made = await client.create(STATEFUL_SETS, stateful_set("w", ns))
    with pytest.raises(InvalidError) as caught:
        await client.patch(STATEFUL_SETS, "w", {"spec": {field: value}}, namespace=ns)
    assert list(caught.value.fields) == ["spec"]
    assert "updates to statefulset spec for fields other than 'replicas'" in caught.value.message
    assert await client.get(STATEFUL_SETS, "w", namespace=ns) == made


async def test_daemon_set_selector_is_immutable(client: Client, ns: str) -> None:
    await client.create(DAEMON_SETS, daemon_set("agent", ns))
    with pytest.raises(InvalidError) as caught:
        await client.patch(
            DAEMON_SETS, "agent", {"spec": {"selector": {"matchLabels": {"x": "y"}}}}, namespace=ns
        )
    assert "spec.selector" in caught.value.fields
    assert "field is immutable" in caught.value.message


async def test_null_template_timestamps_are_not_stored(client: Client, ns: str) -> None:
    body = cron_job("tick", ns)
    body["spec"]["jobTemplate"] = {
        "metadata": {"creationTimestamp": None},
        "spec": {
            **job_spec("OnFailure"),
            "template": {**job_spec("OnFailure")["template"], "metadata": {"creationTimestamp": None}},
        },
    }
    made = await client.create(CRON_JOBS, body)
    assert made["spec"]["jobTemplate"]["metadata"] == {}
    assert made["spec"]["jobTemplate"]["spec"]["template"]["metadata"] == {}
    sts = stateful_set("db", ns)
    sts["spec"]["template"]["metadata"]["creationTimestamp"] = None
    stored = await client.create(STATEFUL_SETS, sts)
    assert stored["spec"]["template"]["metadata"] == {"labels": {"app": "db"}}


async def test_job_owned_by_a_cron_job_is_collected_with_it(client: Client, ns: str) -> None:
    owner = await client.create(CRON_JOBS, cron_job("tick", ns))
    child = job("tick-1", ns)
    child["metadata"]["ownerReferences"] = [{**owner_reference(owner, block=True), "controller": True}]
    await client.create(JOBS, child)
    await client.delete(CRON_JOBS, "tick", namespace=ns)
    assert await eventually(lambda: is_gone(client, JOBS, "tick-1", ns))


async def test_reapplying_a_job_keeps_its_generated_selector(client: Client, ns: str) -> None:
    """Server-side apply of the same manifest again is a no-op; a changed mutable field is applied."""
    manifest = job("pi", ns)
    first = await client.patch(
        JOBS, "pi", manifest, patch_type=PatchType.APPLY, namespace=ns, field_manager="op"
    )
    again = await client.patch(
        JOBS, "pi", manifest, patch_type=PatchType.APPLY, namespace=ns, field_manager="op"
    )
    assert again == first
    manifest["spec"]["parallelism"] = 2
    changed = await client.patch(
        JOBS, "pi", manifest, patch_type=PatchType.APPLY, namespace=ns, field_manager="op"
    )
    assert changed["spec"]["selector"] == first["spec"]["selector"]
    assert (changed["spec"]["parallelism"], changed["metadata"]["generation"]) == (2, 2)


async def test_daemon_set_template_generation_is_kept_by_the_server(client: Client, ns: str) -> None:
    key = "deprecated.daemonset.template.generation"
    body = daemon_set("agent", ns)
    body["metadata"]["annotations"] = {key: "7"}
    made = await client.create(DAEMON_SETS, body)
    assert made["metadata"]["annotations"] == {key: "1"}
    resized = await client.patch(DAEMON_SETS, "agent", {"spec": {"minReadySeconds": 3}}, namespace=ns)
    assert (resized["metadata"]["annotations"][key], resized["metadata"]["generation"]) == ("1", 2)
    image = {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "busybox:2"}]}}}}
    changed = await client.patch(DAEMON_SETS, "agent", image, namespace=ns)
    assert (changed["metadata"]["annotations"][key], changed["metadata"]["generation"]) == ("2", 3)
    dropped = await client.update(
        DAEMON_SETS, {**changed, "metadata": {**changed["metadata"], "annotations": {}}}
    )
    assert dropped["metadata"]["annotations"] == {key: "2"}


async def test_unknown_fields_of_the_new_kinds_are_named_or_dropped(client: Client, ns: str) -> None:
    body = cron_job("tick", ns)
    body["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["imagee"] = "typo"
    with pytest.raises(BadRequestError) as caught:
        await client.create(CRON_JOBS, body, field_validation="Strict")
    assert 'unknown field "spec.jobTemplate.spec.template.spec.containers[0].imagee"' in caught.value.message
    made = await client.create(CRON_JOBS, body, field_validation="Ignore")
    assert "imagee" not in made["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
