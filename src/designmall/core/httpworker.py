"""gunicorn's threaded worker, answering what it refuses itself in the API's error shape.

gunicorn reads the request line and headers before any Django code runs, and refuses a
request line over ``--limit-request-line`` (4 KiB: 414), a header field over
``--limit-request-field_size`` (8 KiB) or more than ``--limit-request-fields`` of them
(431), and whatever is not HTTP (400) with an HTML page of its own. A client of the API
then gets HTML where every other failure is ``{"error": {"code", "message", "details"}}``.

The refusal is written by ``gunicorn.util.write_error(sock, status, reason, message)``,
the one function every worker calls for it (``Worker.handle_error``); this worker puts
``write_error`` below in its place when it starts, so the answer is JSON in the shape,
still with ``Connection: close`` (the connection cannot be read further). The request
was not read, so its path is unknown: pages get the same JSON, which a browser shows
as text; no page ever asks for a 4 KiB address.
"""

from __future__ import annotations

import json

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

CODES = {
    400: "bad_request",
    403: "forbidden",
    414: "request_line_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
}

# Written before Django may know the language: both, Chinese first (the site's default).
MESSAGES = {
    400: "请求格式有误，无法处理。 / The request is malformed.",
    414: "请求地址过长。 / The request line is too long.",
    431: "请求头过大。 / The request headers are too large.",
    500: "服务器出错了，请稍后再试。 / Something went wrong on our side; please try again later.",
}


def error_body(status: int, reason: str, message: str) -> bytes:
    body = {
        "error": {
            "code": CODES.get(status, "http_error"),
            "message": MESSAGES.get(status, MESSAGES[400] if status < 500 else MESSAGES[500]),
            "details": {"status": status, "reason": reason, "detail": message or None},
        }
    }
    return json.dumps(body, ensure_ascii=False).encode()


def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """``gunicorn.util.write_error`` in the API's error shape."""
    body = error_body(status_int, reason, mesg)
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


class ShapedErrorsThreadWorker(ThreadWorker):
    """gunicorn's ``gthread`` worker whose own refusals use the API's error shape."""

    def init_process(self):
        util.write_error = write_error
        super().init_process()
