"""Domain errors with stable codes.

Services raise these; the API maps them to its one error shape
``{"error": {"code", "message", "details"}}`` with the status given here, and
pages show ``message``. Codes never change once published.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    status = 400

    def __init__(self, message: str = "", *, code: str | None = None, details: Any = None):
        super().__init__(message or self.code)
        self.message = str(message or self.code)
        if code:
            self.code = code
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationFailed(DomainError):
    code = "invalid"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidTransition(Conflict):
    code = "invalid_transition"


class TooManyRequests(DomainError):
    """Refused for now: ``retry_after`` (whole seconds, at least 1) says when to try again.

    The API sends it as the ``Retry-After`` header and in ``details.retry_after``."""

    code = "too_many_requests"
    status = 429

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        details: Any = None,
        retry_after: int | None = None,
    ):
        if retry_after is not None:
            retry_after = max(1, int(retry_after))
            details = {**(details or {}), "retry_after": retry_after}
        super().__init__(message, code=code, details=details)
        self.retry_after = retry_after
