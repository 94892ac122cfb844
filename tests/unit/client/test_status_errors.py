"""Failure responses and ERROR watch events become the typed errors of shoal.api."""

from __future__ import annotations

import orjson
import pytest

from shoal.api import (
    AlreadyExistsError,
    ApiError,
    ConflictError,
    GoneError,
    InvalidError,
    NotFoundError,
    TooManyRequestsError,
    not_found,
)
from shoal.client._transport import decode_error
from shoal.client._watch import event_from_json


def status(code: int, reason: str, **extra: object) -> bytes:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code, "reason": reason}
    body.update(extra)
    return orjson.dumps(body)


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        (404, "NotFound", NotFoundError),
        (409, "AlreadyExists", AlreadyExistsError),
        (409, "Conflict", ConflictError),
        (410, "Expired", GoneError),
        (410, "Gone", GoneError),
        (422, "Invalid", InvalidError),
    ],
)
def test_status_body_maps_to_its_error_class(code: int, reason: str, expected: type[ApiError]) -> None:
    error = decode_error(code, status(code, reason, message="m"))
    assert type(error) is expected
    assert error.code == code
    assert error.message == "m"


def test_invalid_keeps_field_causes() -> None:
    details = {
        "name": "x",
        "kind": "configmaps",
        "causes": [{"reason": "FieldValueRequired", "field": "data"}],
    }
    error = decode_error(422, status(422, "Invalid", message="bad", details=details))
    assert isinstance(error, InvalidError)
    assert error.fields == ["data"]
    assert error.name == "x"


def test_retry_after_header_fills_a_429_without_details() -> None:
    error = decode_error(429, status(429, "TooManyRequests"), retry_after="3")
    assert isinstance(error, TooManyRequestsError)
    assert error.retry_after == 3


def test_non_status_body_maps_by_http_code() -> None:
    error = decode_error(404, b"404 page not found")
    assert isinstance(error, NotFoundError)
    assert "404 page not found" in error.message
    assert isinstance(decode_error(409, b""), ConflictError)


def test_round_trip_of_a_rendered_error() -> None:
    original = not_found("pods", "p1")
    again = decode_error(404, orjson.dumps(original.status()))
    assert isinstance(again, NotFoundError)
    assert (again.message, again.name, again.kind) == (original.message, "p1", "pods")


def test_watch_error_event_with_410_raises_gone() -> None:
    event = {
        "type": "ERROR",
        "object": {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"},
    }
    with pytest.raises(GoneError, match="too old"):
        event_from_json(event)


def test_watch_error_event_with_other_code_raises_its_class() -> None:
    with pytest.raises(ConflictError):
        event_from_json({"type": "ERROR", "object": {"kind": "Status", "code": 409, "reason": "Conflict"}})


def test_watch_events_pass_through_and_unknown_types_are_dropped() -> None:
    event = event_from_json({"type": "ADDED", "object": {"kind": "Pod"}})
    assert event is not None
    assert (event.type, event.object) == ("ADDED", {"kind": "Pod"})
    assert event_from_json({"type": "SOMETHING", "object": {}}) is None
