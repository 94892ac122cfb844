"""How Shoal talks to a Kubernetes API: the Client protocol and its HTTP implementation."""

from ._protocol import Client as Client

__all__ = ["Client"]
