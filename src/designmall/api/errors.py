"""The API's one error shape and everything that produces it.

Every failure under ``/api/v1/`` answers
``{"error": {"code": str, "message": str, "details": any}}``: domain errors
keep their own code and status; framework failures (bad JSON, failed
validation, missing login, unknown route, wrong method, a bug) get the codes
below. ``message`` is for people (in the active language); ``code`` is for
programs and never changes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser

from designmall.core.errors import DomainError

logger = logging.getLogger(__name__)


class ErrorBody(Schema):
    code: str
    message: str
    details: Any = None


class ErrorOut(Schema):
    """The body of every error response."""

    error: ErrorBody


def with_errors(ok: dict[int, Any], *statuses: int) -> dict[Any, Any]:
    """An operation's ``response=`` map: its success schemas plus the error shape.

    Every operation can also fail with 500; it is listed so the document says so.
    """
    return {**ok, frozenset({*statuses, 500}): ErrorOut}


def error_response(
    status: int, code: str, message: str, details: Any = None, *, headers: dict | None = None
) -> JsonResponse:
    body = {"error": {"code": code, "message": str(message), "details": details}}
    return JsonResponse(body, status=status, encoder=DjangoJSONEncoder, headers=headers)


# --- request bodies ---------------------------------------------------------------------


class MalformedJson(ValueError):
    def __init__(self, details: dict[str, Any]):
        super().__init__("malformed JSON body")
        self.details = details


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class JsonBodyParser(Parser):
    """Strict JSON: NaN and Infinity are refused like any other syntax error."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return json.loads(request.body, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise MalformedJson({"line": exc.lineno, "column": exc.colno}) from exc
        except ValueError as exc:  # undecodable bytes, NaN / Infinity
            raise MalformedJson({"reason": str(exc)}) from exc


# --- handlers ---------------------------------------------------------------------------


def _on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return error_response(exc.status, exc.code, exc.message, exc.details, headers=headers)


def _field_of(loc: tuple[Any, ...]) -> str:
    """``("body", "payload", "skus", 0, "price_fen")`` -> ``"skus.0.price_fen"``.

    Body schemas are always the handler argument ``payload``; that name says
    nothing to a client, so it is dropped.
    """
    parts = [str(p) for p in loc[1:]]
    if loc and loc[0] == "body" and parts[:1] == ["payload"]:
        parts = parts[1:]
    return ".".join(parts) or str(loc[0] if loc else "")


def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {
            "field": _field_of(tuple(err.get("loc", ()))),
            "source": str(err["loc"][0]) if err.get("loc") else "",
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors
    ]
    return error_response(422, "invalid", _("请求参数有误，请检查后重试。"), details)


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals: an unreadable body, or no credentials at all."""
    cause = exc.__cause__
    if isinstance(cause, MalformedJson):
        return error_response(400, "malformed_json", _("请求体不是有效的 JSON。"), cause.details)
    if isinstance(cause, RequestDataTooBig):
        return _on_suspicious(request, cause)
    if exc.status_code == 401:
        return error_response(401, "not_authenticated", _("请先登录或提供有效的 API 令牌。"))
    return error_response(exc.status_code, "http_error", str(exc))


def _on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "not_found", _("没有找到。"))


def _on_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # A uniqueness race the service's own check could not see (two requests at once).
    logger.warning("integrity error on %s %s: %s", request.method, request.path, exc)
    return error_response(409, "conflict", _("数据已被修改，请刷新后重试。"))


def _on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, "payload_too_large", _("请求体过大。"))
    return error_response(400, "bad_request", _("无法处理这个请求。"))


def _on_unparsable_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A form body that cannot be read: multipart without a (valid) boundary, a broken part.
    return error_response(400, "malformed_body", _("请求体格式有误，无法解析。"))


def _on_unhandled(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", _("服务器出错了，请稍后再试。"))


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default handlers: every exception becomes the one shape."""
    api.add_exception_handler(DomainError, _on_domain_error)
    api.add_exception_handler(ValidationError, _on_validation_error)
    api.add_exception_handler(HttpError, _on_http_error)
    api.add_exception_handler(Http404, _on_not_found)
    api.add_exception_handler(ObjectDoesNotExist, _on_not_found)
    api.add_exception_handler(IntegrityError, _on_integrity_error)
    api.add_exception_handler(SuspiciousOperation, _on_suspicious)
    api.add_exception_handler(MultiPartParserError, _on_unparsable_body)
    api.add_exception_handler(Exception, _on_unhandled)


# --- outside ninja's operations ----------------------------------------------------------


def route_not_found_response(request: HttpRequest) -> JsonResponse:
    return error_response(
        404, "not_found", _("没有这个接口。"), {"method": request.method, "path": request.path}
    )


@csrf_exempt
def route_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under the API prefix that no operation serves."""
    return route_not_found_response(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's ``handler400``: what Django itself refuses (an unreadable body, a suspicious
    request) answers in the error shape under the API's prefix and as a page elsewhere."""
    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            return _on_suspicious(request, exception)
        if isinstance(exception, MultiPartParserError):
            return _on_unparsable_body(request, exception)
        return error_response(400, "bad_request", _("无法处理这个请求。"))
    return defaults.bad_request(request, exception)


def shaped_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap one of ninja's URL views so the failures it answers itself use the shape.

    Ninja answers a method no operation of the path accepts with a plain-text
    405, and its root path raises ``Http404``; the handlers above never see
    either.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return route_not_found_response(request)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = sorted(m.strip() for m in response["Allow"].split(",") if m.strip())
            return error_response(
                405,
                "method_not_allowed",
                _("这个接口不支持 %(method)s 请求。") % {"method": request.method},
                {"allowed": allowed},
                headers={"Allow": ", ".join(allowed)},
            )
        return response

    return wrapper
