"""Where the API server is and how to authenticate: ``RestConfig`` and its loaders.

Kubeconfig files carry many credential forms (bearer tokens inline or in files, client certificates,
CA bundles inline or on disk, exec plugins, auth providers, basic auth) and their rules change with
Kubernetes releases. Instead of parsing them here, the loaders hand the file to the official
``kubernetes`` package (``kubernetes.config``), which is maintained alongside the Kubernetes API and
already handles every form, then copy the result into a small frozen :class:`RestConfig` that the
aiohttp transport understands. Tokens that expire (exec plugins, projected service-account tokens)
are re-read through the loader's own refresh hook.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from shoal.api import ShoalError

DEFAULT_USER_AGENT = "shoal/0.1"
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class ConfigError(ShoalError):
    """The kubeconfig or in-cluster environment could not be turned into a usable configuration."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RestConfig:
    """Everything an :class:`HttpClient` needs to reach one API server.

    Args:
        host: base URL, ``https://10.0.0.1:6443`` or ``http://127.0.0.1:8080``.
        authorization: the ``Authorization`` header value (``Bearer <token>``, ``Basic ...``) or None.
        token_source: called (in a worker thread) to get a fresh ``Authorization`` value when the
            credential can expire; its answer replaces ``authorization``.
        ca_file, cert_file, key_file: PEM files for server verification and client certificates.
        verify_ssl: ``False`` mirrors ``insecure-skip-tls-verify``.
        tls_server_name: the name to verify the server certificate against, when not the host.
        proxy: an HTTP proxy URL.
        qps, burst: the client-side token bucket; ``qps=None`` (the default) disables it, as
            controller-runtime has since v0.21, leaving flow control to the server.
        user_agent: sent with every request and used by servers for accounting.
        timeout: seconds for one non-watch request (None: no limit).
        max_connections: connection pool size; 0 means unlimited (each open watch holds one).
    """

    host: str
    authorization: str | None = None
    token_source: Callable[[], str | None] | None = field(default=None, compare=False, repr=False)
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    verify_ssl: bool = True
    tls_server_name: str | None = None
    proxy: str | None = None
    qps: float | None = None
    burst: int = 0
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float | None = 60.0
    max_connections: int = 0

    def __post_init__(self) -> None:
        if not self.host.startswith(("http://", "https://")):
            raise ConfigError(f"host must be an http:// or https:// URL, got {self.host!r}")
        if self.qps is not None and self.qps <= 0:
            raise ConfigError(f"qps must be positive or None, got {self.qps}")
        if self.burst < 0:
            raise ConfigError(f"burst must not be negative, got {self.burst}")

    def with_options(self, **changes: Any) -> RestConfig:
        """A copy with some fields changed (``config.with_options(qps=100, burst=150)``)."""
        return replace(self, **changes)

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for ``https`` hosts (None for plain ``http``)."""
        if not self.host.startswith("https://"):
            return None
        ctx = ssl.create_default_context(cafile=self.ca_file)
        if self.cert_file:
            ctx.load_cert_chain(self.cert_file, self.key_file)
        if not self.verify_ssl:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    @classmethod
    def from_url(cls, url: str, token: str | None = None, **options: Any) -> RestConfig:
        """A server URL and an optional bearer token, nothing else (the simulator, a proxy)."""
        return cls(host=url.rstrip("/"), authorization=f"Bearer {token}" if token else None, **options)

    @classmethod
    def from_kubeconfig(
        cls, path: str | None = None, context: str | None = None, **options: Any
    ) -> RestConfig:
        """Load a kubeconfig through ``kubernetes.config``.

        ``path`` defaults to ``$KUBECONFIG`` (which may list several files) and then ``~/.kube/config``;
        ``context`` defaults to the file's ``current-context``.
        """
        from kubernetes import client as k8s_client, config as k8s_config

        source = path or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
        configuration = k8s_client.Configuration()
        try:
            k8s_config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=source,
                context=context,
                client_configuration=configuration,
                persist_config=False,
            )
        except (k8s_config.ConfigException, OSError, KeyError, ValueError) as exc:
            raise ConfigError(f"cannot load kubeconfig {source!r}: {exc}") from exc
        return cls._from_configuration(configuration, options)

    @classmethod
    def in_cluster(
        cls,
        *,
        environ: dict[str, str] | None = None,
        service_account_dir: str = SERVICE_ACCOUNT_DIR,
        **options: Any,
    ) -> RestConfig:
        """The pod's service account: ``KUBERNETES_SERVICE_HOST/PORT``, its token (re-read as it
        rotates) and CA, through ``kubernetes.config.incluster_config``."""
        from kubernetes import client as k8s_client, config as k8s_config
        from kubernetes.config import incluster_config

        configuration = k8s_client.Configuration()
        loader = incluster_config.InClusterConfigLoader(  # type: ignore[no-untyped-call]
            token_filename=os.path.join(service_account_dir, "token"),
            cert_filename=os.path.join(service_account_dir, "ca.crt"),
            environ=os.environ if environ is None else environ,
        )
        try:
            loader.load_and_set(configuration)  # type: ignore[no-untyped-call]
        except (k8s_config.ConfigException, OSError) as exc:
            raise ConfigError(f"not running in a cluster: {exc}") from exc
        return cls._from_configuration(configuration, options)

    @classmethod
    def _from_configuration(cls, configuration: Any, options: dict[str, Any]) -> RestConfig:
        """Copy a ``kubernetes.client.Configuration`` filled by one of the official loaders."""

        def current() -> str | None:
            value = configuration.api_key.get("BearerToken") or configuration.api_key.get("authorization")
            return str(value) if value else None

        token_source: Callable[[], str | None] | None = None
        hook = configuration.refresh_api_key_hook
        if hook is not None:

            def token_source() -> str | None:
                hook(configuration)
                return current()

        values: dict[str, Any] = {
            "host": str(configuration.host).rstrip("/"),
            "authorization": current(),
            "token_source": token_source,
            "ca_file": configuration.ssl_ca_cert or None,
            "cert_file": configuration.cert_file or None,
            "key_file": configuration.key_file or None,
            "verify_ssl": bool(configuration.verify_ssl),
            "tls_server_name": getattr(configuration, "tls_server_name", None) or None,
            "proxy": configuration.proxy or None,
        }
        values.update(options)
        return cls(**values)
