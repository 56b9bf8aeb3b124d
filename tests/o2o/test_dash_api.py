"""The dashboards' data in the API: operators only for the whole show, a seller its own shop;
errors in the one shape."""

from __future__ import annotations

import pytest
from django.test import Client

from designmall.accounts.roles import Role
from tests.factories import make_user
from tests.o2o.dash_world import WEEK_START, World, build_world
from tests.orders.conftest import _orders_settings  # noqa: F401  (fixture)
from tests.payments.conftest import (  # noqa: F401  (fixtures: the sandbox's keys and settings)
    _payments_settings,
    keys,
    sandbox_key_dir,
    worker_transport,
)

pytestmark = pytest.mark.django_db

OPERATOR_URL = "/api/v1/operator/show/dashboard"
SELLER_URL = "/api/v1/seller/show/dashboard"


@pytest.fixture(autouse=True)
def _week(settings):
    settings.DESIGN_WEEK_START = WEEK_START.isoformat()
    settings.DESIGN_WEEK_DAYS = 10
    settings.EVENT_DOORS_OPEN_MINUTES = 60


@pytest.fixture
def world() -> World:
    return build_world()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_operators_get_the_whole_shows_figures(world):
    body = _client(make_user(role=Role.OPERATOR)).get(OPERATOR_URL).json()
    assert (body["start"], body["end"], body["shop"]) == ("2026-11-20", "2026-11-29", None)
    assert len(body["sales"]) == 10
    paid = world.paid
    assert sum(
        d[s]["gross_fen"] for d in body["sales"] for s in ("offline", "online", "pending")
    ) == sum(o.total_fen for o in paid)
    assert sum(d["net_fen"] for d in body["sales"]) == sum(
        o.total_fen - o.refunded_fen for o in paid
    )
    booths = {b["public_id"]: b for b in body["booths"]}
    assert booths[world.booth_a.public_id]["conversion_percent"] == 50.0
    assert {v["name_zh"]: v["checked_in"] for v in body["checkins"]} == {"东馆": 2, "西馆": 1}
    assert body["top_exhibits"][0]["public_id"] == world.exhibit_a.public_id
    assert body["attribution_pending"] == 1


def test_a_range_narrows_the_figures(world):
    client = _client(make_user(role=Role.OPERATOR))
    body = client.get(OPERATOR_URL, {"start": "2026-11-21", "end": "2026-11-21"}).json()
    assert [d["day"] for d in body["sales"]] == ["2026-11-21"]
    assert body["sales"][0]["offline"]["gross_fen"] == world.offline_b.total_fen


def test_a_bad_range_is_an_error_in_the_one_shape(world):
    client = _client(make_user(role=Role.OPERATOR))
    response = client.get(OPERATOR_URL, {"start": "2026-11-25", "end": "2026-11-21"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_range"
    response = client.get(OPERATOR_URL, {"start": "not a date"})
    assert response.status_code == 422 and "error" in response.json()


def test_non_operators_are_refused(world):
    assert Client().get(OPERATOR_URL).status_code == 401
    for user in (make_user(), world.shop_a.owner):
        response = _client(user).get(OPERATOR_URL)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "role_required"


def test_a_seller_gets_its_own_shop_only(world):
    body = _client(world.shop_b.owner).get(SELLER_URL).json()
    assert body["shop"]["public_id"] == world.shop_b.public_id
    assert [b["public_id"] for b in body["booths"]] == [world.booth_b.public_id]
    assert {b["shop"]["public_id"] for b in body["booths"]} == {world.shop_b.public_id}
    assert [v["name_zh"] for v in body["checkins"]] == ["西馆"]
    gross = sum(d[s]["gross_fen"] for d in body["sales"] for s in ("offline", "online", "pending"))
    assert gross == world.offline_b.total_fen + world.pending_b.total_fen
    assert sum(d["offline"]["refunds_fen"] for d in body["sales"]) == 2_000
    assert body["top_exhibits"] == []


def test_someone_without_a_shop_gets_not_found(world):
    response = _client(make_user()).get(SELLER_URL)
    assert response.status_code == 404 and response.json()["error"]["code"] == "shop_not_found"
