"""Shoal: a Python runtime for Kubernetes controllers that stay fast at scale."""

__version__ = "0.1.0"
__all__ = ["__version__"]
