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

Every one is the error shape, ``ErrorOut``. Path parameters are public ids matched by
the URL converter's pattern (``path_id_pattern``), which the document states, so that a
client (or a generated test) knows what an id looks like.
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


def add_shared_errors(schema: dict[str, Any], *, path_id_pattern: str = "") -> dict[str, Any]:
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters") or []:
                if path_id_pattern and parameter.get("in") == "path":
                    parameter["schema"]["pattern"] = f"^{path_id_pattern}$"
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
    """A NinjaAPI whose document lists the shared error statuses on every operation.

    ``path_id_pattern``: the regular expression every path parameter matches (the URL
    converter's), stated in the document.
    """

    def __init__(self, *args: Any, path_id_pattern: str = "", **kwargs: Any) -> None:
        self.path_id_pattern = path_id_pattern
        super().__init__(*args, **kwargs)

    def get_openapi_schema(self, *args: Any, **kwargs: Any):
        schema = super().get_openapi_schema(*args, **kwargs)
        return add_shared_errors(schema, path_id_pattern=self.path_id_pattern)
