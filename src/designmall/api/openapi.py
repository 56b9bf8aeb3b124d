"""The OpenAPI document lists every status an operation can answer.

Each operation names its own outcomes (``with_errors``: the domain's refusals, such as
409 for a sold-out SKU). The failures that come from the framework around every
operation are added here, in one place, so that no operation forgets one:

- 500: any operation (a bug);
- 404: an operation with an id in its path (the id names nothing);
- 422: an operation with parameters or a body (they failed validation);
- 400 and 413: an operation with a body (unreadable: malformed JSON or form; too large);
- 401 and 403: an operation that needs a login (none or a bad token; a session's change
  without its CSRF token, a role the caller does not have).

Every one is the error shape, ``ErrorOut``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from ninja import NinjaAPI

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


def shared_statuses(operation: dict[str, Any]) -> set[int]:
    """The framework's statuses ``operation`` (an OpenAPI operation object) can answer."""
    statuses = {500}
    parameters = operation.get("parameters") or []
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 413}
    if operation.get("security"):
        statuses |= {401, 403}
    return statuses


def add_shared_errors(schema: dict[str, Any]) -> dict[str, Any]:
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            # ninja keys some responses by int; the document's keys are strings.
            responses = {str(k): v for k, v in operation.get("responses", {}).items()}
            for status in sorted(shared_statuses(operation)):
                responses.setdefault(
                    str(status),
                    {
                        "description": HTTPStatus(status).phrase,
                        "content": {"application/json": {"schema": ERROR_REF}},
                    },
                )
            operation["responses"] = dict(sorted(responses.items()))
    return schema


class DocumentedErrorsAPI(NinjaAPI):
    """A NinjaAPI whose document lists the shared error statuses on every operation."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any):
        return add_shared_errors(super().get_openapi_schema(*args, **kwargs))
