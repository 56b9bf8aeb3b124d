"""The sold-out answer given before Django (``api.deal_front``): once a running deal has no
unit free, a buy with a bearer token is refused from Redis alone, with the very body
Django gives, in the request's language, without a database statement; everything else
(units left, a winner's retry, no token, a deal not running) goes on to Django. And the
buy endpoint's rate limit."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from designmall.api.deal_front import DealSoldOutFront
from designmall.core import clock
from designmall.promotions import deal_admission
from designmall.promotions.deals import _load
from tests.api.conftest import token_for
from tests.factories import make_user

from .conftest import schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_path(path):
    if path != "redis":
        pytest.skip("the front layer answers only when Redis runs the deals")
    return deal_admission.store()


@pytest.fixture
def django_app():
    """Django's WSGI application, its connection kept for the test's transaction (as
    Django's test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def front(django_app):
    return DealSoldOutFront(django_app)


def post(app, deal, *, token=None, key=None, language=None, body=None):
    """POST the deal's buy through ``app``: (status, headers, decoded body)."""
    raw = json.dumps(body or {"delivery": "pickup"}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": f"/api/v1/deals/{deal.public_id}/buy",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(raw)),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(raw),
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if key:
        environ["HTTP_IDEMPOTENCY_KEY"] = key
    if language:
        environ["HTTP_ACCEPT_LANGUAGE"] = language
    answered: list = []
    chunks = app(environ, lambda status, headers, *exc: answered.append((status, headers)))
    data = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    status, headers = answered[0]
    return int(status.split()[0]), dict(headers), json.loads(data)


def test_a_sold_out_buy_is_answered_before_django_as_django_would(
    store, redis_path, front, django_app, buyer
):
    deal = schedule(store.lamp, quantity=1)
    _load(deal)
    assert post(front, deal, token=token_for(buyer), key="won")[0] == 202
    for language in ("zh-hans", "en"):
        late = token_for(make_user())
        status, headers, body = post(django_app, deal, token=late, key="k1", language=language)
        token = token_for(make_user())
        with CaptureQueriesContext(connection) as statements:
            answer = post(front, deal, token=token, key="k2", language=language)
        assert statements.captured_queries == []
        assert answer[0] == status == 409
        assert answer[2] == body
        assert body["error"]["code"] == "deal_sold_out"
        assert answer[1]["Content-Language"] == headers["Content-Language"] == language
        assert answer[1]["Content-Type"] == headers["Content-Type"]
    assert body["error"]["message"] == "Sold out."


def test_a_winners_retry_goes_to_django_and_gets_its_ticket_again(store, redis_path, front, buyer):
    deal = schedule(store.lamp, quantity=1)
    _load(deal)
    token = token_for(buyer)
    status, _headers, first = post(front, deal, token=token, key="mine")
    assert status == 202
    status, _headers, again = post(front, deal, token=token, key="mine")
    assert (status, again["ticket"]) == (202, first["ticket"])


def test_units_left_no_token_or_a_deal_not_running_go_to_django(store, redis_path, front):
    deal = schedule(store.lamp, quantity=1)
    _load(deal)
    assert post(front, deal)[0] == 401  # no credentials: Django refuses them
    assert post(front, deal, token=token_for(make_user()))[0] == 202  # a unit was left
    assert post(front, deal)[0] == 401  # sold out, still no credentials
    upcoming = schedule(store.plate, quantity=1, price_fen=5_000, starts_in=600)
    _load(upcoming)
    status, _headers, body = post(front, upcoming, token=token_for(make_user()))
    assert (status, body["error"]["code"]) == (409, "deal_not_started")
    clock.set_frozen(clock.now() + timedelta(hours=2))
    status, _headers, body = post(front, deal, token=token_for(make_user()))
    assert (status, body["error"]["code"]) == (409, "deal_ended")


def test_buying_is_rate_limited_per_buyer(store, api_as, settings, path):
    settings.RATE_LIMITS = {"deal_buy": {"user": "2/60", "address": "0"}}
    deal = schedule(store.lamp, quantity=5, per_buyer_limit=5)
    if path == "redis":
        _load(deal)
    api = api_as(make_user())
    answers = [api.post(f"/deals/{deal.public_id}/buy", {"delivery": "pickup"}) for _ in range(3)]
    won = {"redis": 202, "database": 201}[path]  # Redis: answered at admission
    assert [a.status_code for a in answers] == [won, won, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in answers[2].headers
