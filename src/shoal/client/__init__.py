"""How Shoal talks to a Kubernetes API: the Client protocol and its HTTP implementation."""

from ._config import ConfigError as ConfigError, RestConfig as RestConfig
from ._http import HttpClient as HttpClient
from ._mapper import (
    ResourceMapping as ResourceMapping,
    RESTMapper as RESTMapper,
    resource_for as resource_for,
    rest_mapper as rest_mapper,
)
from ._metrics import (
    ClientMetrics as ClientMetrics,
    ClientStatistics as ClientStatistics,
    RequestStats as RequestStats,
    client_metrics as client_metrics,
)
from ._ndjson import NdjsonDecoder as NdjsonDecoder
from ._protocol import Client as Client
from ._ratelimit import TokenBucket as TokenBucket
from ._resume import WatchBackoff as WatchBackoff, watch_forever as watch_forever
from ._throttled import ThrottledClient as ThrottledClient
from ._transport import TransportError as TransportError

__all__ = [
    "Client",
    "ClientMetrics",
    "ClientStatistics",
    "ConfigError",
    "HttpClient",
    "NdjsonDecoder",
    "RESTMapper",
    "RequestStats",
    "ResourceMapping",
    "RestConfig",
    "ThrottledClient",
    "TokenBucket",
    "TransportError",
    "WatchBackoff",
    "client_metrics",
    "resource_for",
    "rest_mapper",
    "watch_forever",
]
