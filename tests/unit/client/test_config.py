"""Kubeconfig and in-cluster loading through the official loaders, checked against real servers
where it matters (client certificates, CA verification, exec-plugin tokens)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from prometheus_client import CollectorRegistry

from shoal.api import GVR
from shoal.client import ConfigError, HttpClient, RestConfig

NAMESPACES = GVR("", "v1", "namespaces")


def write_kubeconfig(
    path: Path, server: str, user: dict[str, object], cluster: dict[str, object] | None = None
) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "main",
        "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": "u", "user": user}, {"name": "other", "user": {"token": "other-token"}}],
        "contexts": [
            {"name": "main", "context": {"cluster": "c", "user": "u"}},
            {"name": "second", "context": {"cluster": "c", "user": "other"}},
        ],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def test_static_token_and_context_selection(tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "config", "http://127.0.0.1:8080/", {"token": "abc"})
    config = RestConfig.from_kubeconfig(str(kubeconfig))
    assert config.host == "http://127.0.0.1:8080"
    assert config.authorization == "Bearer abc"
    assert config.qps is None
    second = RestConfig.from_kubeconfig(str(kubeconfig), context="second", qps=100, burst=150)
    assert second.authorization == "Bearer other-token"
    assert (second.qps, second.burst) == (100, 150)


def test_token_file_and_kubeconfig_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "token").write_text("from-file")
    kubeconfig = write_kubeconfig(tmp_path / "config", "http://h:1", {"tokenFile": str(tmp_path / "token")})
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    assert RestConfig.from_kubeconfig().authorization == "Bearer from-file"


def test_missing_or_broken_kubeconfig_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot load kubeconfig"):
        RestConfig.from_kubeconfig(str(tmp_path / "absent"))
    kubeconfig = write_kubeconfig(tmp_path / "config", "http://h:1", {"token": "x"})
    with pytest.raises(ConfigError):
        RestConfig.from_kubeconfig(str(kubeconfig), context="no-such-context")


def test_in_cluster_reads_service_account(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("sa-token")
    (tmp_path / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    config = RestConfig.in_cluster(environ=env, service_account_dir=str(tmp_path))
    assert config.host == "https://10.0.0.1:443"
    assert config.authorization == "bearer sa-token"
    assert config.ca_file == str(tmp_path / "ca.crt")
    assert config.token_source is not None
    with pytest.raises(ConfigError, match="not running in a cluster"):
        RestConfig.in_cluster(environ={}, service_account_dir=str(tmp_path))


def test_from_url_and_validation() -> None:
    assert RestConfig.from_url("http://x:1/", "t").authorization == "Bearer t"
    assert RestConfig.from_url("http://x:1").authorization is None
    with pytest.raises(ConfigError, match="host"):
        RestConfig.from_url("x:1")
    with pytest.raises(ConfigError, match="qps"):
        RestConfig.from_url("http://x:1", qps=0)


EXEC_PLUGIN = """
import json, pathlib, sys
counter = pathlib.Path(sys.argv[1])
n = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(n))
print(json.dumps({
    "apiVersion": "client.authentication.k8s.io/v1",
    "kind": "ExecCredential",
    "status": {"token": f"exec-{n}", "expirationTimestamp": "2000-01-01T00:00:00Z"},
}))
"""


async def test_exec_plugin_token_is_used_and_refreshed_after_401(tmp_path: Path) -> None:
    script = tmp_path / "plugin.py"
    script.write_text(EXEC_PLUGIN)
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append(request.headers.get("Authorization", ""))
        if len(seen) == 1:
            return web.json_response({"kind": "Status", "code": 401, "reason": "Unauthorized"}, status=401)
        return web.json_response({"kind": "NamespaceList", "items": []})

    async with Serve(handler) as url:
        user = {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": sys.executable,
                "args": [str(script), str(tmp_path / "count")],
                "interactiveMode": "Never",
            }
        }
        kubeconfig = write_kubeconfig(tmp_path / "config", url, user)
        config = RestConfig.from_kubeconfig(str(kubeconfig))
        assert config.authorization == "Bearer exec-1"
        async with HttpClient(config, registry=CollectorRegistry()) as client:
            assert (await client.list(NAMESPACES))["kind"] == "NamespaceList"
    assert seen[0] == "Bearer exec-1"
    assert seen[-1].startswith("Bearer exec-")
    assert seen[-1] != "Bearer exec-1"


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("pki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        cwd=d,
    )
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        openssl(
            "req",
            *ec,
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            "-subj",
            f"/O=system:masters/CN={name}",
            cwd=d,
        )
        (d / f"{name}.ext").write_text(ext + "\n")
        openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=d,
        )  # fmt: skip
    return d


class Serve:
    """Serve one handler on 127.0.0.1 (optionally over TLS) for the duration of an ``async with``."""

    def __init__(self, handler: web.Handler, ssl_context: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.ssl_context = ssl_context
        self.runner: web.AppRunner | None = None

    async def __aenter__(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handler)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        port = self.runner.addresses[0][1]
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


@pytest.fixture
async def mtls_server(pki: Path) -> AsyncIterator[tuple[str, list[str]]]:
    subjects: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peercert") if request.transport else None
        subject = dict(x[0] for x in (peer or {}).get("subject", ()))
        subjects.append(subject.get("commonName", ""))
        return web.json_response({"kind": "NamespaceList", "items": []})

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "server.crt"), str(pki / "server.key"))
    context.verify_mode = ssl.CERT_REQUIRED
    async with Serve(handler, context) as url:
        yield url, subjects


async def test_client_certificate_and_ca_files(
    pki: Path, tmp_path: Path, mtls_server: tuple[str, list[str]]
) -> None:
    url, subjects = mtls_server
    user = {"client-certificate": str(pki / "client.crt"), "client-key": str(pki / "client.key")}
    kubeconfig = write_kubeconfig(
        tmp_path / "config", url, user, {"certificate-authority": str(pki / "ca.crt")}
    )
    config = RestConfig.from_kubeconfig(str(kubeconfig))
    assert (config.ca_file, config.cert_file) == (str(pki / "ca.crt"), str(pki / "client.crt"))
    async with HttpClient(config, registry=CollectorRegistry()) as client:
        assert (await client.list(NAMESPACES))["kind"] == "NamespaceList"
    assert subjects == ["client"]


async def test_inline_certificate_data_and_unknown_ca_rejection(
    pki: Path, tmp_path: Path, mtls_server: tuple[str, list[str]]
) -> None:
    import base64

    def b64(name: str) -> str:
        return base64.b64encode((pki / name).read_bytes()).decode()

    url, subjects = mtls_server
    user = {"client-certificate-data": b64("client.crt"), "client-key-data": b64("client.key")}
    kubeconfig = write_kubeconfig(
        tmp_path / "config", url, user, {"certificate-authority-data": b64("ca.crt")}
    )
    async with HttpClient.from_kubeconfig(str(kubeconfig), registry=CollectorRegistry()) as client:
        assert (await client.list(NAMESPACES))["kind"] == "NamespaceList"
    assert subjects == ["client"]

    # Without the CA the server certificate is not trusted: a transport error, not a hang or a traceback.
    from shoal.client import TransportError

    untrusted = write_kubeconfig(tmp_path / "untrusted", url, user)
    async with HttpClient.from_kubeconfig(str(untrusted), registry=CollectorRegistry()) as client:
        with pytest.raises(TransportError, match=r"SSL|certificate"):
            await client.list(NAMESPACES)
