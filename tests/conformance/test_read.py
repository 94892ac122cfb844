"""Get and list: selectors, paging, and what a list's resourceVersion promises."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from shoal.api import GVR, BadRequestError, GoneError, NotFoundError, Object, ServerTimeoutError
from shoal.client import Client
from shoal.sim import Simulator

from ._support import CONFIGMAPS, NAMESPACES, PODS, SECRETS, configmap, names, pod, rv
from .conftest import SimulatedClient


async def test_get_returns_the_stored_object(client: Client, ns: str) -> None:
    created = await client.create(CONFIGMAPS, configmap("a", ns, data={"k": "v"}, labels={"app": "x"}))
    fetched = await client.get(CONFIGMAPS, "a", namespace=ns)
    assert fetched["apiVersion"] == "v1"
    assert fetched["kind"] == "ConfigMap"
    assert fetched["data"] == {"k": "v"}
    assert fetched["metadata"]["labels"] == {"app": "x"}
    assert fetched["metadata"]["uid"] == created["metadata"]["uid"]
    assert fetched["metadata"]["namespace"] == ns


async def test_get_missing_is_not_found(client: Client, ns: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.get(CONFIGMAPS, "missing", namespace=ns)
    err = caught.value
    assert err.message == 'configmaps "missing" not found'
    assert (err.code, err.reason, err.name, err.kind) == (404, "NotFound", "missing", "configmaps")


async def test_returned_objects_are_the_callers_own(client: Client, ns: str) -> None:
    created = await client.create(CONFIGMAPS, configmap("a", ns, data={"k": "v"}))
    created["data"]["k"] = "changed by caller"
    fetched = await client.get(CONFIGMAPS, "a", namespace=ns)
    fetched["data"]["k"] = "changed again"
    listed = await client.list(CONFIGMAPS, namespace=ns)
    assert listed["items"][0]["data"] == {"k": "v"}


async def test_list_is_a_kind_list_with_a_resource_version(client: Client, ns: str) -> None:
    a = await client.create(CONFIGMAPS, configmap("a", ns))
    b = await client.create(CONFIGMAPS, configmap("b", ns))
    listing = await client.list(CONFIGMAPS, namespace=ns)
    assert listing["kind"] == "ConfigMapList"
    assert listing["apiVersion"] == "v1"
    assert int(listing["metadata"]["resourceVersion"]) >= max(rv(a), rv(b))
    assert {i["metadata"]["name"] for i in listing["items"]} == {"a", "b"}
    assert not listing["metadata"].get("continue")


async def test_list_in_one_namespace_or_all(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("here", ns))
    await client.create(CONFIGMAPS, configmap("there", "default"))
    assert await names(client, CONFIGMAPS, ns) == {"here"}
    assert await names(client, CONFIGMAPS, "default") >= {"there"}
    assert "here" not in await names(client, CONFIGMAPS, "default")
    assert await names(client, CONFIGMAPS) >= {"here", "there"}


async def test_list_in_a_missing_namespace_is_empty(client: Client) -> None:
    listing = await client.list(CONFIGMAPS, namespace="nowhere")
    assert listing["items"] == []


LABELLED = {
    "a": {"app": "web", "tier": "front", "rank": "1"},
    "b": {"app": "web", "tier": "back", "rank": "3"},
    "c": {"app": "db"},
    "d": {},
}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("", {"a", "b", "c", "d"}),
        ("app=web", {"a", "b"}),
        ("app==web", {"a", "b"}),
        ("app!=web", {"c", "d"}),
        ("app in (web,db)", {"a", "b", "c"}),
        ("app notin (web)", {"c", "d"}),
        ("tier", {"a", "b"}),
        ("!tier", {"c", "d"}),
        ("app=web,tier!=front", {"b"}),
        ("app in (web),!rank", set()),
        ("rank>2", {"b"}),
        ("rank<2", {"a"}),
        ("app=nothing", set()),
    ],
)
async def test_label_selector(client: Client, ns: str, selector: str, expected: set[str]) -> None:
    for name, labels in LABELLED.items():
        await client.create(CONFIGMAPS, configmap(name, ns, labels=labels))
    assert await names(client, CONFIGMAPS, ns, label_selector=selector) == expected


async def test_malformed_label_selector_is_bad_request(client: Client, ns: str) -> None:
    with pytest.raises(BadRequestError):
        await client.list(CONFIGMAPS, namespace=ns, label_selector="app in (web")


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("metadata.name=a", {"a"}),
        ("metadata.name==a", {"a"}),
        ("metadata.name!=a", {"b"}),
        ("metadata.name=a,metadata.name!=a", set()),
    ],
)
async def test_field_selector_on_metadata_name(
    client: Client, ns: str, selector: str, expected: set[str]
) -> None:
    await client.create(CONFIGMAPS, configmap("a", ns))
    await client.create(CONFIGMAPS, configmap("b", ns))
    assert await names(client, CONFIGMAPS, ns, field_selector=selector) == expected


async def test_field_selector_on_metadata_namespace(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("here", ns))
    await client.create(CONFIGMAPS, configmap("there", "default"))
    assert await names(client, CONFIGMAPS, field_selector=f"metadata.namespace={ns}") == {"here"}
    assert "here" not in await names(client, CONFIGMAPS, field_selector=f"metadata.namespace!={ns}")


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("spec.nodeName=node-1", {"bound-running", "bound-pending"}),
        ("spec.nodeName=", {"unbound"}),
        ("spec.nodeName!=node-1", {"unbound", "elsewhere"}),
        ("status.phase=Running", {"bound-running"}),
        ("status.phase!=Running", {"bound-pending", "unbound", "elsewhere"}),
        ("spec.nodeName=node-1,status.phase=Pending", {"bound-pending"}),
    ],
)
async def test_field_selector_on_pod_node_and_phase(
    client: Client, ns: str, selector: str, expected: set[str]
) -> None:
    await client.create(PODS, pod("bound-running", ns, node_name="node-1"))
    await client.create(PODS, pod("bound-pending", ns, node_name="node-1"))
    await client.create(PODS, pod("elsewhere", ns, node_name="node-2"))
    await client.create(PODS, pod("unbound", ns))
    for name in ("bound-pending", "elsewhere", "unbound"):
        await client.patch_status(PODS, name, {"status": {"phase": "Pending"}}, namespace=ns)
    await client.patch_status(PODS, "bound-running", {"status": {"phase": "Running"}}, namespace=ns)
    assert await names(client, PODS, ns, field_selector=selector) == expected


@pytest.mark.parametrize(
    ("resource", "selector"),
    [(CONFIGMAPS, "data.key=x"), (CONFIGMAPS, "spec.nodeName=n"), (PODS, "spec.containers=x")],
)
async def test_unsupported_field_selector_is_bad_request(
    client: Client, ns: str, resource: GVR, selector: str
) -> None:
    with pytest.raises(BadRequestError) as caught:
        await client.list(resource, namespace=ns, field_selector=selector)
    assert caught.value.code == 400
    assert selector.split("=")[0] in caught.value.message


async def test_list_selectors_combine(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("a", ns, labels={"app": "web"}))
    await client.create(CONFIGMAPS, configmap("b", ns, labels={"app": "web"}))
    await client.create(CONFIGMAPS, configmap("c", ns, labels={"app": "db"}))
    assert await names(
        client, CONFIGMAPS, ns, label_selector="app=web", field_selector="metadata.name!=a"
    ) == {"b"}


async def read_pages(client: Client, namespace: str, limit: int) -> list[Object]:
    pages: list[Object] = []
    token = ""
    while True:
        page = await client.list(CONFIGMAPS, namespace=namespace, limit=limit, continue_=token)
        pages.append(page)
        token = page["metadata"].get("continue") or ""
        if not token:
            return pages
        assert len(pages) < 1000, "paging does not end"


async def test_paging_returns_each_object_exactly_once(client: Client, ns: str) -> None:
    for i in range(7):
        await client.create(CONFIGMAPS, configmap(f"cm-{i}", ns))
    pages = await read_pages(client, ns, 3)
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    seen = [item["metadata"]["name"] for p in pages for item in p["items"]]
    assert sorted(seen) == [f"cm-{i}" for i in range(7)]
    assert len({p["metadata"]["resourceVersion"] for p in pages}) == 1
    assert pages[0]["metadata"].get("remainingItemCount") == 4


async def test_paging_serves_the_snapshot_of_the_first_page(client: Client, ns: str) -> None:
    for name in ("a", "b", "c", "d"):
        await client.create(CONFIGMAPS, configmap(name, ns))
    first = await client.list(CONFIGMAPS, namespace=ns, limit=2)
    seen = {i["metadata"]["name"] for i in first["items"]}
    unseen = sorted({"a", "b", "c", "d"} - seen)
    await client.delete(CONFIGMAPS, unseen[0], namespace=ns)
    await client.create(CONFIGMAPS, configmap("e", ns))
    rest = await client.list(CONFIGMAPS, namespace=ns, limit=10, continue_=first["metadata"]["continue"])
    assert seen | {i["metadata"]["name"] for i in rest["items"]} == {"a", "b", "c", "d"}
    assert rest["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    objects=st.dictionaries(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True), st.booleans(), max_size=25),
    page_size=st.integers(min_value=1, max_value=10),
    selected=st.booleans(),
    data=st.data(),
)
async def test_paging_property_every_object_once(
    fresh: SimulatedClient, objects: dict[str, bool], page_size: int, selected: bool, data: st.DataObject
) -> None:
    """Pages cover the list's snapshot exactly once, whatever is written between them."""
    async with fresh() as (_sim, client):
        for name, keep in objects.items():
            labels = {"keep": "yes" if keep else "no"}
            await client.create(CONFIGMAPS, configmap(name, "default", labels=labels))
        at_start = await names(client, CONFIGMAPS, "default")
        options = {"label_selector": "keep=yes"} if selected else {}
        seen: list[str] = []
        token = ""
        version = None
        for page_number in range(1000):
            page = await client.list(
                CONFIGMAPS, namespace="default", limit=page_size, continue_=token, **options
            )
            assert len(page["items"]) <= page_size
            seen.extend(item["metadata"]["name"] for item in page["items"])
            version = version or page["metadata"]["resourceVersion"]
            assert page["metadata"]["resourceVersion"] == version
            token = page["metadata"].get("continue") or ""
            if not token:
                break
            await _write_between_pages(client, data, page_number)
        assert len(seen) == len(set(seen))
        assert set(seen) == ({n for n, keep in objects.items() if keep} if selected else at_start)


async def _write_between_pages(client: Client, data: st.DataObject, page_number: int) -> None:
    present = sorted(await names(client, CONFIGMAPS, "default"))
    for step in range(data.draw(st.integers(0, 3), label="writes between pages")):
        if present and data.draw(st.booleans(), label="delete"):
            victim = data.draw(st.sampled_from(present), label="victim")
            present.remove(victim)
            await client.delete(CONFIGMAPS, victim, namespace="default")
        else:
            prefix = data.draw(st.sampled_from(["0new", "znew"]), label="sorts before or after")
            name = f"{prefix}-{page_number}-{step}"
            await client.create(CONFIGMAPS, configmap(name, "default", labels={"keep": "yes"}))


async def test_continue_token_after_compaction_is_gone(sim: Simulator, client: Client, ns: str) -> None:
    for name in ("a", "b", "c"):
        await client.create(CONFIGMAPS, configmap(name, ns))
    first = await client.list(CONFIGMAPS, namespace=ns, limit=1)
    await client.create(CONFIGMAPS, configmap("d", ns))
    sim.compact()
    with pytest.raises(GoneError) as caught:
        await client.list(CONFIGMAPS, namespace=ns, limit=1, continue_=first["metadata"]["continue"])
    assert caught.value.code == 410


async def test_list_at_a_future_resource_version_times_out(client: Client, ns: str) -> None:
    listing = await client.list(CONFIGMAPS, namespace=ns)
    future = str(int(listing["metadata"]["resourceVersion"]) + 1000)
    with pytest.raises(ServerTimeoutError) as caught:
        await client.list(CONFIGMAPS, namespace=ns, resource_version=future)
    assert "Too large resource version" in caught.value.message


@pytest.mark.parametrize(("selector", "expected"), [("type=Opaque", {"opaque"}), ("type!=Opaque", {"tls"})])
async def test_field_selector_on_secret_type(
    client: Client, ns: str, selector: str, expected: set[str]
) -> None:
    await client.create(SECRETS, {"metadata": {"name": "opaque", "namespace": ns}, "type": "Opaque"})
    tls = {"tls.crt": "Y2VydA==", "tls.key": "a2V5"}
    await client.create(
        SECRETS, {"metadata": {"name": "tls", "namespace": ns}, "type": "kubernetes.io/tls", "data": tls}
    )
    assert await names(client, SECRETS, ns, field_selector=selector) == expected


async def test_field_selector_on_namespace_phase(client: Client, ns: str) -> None:
    everything = await names(client, NAMESPACES)
    assert await names(client, NAMESPACES, field_selector="status.phase=Active") == everything
    assert await names(client, NAMESPACES, field_selector="status.phase=Terminating") == set()


async def test_list_resource_version_zero_and_current_are_served(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns))
    for version in ("0", made["metadata"]["resourceVersion"]):
        listing = await client.list(CONFIGMAPS, namespace=ns, resource_version=version)
        assert {i["metadata"]["name"] for i in listing["items"]} == {"a"}


async def test_list_exact_resource_version_returns_the_state_then(client: Client, ns: str) -> None:
    a = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    await client.update(CONFIGMAPS, {**a, "data": {"v": "2"}})
    await client.create(CONFIGMAPS, configmap("b", ns))
    then = await client.list(
        CONFIGMAPS,
        namespace=ns,
        resource_version=a["metadata"]["resourceVersion"],
        resource_version_match="Exact",
    )
    assert [i["metadata"]["name"] for i in then["items"]] == ["a"]
    assert then["items"][0]["data"] == {"v": "1"}
    assert then["metadata"]["resourceVersion"] == a["metadata"]["resourceVersion"]


async def test_list_exact_resource_version_after_compaction_is_gone(
    sim: Simulator, client: Client, ns: str
) -> None:
    a = await client.create(CONFIGMAPS, configmap("a", ns))
    await client.create(CONFIGMAPS, configmap("b", ns))
    sim.compact()
    with pytest.raises(GoneError):
        await client.list(
            CONFIGMAPS,
            namespace=ns,
            resource_version=a["metadata"]["resourceVersion"],
            resource_version_match="Exact",
        )


async def test_cluster_scoped_get_and_list(client: Client, ns: str) -> None:
    got = await client.get(NAMESPACES, ns)
    assert got["kind"] == "Namespace"
    assert "namespace" not in got["metadata"]
    assert ns in await names(client, NAMESPACES)
