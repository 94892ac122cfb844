"""The error tree for API failures, parsed from and rendered to a Kubernetes ``Status``.

Both directions live here so the simulator and the clients agree on every byte: the simulator raises
these errors and serialises them with :meth:`ApiError.status`; clients turn a ``Status`` body back into
the same class with :func:`error_from_status`.

::

    ShoalError
    └── ApiError                     any Status with status=Failure
        ├── BadRequestError          400 BadRequest
        ├── UnauthorizedError        401 Unauthorized
        ├── ForbiddenError           403 Forbidden
        ├── NotFoundError            404 NotFound
        ├── MethodNotAllowedError    405 MethodNotAllowed
        ├── NotAcceptableError       406 NotAcceptable
        ├── AlreadyExistsError       409 AlreadyExists
        ├── ConflictError            409 Conflict
        ├── GoneError                410 Expired / Gone (watch or continue token too old: relist)
        ├── RequestEntityTooLargeError 413 RequestEntityTooLarge
        ├── UnsupportedMediaTypeError 415 UnsupportedMediaType
        ├── InvalidError             422 Invalid (with field causes)
        ├── TooManyRequestsError     429 TooManyRequests (with retry_after)
        ├── InternalError            500 InternalError
        ├── ServiceUnavailableError  503 ServiceUnavailable
        └── ServerTimeoutError       504 Timeout
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ShoalError(Exception):
    """Root of every error Shoal raises on purpose."""


@dataclass(frozen=True, slots=True)
class StatusCause:
    """One reason an object was rejected, naming the field (``spec.replicas``, ``metadata.name``)."""

    reason: str
    message: str
    field: str = ""

    def to_json(self) -> dict[str, str]:
        out = {"reason": self.reason, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out


class ApiError(ShoalError):
    """A failed API call, carrying what the server's ``Status`` said.

    Args:
        message: the human sentence (``configmaps "x" not found``).
        name, group, kind: ``details`` of the Status; ``kind`` is the resource plural, as the apiserver sends.
        causes: field-level reasons, for 422 Invalid mostly.
        retry_after: seconds, for 429 and some 5xx.
    """

    code: int = 500
    reason: str = "InternalError"

    def __init__(
        self,
        message: str,
        *,
        name: str = "",
        group: str = "",
        kind: str = "",
        causes: tuple[StatusCause, ...] = (),
        retry_after: int | None = None,
        code: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
        self.retry_after = retry_after
        if code is not None:
            self.code = code
        if reason is not None:
            self.reason = reason

    @property
    def fields(self) -> list[str]:
        """The fields named by the causes, in order."""
        return [c.field for c in self.causes if c.field]

    def status(self) -> dict[str, Any]:
        """The ``Status`` object a Kubernetes apiserver would send for this error."""
        details: dict[str, Any] = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = [c.to_json() for c in self.causes]
        if self.retry_after is not None:
            details["retryAfterSeconds"] = self.retry_after
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if details:
            out["details"] = details
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code} {self.reason}: {self.message!r})"


class BadRequestError(ApiError):
    code, reason = 400, "BadRequest"


class UnauthorizedError(ApiError):
    code, reason = 401, "Unauthorized"


class ForbiddenError(ApiError):
    code, reason = 403, "Forbidden"


class NotFoundError(ApiError):
    code, reason = 404, "NotFound"


class MethodNotAllowedError(ApiError):
    code, reason = 405, "MethodNotAllowed"


class NotAcceptableError(ApiError):
    code, reason = 406, "NotAcceptable"


class AlreadyExistsError(ApiError):
    code, reason = 409, "AlreadyExists"


class ConflictError(ApiError):
    code, reason = 409, "Conflict"


class GoneError(ApiError):
    """The requested resourceVersion (watch start or continue token) is older than the server keeps: relist."""

    code, reason = 410, "Expired"


class RequestEntityTooLargeError(ApiError):
    code, reason = 413, "RequestEntityTooLarge"


class UnsupportedMediaTypeError(ApiError):
    code, reason = 415, "UnsupportedMediaType"


class InvalidError(ApiError):
    code, reason = 422, "Invalid"


class TooManyRequestsError(ApiError):
    code, reason = 429, "TooManyRequests"


class InternalError(ApiError):
    code, reason = 500, "InternalError"


class ServiceUnavailableError(ApiError):
    code, reason = 503, "ServiceUnavailable"


class ServerTimeoutError(ApiError):
    code, reason = 504, "Timeout"


_BY_REASON: dict[str, type[ApiError]] = {
    cls.reason: cls
    for cls in (
        BadRequestError,
        UnauthorizedError,
        ForbiddenError,
        NotFoundError,
        MethodNotAllowedError,
        NotAcceptableError,
        AlreadyExistsError,
        ConflictError,
        GoneError,
        RequestEntityTooLargeError,
        UnsupportedMediaTypeError,
        InvalidError,
        TooManyRequestsError,
        InternalError,
        ServiceUnavailableError,
        ServerTimeoutError,
    )
}
_BY_REASON["Gone"] = GoneError
_BY_CODE: dict[int, type[ApiError]] = {}
for _cls in _BY_REASON.values():
    _BY_CODE.setdefault(_cls.code, _cls)
_BY_CODE[409] = ConflictError


def error_from_status(status: dict[str, Any], *, http_code: int | None = None) -> ApiError:
    """Turn a ``Status`` body (and the HTTP code, when the body lacks one) into the matching error class."""
    code = int(status.get("code") or http_code or 500)
    reason = str(status.get("reason") or "")
    cls = _BY_REASON.get(reason) or _BY_CODE.get(code) or ApiError
    details = status.get("details") or {}
    causes = tuple(
        StatusCause(str(c.get("reason", "")), str(c.get("message", "")), str(c.get("field", "")))
        for c in details.get("causes") or ()
    )
    retry = details.get("retryAfterSeconds")
    return cls(
        str(status.get("message") or reason or f"HTTP {code}"),
        name=str(details.get("name") or ""),
        group=str(details.get("group") or ""),
        kind=str(details.get("kind") or ""),
        causes=causes,
        retry_after=int(retry) if retry is not None else None,
        code=code,
        reason=reason or cls.reason,
    )


def invalid(kind: str, name: str, *causes: StatusCause, group: str = "") -> InvalidError:
    """A 422 whose message lists each cause as ``field: message``, the way the apiserver words it."""
    text = ", ".join(f"{c.field}: {c.message}" if c.field else c.message for c in causes)
    return InvalidError(
        f'{kind} "{name}" is invalid: {text}', name=name, group=group, kind=kind, causes=causes
    )


def not_found(resource: str, name: str, group: str = "") -> NotFoundError:
    """``<resource[.group]> "<name>" not found``, as clients print it."""
    qualified = f"{resource}.{group}" if group else resource
    return NotFoundError(f'{qualified} "{name}" not found', name=name, group=group, kind=resource)
