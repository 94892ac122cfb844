"""Injected server-side latency: per verb and resource, a fixed delay plus uniform jitter.

Latency lives on the server side so every client (Shoal, kopf, kubectl) pays the same price; the
benchmarks compare against an ideal computed from the same profile. Profiles are looked up by name
(``none``, ``gitpod-seed``) or built from rules.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LatencyRule:
    """``verb`` (``create``, ``*``) on ``resource`` (``pods``, ``pods/status``, ``*/status``, ``*``) waits
    ``seconds`` plus up to ``jitter`` more."""

    verb: str
    resource: str
    seconds: float
    jitter: float = 0.0

    def matches(self, verb: str, resource: str) -> bool:
        if self.verb not in ("*", verb):
            return False
        if self.resource in ("*", resource):
            return True
        if self.resource.startswith("*/"):
            return resource.endswith(self.resource[1:])
        return False


@dataclass(frozen=True, slots=True)
class LatencyProfile:
    """An ordered list of rules: the first rule matching a request decides its delay (none: no delay)."""

    name: str
    rules: tuple[LatencyRule, ...] = ()

    def delay(self, verb: str, resource: str, rng: random.Random | None = None) -> float:
        """Seconds the request ``verb`` on ``resource`` should take."""
        for rule in self.rules:
            if rule.matches(verb, resource):
                if rule.jitter > 0:
                    return rule.seconds + (rng or random).uniform(0.0, rule.jitter)
                return rule.seconds
        return 0.0

    def seconds(self, verb: str, resource: str) -> float:
        """The fixed part of :meth:`delay` (what an ideal-time model uses)."""
        for rule in self.rules:
            if rule.matches(verb, resource):
                return rule.seconds
        return 0.0


PROFILES: dict[str, LatencyProfile] = {
    "none": LatencyProfile("none"),
    "gitpod-seed": LatencyProfile(
        "gitpod-seed",
        (
            LatencyRule("update", "*/status", 0.0005),
            LatencyRule("patch", "*/status", 0.0005),
            LatencyRule("create", "*", 0.002),
            LatencyRule("get", "*", 0.0005),
            LatencyRule("list", "*", 0.0005),
        ),
    ),
}


def resolve_profile(profile: str | LatencyProfile) -> LatencyProfile:
    """A profile by name, or the given one; ValueError names the known profiles."""
    if isinstance(profile, LatencyProfile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(
            f"unknown latency profile {profile!r}; known: {', '.join(sorted(PROFILES))}"
        ) from None
