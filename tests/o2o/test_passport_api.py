"""The passport's API: stamp with a code, my passport, routes, my rewards, the tablet code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from designmall.core import clock
from tests.api.conftest import ApiClient, assert_error, token_for
from tests.factories import make_shop, make_user
from tests.promotions.conftest import make_platform_coupon

from .passport_kit import coupon, gift, make_booth, make_route, token_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(client):
    return lambda user: ApiClient(client, token_for(user))


@pytest.fixture
def anon(client):
    return ApiClient(client)


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.set_frozen(timezone.now().replace(microsecond=0))
    yield
    clock.reset()


def test_a_visitor_stamps_with_the_tablets_code_and_gets_the_routes_rewards(api_as):
    booth = make_booth()
    template = make_platform_coupon()
    route = make_route(booths=[booth], rewards=[coupon(template), gift()])
    api = api_as(make_user())
    response = api.post("/o2o/passport/stamps", {"booth": booth.code, "token": token_now(booth)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["new"] and body["stamp"]["booth"]["code"] == booth.code
    assert body["completed"] == [route.public_id]
    kinds = {r["reward"]["kind"]: r for r in body["rewards"]}
    assert kinds["coupon"]["coupon"] and kinds["gift"]["claim_code"]
    again = api.post("/o2o/passport/stamps", {"booth": booth.code, "token": token_now(booth)})
    assert again.status_code == 200 and not again.json()["new"]
    coupons = api.get("/promotions/my-coupons").json()
    assert template.public_id in str(coupons)


def test_an_expired_code_is_409_in_the_one_error_shape(api_as):
    booth = make_booth()
    token = token_now(booth)
    clock.set_frozen(clock.now() + timedelta(minutes=5))
    response = api_as(make_user()).post(
        "/o2o/passport/stamps", {"booth": booth.code, "token": token}
    )
    assert_error(response, 409, "stamp_code_expired")


def test_another_booths_code_is_409(api_as):
    booth, other = make_booth(), make_booth()
    response = api_as(make_user()).post(
        "/o2o/passport/stamps", {"booth": booth.code, "token": token_now(other)}
    )
    assert_error(response, 409, "stamp_code_wrong")


def test_stamping_needs_a_login(anon):
    booth = make_booth()
    response = anon.post("/o2o/passport/stamps", {"booth": booth.code, "token": token_now(booth)})
    assert response.status_code == 401


def test_my_passport_lists_stamps_routes_with_progress_and_rewards(api_as):
    booths = [make_booth() for _ in range(3)]
    make_route(booths=booths, needed=2, rewards=[gift()])
    api = api_as(make_user())
    api.post("/o2o/passport/stamps", {"booth": booths[0].code, "token": token_now(booths[0])})
    body = api.get("/o2o/passport").json()
    assert len(body["stamps"]) == 1
    (route,) = body["routes"]
    assert (route["have"], route["stamps_needed"], route["complete"]) == (1, 2, False)
    assert body["rewards"] == []
    api.post("/o2o/passport/stamps", {"booth": booths[1].code, "token": token_now(booths[1])})
    (reward,) = api.get("/o2o/passport/rewards").json()
    assert reward["status"] == "granted" and reward["reward"]["name_en"] == "Design week tote"


def test_routes_are_public(anon):
    make_route(booths=[make_booth()], rewards=[gift()])
    (route,) = anon.get("/o2o/passport/routes").json()
    assert route["name_en"] == "Glass trail" and route["rewards"][0]["kind"] == "gift"


def test_a_booths_staff_read_the_tablet_code_of_their_own_booth_only(api_as):
    shop = make_shop()
    booth = make_booth(shop=shop)
    path = f"/seller/booths/{booth.public_id}/stamp-code"
    assert api_as(make_user()).get(path).status_code == 404
    body = api_as(shop.owner).get(path).json()
    assert body["token"] == token_now(booth) and body["url"].endswith(f"{body['token']}/")
