"""Every request carries an id, from nginx (``X-Request-ID``) through the web node into
the jobs it enqueues, and every log line names it.

nginx passes the client's ``X-Request-ID`` or makes one (deploy/nginx.conf.template); a
node serving without nginx makes its own. The id is kept in a context variable for the
request's logs, answered in the response's ``X-Request-ID``, stored on each job the request
enqueues (``Job.request_id``) and set again while the worker runs that job.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

_current = contextvars.ContextVar("request_id", default="")
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def current() -> str:
    """The id of the request (or job) this code runs for; "" outside one."""
    return _current.get()


@contextlib.contextmanager
def bound(request_id: str) -> Iterator[None]:
    token = _current.set(request_id or "")
    try:
        yield
    finally:
        _current.reset(token)


def accepted(header: str | None) -> str:
    """The id a request brought, if it is a sane one; else a new one."""
    if header and _VALID.match(header):
        return header
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        with bound(request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Gives every log record the current request's id (``-`` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id (and the error)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
