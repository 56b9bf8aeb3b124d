"""Abuse limits through the API: rate limits per user and per address (429 in the error
shape with Retry-After), and signing in for a token with growing waits and known
devices."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from designmall.core import clock
from tests.api.conftest import ABSENT_ID, ApiClient, assert_error
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "walnut-lounge-chair-42"
ABSENT_SESSION = "s_0000000000000000"
ABSENT_LOT = "l_0000000000000000"

# What each limited operation is sent (refused for its own reasons: the limit is counted
# before the operation runs, so the second call shows it).
LIMITED = {
    "checkout": ("/checkout", {"delivery": "pickup"}),
    "reservation": (f"/events/sessions/{ABSENT_SESSION}/reservations", {"seats": 1}),
    "bid": (f"/auctions/lots/{ABSENT_LOT}/bids", {"max_fen": 10_000}),
}


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(datetime(2026, 11, 20, 10, 0, 30, tzinfo=UTC))


def assert_rate_limited(response, *, retry_after: int):
    error = assert_error(response, 429, "rate_limited")
    assert response["Retry-After"] == str(retry_after)
    assert error["details"]["retry_after"] == retry_after
    return error


@pytest.mark.parametrize("scope", sorted(LIMITED))
def test_one_user_beyond_the_limit_is_429_with_retry_after(api_as, buyer, settings, scope):
    settings.RATE_LIMITS = {scope: {"user": "2/60"}}
    path, body = LIMITED[scope]
    phone, laptop = api_as(buyer), api_as(buyer)  # two devices, one user
    assert phone.post(path, body).status_code != 429
    assert laptop.post(path, body).status_code != 429

    error = assert_rate_limited(phone.post(path, body), retry_after=30)

    assert error["details"]["scope"] == scope
    assert api_as(make_user()).post(path, body).status_code != 429  # another user


@pytest.mark.parametrize("scope", sorted(LIMITED))
def test_one_address_beyond_the_limit_is_429_for_every_user_on_it(api_as, settings, scope):
    settings.RATE_LIMITS = {scope: {"address": "2/60"}}
    path, body = LIMITED[scope]
    for _ in range(2):
        assert api_as(make_user()).post(path, body).status_code != 429

    assert_rate_limited(api_as(make_user()).post(path, body), retry_after=30)

    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    _token = api_as(make_user()).headers
    response = elsewhere.post(
        "/api/v1" + path, body, content_type="application/json", headers=_token
    )
    assert response.status_code != 429


def test_the_limit_ends_with_its_window(api_as, buyer, settings):
    settings.RATE_LIMITS = {"checkout": {"user": "1/60"}}
    me = api_as(buyer)
    me.post("/checkout", {"delivery": "pickup"})
    assert me.post("/checkout", {"delivery": "pickup"}).status_code == 429

    clock.advance(timedelta(seconds=30))

    assert_error(me.post("/checkout", {"delivery": "pickup"}), 422, "cart_empty")


def test_reading_is_not_limited(api_as, buyer, settings):
    settings.RATE_LIMITS = {"checkout": {"user": "1/60"}}
    me = api_as(buyer)
    for _ in range(3):
        assert me.get(f"/checkouts/{ABSENT_ID}").status_code == 404


def test_limits_can_be_switched_off(api_as, buyer, settings):
    settings.RATE_LIMITS = {"checkout": {"user": "1/60"}}
    settings.RATE_LIMITS_ENABLED = False
    me = api_as(buyer)
    for _ in range(3):
        assert_error(me.post("/checkout", {"delivery": "pickup"}), 422, "cart_empty")


def test_registrations_from_one_address_are_rate_limited(anon, settings):
    settings.RATE_LIMITS = {"register": {"address": "2/3600"}}
    for n in range(2):
        body = {"identifier": f"r{n}@example.com", "password": GOOD_PASSWORD}
        assert anon.post("/auth/register", body).status_code == 201

    body = {"identifier": "r9@example.com", "password": GOOD_PASSWORD}
    assert_rate_limited(anon.post("/auth/register", body), retry_after=3570)


def test_token_requests_from_one_address_are_rate_limited(anon, buyer, settings):
    settings.RATE_LIMITS = {"login": {"address": "2/60"}}
    body = {"identifier": buyer.email, "password": PASSWORD, "name": "phone"}
    for _ in range(2):
        assert anon.post("/auth/tokens", body).status_code == 201

    assert_rate_limited(anon.post("/auth/tokens", body), retry_after=30)


def test_the_openapi_document_lists_429_for_each_limited_operation(anon):
    paths = anon.get("/openapi.json").json()["paths"]
    for path, method in [
        ("/api/v1/checkout", "post"),
        ("/api/v1/events/sessions/{public_id}/reservations", "post"),
        ("/api/v1/auctions/lots/{public_id}/bids", "post"),
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/tokens", "post"),
    ]:
        assert "429" in paths[path][method]["responses"], path


# --- signing in for a token -----------------------------------------------------------------


def token_request(client: ApiClient, user, password=PASSWORD, device_token=None):
    body = {"identifier": user.email, "password": password, "name": "phone"}
    if device_token:
        body["device_token"] = device_token
    return client.post("/auth/tokens", body)


def test_failed_token_requests_make_the_next_one_wait_with_retry_after(anon, buyer, settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 3
    for _ in range(3):
        assert_error(token_request(anon, buyer, "wrong"), 401, "invalid_credentials")

    response = token_request(anon, buyer)

    error = assert_error(response, 429, "login_throttled")
    assert response["Retry-After"] == "1" and error["details"]["retry_after"] == 1
    clock.advance(timedelta(seconds=1))
    assert token_request(anon, buyer).status_code == 201


def test_a_device_that_got_a_token_before_is_not_slowed_by_others(anon, buyer, settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 3
    device_token = token_request(anon, buyer).json()["device_token"]
    for _ in range(3):  # someone at the same address guesses
        token_request(anon, buyer, "wrong")
    assert token_request(anon, buyer).status_code == 429

    response = token_request(anon, buyer, device_token=device_token)

    assert response.status_code == 201
    assert response.json()["device_token"]


def test_another_accounts_device_token_does_not_help(anon, buyer, settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 3
    other = make_user()
    foreign = token_request(anon, other).json()["device_token"]
    for _ in range(3):
        token_request(anon, buyer, "wrong")

    assert_error(token_request(anon, buyer, device_token=foreign), 429, "login_throttled")
