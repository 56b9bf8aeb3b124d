"""Registration, API tokens, the caller's profile, and the two ways to authenticate."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from designmall.accounts.models import ApiToken
from designmall.core import clock
from tests.api.conftest import ApiClient, assert_error, invalid_fields
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "walnut-lounge-chair-42"
TOKEN_FIELDS = {
    "public_id",
    "name",
    "prefix",
    "created_at",
    "last_used_at",
    "revoked_at",
    "is_active",
}


def login(anon: ApiClient, user, name: str = "phone"):
    return anon.post("/auth/tokens", {"identifier": user.email, "password": PASSWORD, "name": name})


# --- POST /auth/register ------------------------------------------------------------------


def test_registering_creates_a_buyer_and_returns_the_profile(anon):
    response = anon.post(
        "/auth/register",
        {"identifier": "Ming@Example.com", "password": GOOD_PASSWORD, "display_name": "小明"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ming@example.com"
    assert body["display_name"] == "小明"
    assert body["roles"] == ["buyer"]
    assert body["public_id"].startswith("u_")
    assert "password" not in body


def test_registering_twice_is_409(anon, buyer):
    response = anon.post("/auth/register", {"identifier": buyer.email, "password": GOOD_PASSWORD})
    assert_error(response, 409, "account_exists")


def test_registering_with_a_weak_password_is_refused_with_the_reasons(anon):
    response = anon.post("/auth/register", {"identifier": "a@example.com", "password": "12345678"})
    error = assert_error(response, 422, "weak_password")
    assert error["details"]


def test_registering_with_neither_email_nor_mobile_is_refused(anon):
    response = anon.post("/auth/register", {"identifier": "nobody", "password": GOOD_PASSWORD})
    assert_error(response, 422, "invalid_identifier")


def test_registering_refuses_an_overlong_display_name(anon):
    body = {"identifier": "a@example.com", "password": GOOD_PASSWORD, "display_name": "名" * 61}
    assert invalid_fields(anon.post("/auth/register", body)) == {"display_name"}


def test_registering_refuses_a_password_sent_as_a_number(anon):
    body = {"identifier": "a@example.com", "password": 12345678901}
    assert invalid_fields(anon.post("/auth/register", body)) == {"password"}


def test_registering_refuses_unknown_fields(anon):
    body = {"identifier": "a@example.com", "password": GOOD_PASSWORD, "is_staff": True}
    assert invalid_fields(anon.post("/auth/register", body)) == {"is_staff"}


# --- POST /auth/tokens --------------------------------------------------------------------


def test_token_is_returned_once_and_authenticates(anon, buyer):
    response = login(anon, buyer)
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("dm_")
    assert body["name"] == "phone"
    assert body["is_active"] is True
    me = ApiClient(Client(), body["token"]).get("/me")
    assert me.status_code == 200
    assert me.json()["public_id"] == buyer.public_id


def test_token_with_wrong_password_is_401(anon, buyer):
    response = anon.post(
        "/auth/tokens", {"identifier": buyer.email, "password": "wrong-one", "name": "x"}
    )
    assert_error(response, 401, "invalid_credentials")


def test_repeated_failed_logins_are_throttled_even_with_the_right_password(anon, buyer, settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 3
    clock.set_frozen(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))  # the wait is 1 s
    for _ in range(3):
        anon.post("/auth/tokens", {"identifier": buyer.email, "password": "wrong", "name": "x"})
    assert_error(login(anon, buyer), 429, "login_throttled")


def test_token_needs_a_name_within_60_characters(anon, buyer):
    body = {"identifier": buyer.email, "password": PASSWORD, "name": "n" * 61}
    assert invalid_fields(anon.post("/auth/tokens", body)) == {"name"}
    body["name"] = ""
    assert invalid_fields(anon.post("/auth/tokens", body)) == {"name"}


# --- GET /auth/tokens ---------------------------------------------------------------------


def test_token_list_shows_mine_without_secrets(anon, api_as, buyer):
    raw = login(anon, buyer, name="tablet").json()["token"]
    login(anon, make_user(), name="someone else's")
    response = api_as(buyer).get("/auth/tokens")
    assert response.status_code == 200
    body = response.json()
    assert sorted(t["name"] for t in body["items"]) == ["tablet", "tests"]
    assert body["total"] == 2
    assert raw.encode() not in response.content
    assert all(set(t) == TOKEN_FIELDS for t in body["items"])


def test_token_list_needs_authentication(anon):
    assert_error(anon.get("/auth/tokens"), 401, "not_authenticated")


# --- DELETE /auth/tokens/{public_id} ------------------------------------------------------


def test_revoked_token_no_longer_authenticates(anon, buyer):
    created = login(anon, buyer).json()
    own = ApiClient(Client(), created["token"])
    assert own.delete(f"/auth/tokens/{created['public_id']}").status_code == 204
    assert ApiToken.objects.get(public_id=created["public_id"]).revoked_at is not None
    assert_error(own.get("/me"), 401, "not_authenticated")


def test_revoking_someone_elses_token_is_404(anon, api_as, buyer):
    theirs = login(anon, make_user()).json()
    response = api_as(buyer).delete(f"/auth/tokens/{theirs['public_id']}")
    assert_error(response, 404, "token_not_found")
    assert ApiToken.objects.get(public_id=theirs["public_id"]).revoked_at is None


def test_revoking_an_unknown_token_is_404(api_as, buyer):
    assert_error(api_as(buyer).delete("/auth/tokens/tok_0000000000000000"), 404, "token_not_found")


# --- GET /me ------------------------------------------------------------------------------


def test_me_shows_profile_and_roles(api_as, seller):
    body = api_as(seller).get("/me").json()
    assert body["email"] == seller.email
    assert body["roles"] == ["seller"]


def test_me_without_credentials_is_401(anon):
    assert_error(anon.get("/me"), 401, "not_authenticated")


@pytest.mark.parametrize("header", ["Bearer dm_not-a-real-token", "Bearer ", "Bearer x" * 100])
def test_me_with_a_bad_token_is_401(client, header):
    assert_error(
        client.get("/api/v1/me", headers={"Authorization": header}), 401, "not_authenticated"
    )


def test_me_with_a_deactivated_users_token_is_401(api_as, buyer):
    own = api_as(buyer)
    buyer.is_active = False
    buyer.save(update_fields=["is_active"])
    assert_error(own.get("/me"), 401, "not_authenticated")


# --- the browser session ---------------------------------------------------------------------


def test_session_of_a_logged_in_browser_authenticates(client, buyer):
    client.force_login(buyer)
    assert client.get("/api/v1/me").json()["public_id"] == buyer.public_id


def test_session_change_without_csrf_token_is_403(buyer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(buyer)
    response = browser.post("/api/v1/seller/shop", '{"name_zh": "木作"}', "application/json")
    assert_error(response, 403, "csrf_failed")


def test_session_change_with_csrf_token_passes(buyer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(buyer)
    token = "k" * 32  # what the csrftoken cookie holds, echoed by the page's JS
    browser.cookies["csrftoken"] = token
    response = browser.post(
        "/api/v1/seller/shop",
        '{"name_zh": "木作工坊"}',
        "application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201, response.content


def test_token_change_needs_no_csrf_token(buyer):
    raw = login(ApiClient(Client()), buyer).json()["token"]
    token_client = ApiClient(Client(enforce_csrf_checks=True), raw)
    assert token_client.post("/seller/shop", {"name_zh": "木作工坊"}).status_code == 201


def test_anonymous_change_is_401_not_a_csrf_failure():
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/seller/shop", '{"name_zh": "木作"}', "application/json"
    )
    assert_error(response, 401, "not_authenticated")


def test_bad_token_does_not_fall_back_to_the_session(client, buyer):
    client.force_login(buyer)
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer dm_revoked"})
    assert_error(response, 401, "not_authenticated")


# --- what a bearer-token call does not pay for ---------------------------------------------


def test_a_token_call_neither_reads_nor_sets_the_session_and_gets_no_page_headers(client, buyer):
    raw = login(ApiClient(Client()), buyer).json()["token"]
    client.force_login(buyer)  # a session cookie rides along, and is not consulted

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})

    assert response.json()["public_id"] == buyer.public_id
    assert not response.cookies  # no session saved, no CSRF cookie, no messages
    assert "Content-Security-Policy" not in response  # JSON for a program, not a page


def test_a_session_call_to_the_api_keeps_the_page_middleware(client, buyer):
    client.force_login(buyer)

    response = client.get("/api/v1/me")

    assert response.json()["public_id"] == buyer.public_id
    assert "Content-Security-Policy" in response
