"""The watch body splitter: documents come out whole and in order whatever the chunk boundaries."""

from __future__ import annotations

import itertools

import orjson
import pytest
from hypothesis import given, strategies as st

from shoal.api import BadRequestError
from shoal.client import NdjsonDecoder

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
events = st.lists(
    st.fixed_dictionaries({"type": st.sampled_from(["ADDED", "MODIFIED"]), "object": json_values}),
    max_size=12,
)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@given(events, st.lists(st.integers(min_value=0), max_size=30))
def test_any_chunking_yields_every_document_in_order(docs: list[object], cuts: list[int]) -> None:
    body = b"".join(orjson.dumps(d) + b"\n" for d in docs)
    decoder = NdjsonDecoder()
    out: list[object] = []
    for chunk in split(body, cuts):
        out.extend(decoder.feed(chunk))
    out.extend(decoder.close())
    assert out == docs
    assert decoder.pending == 0


def test_multibyte_character_split_across_chunks() -> None:
    line = orjson.dumps({"type": "ADDED", "object": {"name": "ünïcødé—✓"}}) + b"\n"
    cut = line.index("✓".encode()) + 1  # inside the 3-byte sequence
    decoder = NdjsonDecoder()
    assert decoder.feed(line[:cut]) == []
    assert decoder.feed(line[cut:]) == [{"type": "ADDED", "object": {"name": "ünïcødé—✓"}}]


def test_large_single_line_over_many_chunks() -> None:
    doc = {"type": "ADDED", "object": {"data": {"blob": "x" * 600_000}}}
    body = orjson.dumps(doc) + b"\n"
    decoder = NdjsonDecoder()
    got = [d for i in range(0, len(body), 4096) for d in decoder.feed(body[i : i + 4096])]
    assert got == [doc]


def test_blank_keepalive_lines_are_skipped() -> None:
    decoder = NdjsonDecoder()
    assert decoder.feed(b'\n\n{"a":1}\n  \n{"b":2}\n') == [{"a": 1}, {"b": 2}]


def test_unterminated_final_document_is_returned_on_close() -> None:
    decoder = NdjsonDecoder()
    assert decoder.feed(b'{"a":1}\n{"b":2}') == [{"a": 1}]
    assert decoder.close() == [{"b": 2}]


def test_truncated_final_fragment_is_discarded_on_close() -> None:
    decoder = NdjsonDecoder()
    assert decoder.feed(b'{"a":1}\n{"b":') == [{"a": 1}]
    assert decoder.pending == 5
    assert decoder.close() == []


def test_a_line_that_is_not_json_is_a_bad_request() -> None:
    decoder = NdjsonDecoder()
    with pytest.raises(BadRequestError, match="not JSON"):
        decoder.feed(b"<html>oops</html>\n")
