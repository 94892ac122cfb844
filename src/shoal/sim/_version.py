"""The Kubernetes version the simulator is: one number, so that nothing it serves disagrees with it.

``/version`` (which version-dispatching kubectl wrappers pick their binary by), the OpenAPI documents
and the simulated nodes' ``status.nodeInfo.kubeletVersion`` all report this release unless a
simulator or its HTTP door is told another; a kubelet newer or older than its apiserver would be a
skew no real cluster starts with.
"""

from __future__ import annotations

DEFAULT_KUBE_VERSION = "1.37.1"
"""The release reported by default, without the leading ``v``."""


def git_version(kube_version: str) -> str:
    """``v1.37.1``: how a release is written in ``gitVersion`` and ``kubeletVersion``."""
    return f"v{kube_version}"
