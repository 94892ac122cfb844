"""Plain-number metric families render exactly what prometheus_client's own metrics render."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from shoal.metrics import QUEUE_BUCKETS
from shoal.metrics._values import counter_family, gauge_family, histogram_family

CREATED = re.compile(rb"^\S+_created\{.*\n", re.MULTILINE)


def pair() -> tuple[CollectorRegistry, CollectorRegistry]:
    return CollectorRegistry(), CollectorRegistry()


@settings(max_examples=30, deadline=None)
@given(
    observations=st.lists(st.floats(min_value=0, max_value=5000, allow_nan=False), max_size=40),
    increments=st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), max_size=10),
    gauge=st.lists(st.floats(min_value=-100, max_value=100, allow_nan=False), max_size=10),
)
def test_exposition_matches_prometheus_client(
    observations: list[float], increments: list[float], gauge: list[float]
) -> None:
    theirs, ours = pair()
    labels = ("name", "controller")
    histogram = Histogram("q_seconds", "doc", labels, buckets=QUEUE_BUCKETS, registry=theirs)
    counter = Counter("adds_total", "doc", labels, registry=theirs)
    level = Gauge("depth", "doc", labels, registry=theirs)
    our_histogram = histogram_family("q_seconds", "doc", labels, QUEUE_BUCKETS, ours)
    our_counter = counter_family("adds_total", "doc", labels, ours)
    our_level = gauge_family("depth", "doc", labels, ours)
    counter.labels("a", "b")
    our_counter.labels("a", "b")
    for value in observations:
        histogram.labels("a", "b").observe(value)
        our_histogram.labels("a", "b").observe(value)
    for value in increments:
        counter.labels("a", "b").inc(value)
        our_counter.labels("a", "b").inc(value)
    for value in gauge:
        level.labels("a", "c").inc(value)
        our_level.labels("a", "c").inc(value)
    for render in (generate_latest, generate_openmetrics):
        assert CREATED.sub(b"", render(ours)) == CREATED.sub(b"", render(theirs))
    assert ours.get_sample_value("adds_created", {"name": "a", "controller": "b"}) is not None


def test_registration_rules_match_prometheus_client() -> None:
    registry = CollectorRegistry()
    counter_family("adds_total", "doc", ("name",), registry)
    with pytest.raises(ValueError, match="Duplicated"):
        Counter("adds", "doc", ("name",), registry=registry)
    family = gauge_family("depth", "doc", ("name",), registry)
    with pytest.raises(ValueError, match="expected labels"):
        family.labels("a", "b")
    with pytest.raises(ValueError, match="non-negative"):
        counter_family("other_total", "doc", (), registry).labels().inc(-1)


def test_function_gauge_is_evaluated_when_scraped() -> None:
    registry = CollectorRegistry()
    calls: list[int] = []

    def seconds() -> float:
        calls.append(1)
        return 2.5

    gauge_family("unfinished", "doc", (), registry).labels().set_function(seconds)
    assert calls == []
    assert registry.get_sample_value("unfinished") == 2.5
    assert len(calls) == 1
