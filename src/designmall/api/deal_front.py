"""``POST /api/v1/deals/<id>/buy`` answered 409 ``deal_sold_out`` before Django runs.

In a flash deal's rush nearly every buyer comes after the last unit (20,000 buyers for
500 units: 97.5%). Through Django each of them costs a token lookup and an idempotency
lookup in the database and a few milliseconds of Python for a refusal that Redis alone
decides. This WSGI layer sits in front of the site (``designmall.wsgi``, outside the
``core.gate`` queue, so a refusal never waits behind admissions) and answers such a
request itself with one Redis round trip (``deal_admission.sold_out_for``), in the API's
error shape and the request's language, the same body Django would give.

It answers only when all of these hold, and hands everything else to Django:

- Redis runs the deals (``DEAL_REDIS_URL``) and answers (an error: Django decides);
- the request is a ``POST`` to that path carrying ``Authorization: Bearer ...`` (a
  browser's session, or no credentials at all, go to Django: 401, CSRF);
- the deal is loaded in Redis, running (started, not ended, not cancelled) and has no unit
  free;
- this caller was never admitted to this deal: a caller's reference (a hash of its
  token, ``caller_ref``) is remembered with its admission, so a retry of a buy that won
  (same ``Idempotency-Key``) reaches Django and gets its order again.

The token itself is not checked here: a sold-out answer tells an unknown token nothing
that ``GET /deals/<id>/state`` does not tell anyone. Nor is the body read for its
meaning (an invalid one would get 422 from Django; while sold out it gets the sold-out
answer). Refusals answered here are not counted by the rate limit (``deal_buy``): one
costs less than counting it would.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http.cookie import parse_cookie
from django.utils import translation
from django.utils.translation import gettext as _

from designmall.core import clock
from designmall.promotions import deal_admission

_BUY = re.compile(r"^/api/v1/deals/([a-z]{1,4}_[0-9a-z]{16})/buy$")
_BODY_BYTES = 64 * 1024


def caller_ref(authorization: str) -> str:
    """The reference of a request's credentials kept with its admission: a hash of its
    bearer token (empty without one)."""
    scheme, _sep, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return ""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class _Request:
    """What ``translation.get_language_from_request`` reads of a request."""

    def __init__(self, environ: dict) -> None:
        self.META = environ
        self.COOKIES = parse_cookie(environ.get("HTTP_COOKIE", ""))
        self.path_info = environ.get("PATH_INFO", "")


def _language(environ: dict) -> str:
    """The language ``core.middleware.LanguageMiddleware`` would choose for an API call."""
    request = _Request(environ)
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in {code for code, _name in settings.LANGUAGES}:
        return chosen
    return translation.get_language_from_request(request, check_path=False)


_messages: dict[str, str] = {}


def _sold_out_message(language: str) -> str:
    message = _messages.get(language)
    if message is None:
        with translation.override(language):
            message = _messages[language] = str(_("已抢光。"))
    return message


def sold_out_body(deal_id: str, language: str) -> bytes:
    """The body of the API's ``deal_sold_out`` refusal (``deals._refusal``)."""
    body = {
        "error": {
            "code": "deal_sold_out",
            "message": _sold_out_message(language),
            "details": {"deal": deal_id, "units_left": 0},
        }
    }
    return json.dumps(body, cls=DjangoJSONEncoder).encode()


class DealSoldOutFront:
    """WSGI middleware: sold-out buys of a flash deal answered from Redis (see above)."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            found = _BUY.match(environ.get("PATH_INFO", ""))
            if found is not None:
                answer = self._sold_out(found.group(1), environ, start_response)
                if answer is not None:
                    return answer
        return self.app(environ, start_response)

    def _sold_out(
        self, deal_id: str, environ: dict, start_response: Callable
    ) -> list[bytes] | None:
        caller = caller_ref(environ.get("HTTP_AUTHORIZATION", ""))
        if not caller or not deal_admission.enabled():
            return None
        now_ms = int(clock.now().timestamp() * 1000)
        try:
            if not deal_admission.store().sold_out_for(deal_id, caller=caller, now_ms=now_ms):
                return None
        except deal_admission.AdmissionUnavailable:
            return None
        _drain(environ)
        language = _language(environ)
        body = sold_out_body(deal_id, language)
        start_response(
            "409 Conflict",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Content-Language", language),
                ("Vary", "Cookie, Accept-Language"),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "same-origin"),
                ("Cross-Origin-Opener-Policy", "same-origin"),
                ("X-Frame-Options", "DENY"),
            ],
        )
        return [body]


def _drain(environ: dict[str, Any]) -> None:
    """Read the request's (small) body, so the connection can carry the next request."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if 0 < length <= _BODY_BYTES:
        environ["wsgi.input"].read(length)
