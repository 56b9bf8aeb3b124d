"""Account recovery through the API: password reset, password and email change, log out
everywhere, with every error in the one shape."""

import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.test import Client
from django.urls import resolve

from designmall.accounts.models import User
from designmall.core.jobs import run_due_jobs
from tests.api.conftest import ApiClient, assert_error, token_for
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "walnut-lounge-chair-42"


def mailed_link_kwargs() -> dict[str, str]:
    run_due_jobs()
    links = [re.search(r"https?://\S+", m.body) for m in mail.outbox]
    link = [found.group(0) for found in links if found][-1]
    return resolve(urlparse(link).path).kwargs


def reset_link(anon: ApiClient, email: str) -> dict[str, str]:
    assert anon.post("/auth/password-reset", {"email": email}).status_code == 202
    return mailed_link_kwargs()


# --- POST /auth/password-reset ------------------------------------------------------------


def test_a_known_and_an_unknown_address_get_the_same_answer(anon, buyer):
    known = anon.post("/auth/password-reset", {"email": buyer.email})
    unknown = anon.post("/auth/password-reset", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    run_due_jobs()
    assert [m.to for m in mail.outbox] == [[buyer.email]]


def test_the_reset_email_follows_accept_language(client, buyer):
    ApiClient(client).client.post(
        "/api/v1/auth/password-reset",
        data={"email": buyer.email},
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    run_due_jobs()
    assert mail.outbox[0].subject == "Reset your Design Mall password"


def test_a_malformed_address_is_422(anon):
    assert_error(anon.post("/auth/password-reset", {"email": "nope"}), 422, "invalid_email")


def test_a_reset_request_without_an_email_is_422(anon):
    assert_error(anon.post("/auth/password-reset", {}), 422, "invalid")


# --- POST /auth/password-reset/confirm ----------------------------------------------------


def test_a_reset_works_once_and_not_twice(anon, buyer):
    link = reset_link(anon, buyer.email)
    body = {"uid": link["uid"], "token": link["token"], "new_password": NEW_PASSWORD}
    assert anon.post("/auth/password-reset/confirm", body).status_code == 204
    login = {"identifier": buyer.email, "password": NEW_PASSWORD, "name": "phone"}
    assert anon.post("/auth/tokens", login).status_code == 201
    again = anon.post("/auth/password-reset/confirm", {**body, "new_password": "other-pass-77"})
    assert_error(again, 422, "reset_link_invalid")


def test_an_expired_reset_link_is_422(anon, buyer, settings):
    from datetime import timedelta

    from designmall.core import clock

    link = reset_link(anon, buyer.email)
    clock.advance(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))
    response = anon.post(
        "/auth/password-reset/confirm",
        {"uid": link["uid"], "token": link["token"], "new_password": NEW_PASSWORD},
    )
    assert_error(response, 422, "reset_link_invalid")


def test_a_weak_new_password_is_422_with_the_reasons(anon, buyer):
    link = reset_link(anon, buyer.email)
    response = anon.post(
        "/auth/password-reset/confirm",
        {"uid": link["uid"], "token": link["token"], "new_password": "12345678"},
    )
    assert assert_error(response, 422, "weak_password")["details"]


def test_a_reset_revokes_the_tokens_the_account_had(anon, buyer):
    old = ApiClient(Client(), token_for(buyer))
    link = reset_link(anon, buyer.email)
    anon.post(
        "/auth/password-reset/confirm",
        {"uid": link["uid"], "token": link["token"], "new_password": NEW_PASSWORD},
    )
    assert_error(old.get("/me"), 401, "not_authenticated")


# --- POST /auth/logout-everywhere ---------------------------------------------------------


def test_logging_out_everywhere_revokes_every_token_and_ends_every_session(buyer):
    caller = ApiClient(Client(), token_for(buyer))
    other_token = ApiClient(Client(), token_for(buyer))
    browser = Client()
    browser.force_login(buyer)
    assert browser.get("/api/v1/me").status_code == 200
    assert caller.post("/auth/logout-everywhere").status_code == 204
    assert_error(caller.get("/me"), 401, "not_authenticated")
    assert_error(other_token.get("/me"), 401, "not_authenticated")
    assert_error(ApiClient(browser).get("/me"), 401, "not_authenticated")


def test_logging_out_everywhere_leaves_other_users_alone(buyer):
    someone = make_user()
    theirs = ApiClient(Client(), token_for(someone))
    ApiClient(Client(), token_for(buyer)).post("/auth/logout-everywhere")
    assert theirs.get("/me").status_code == 200


def test_logging_out_everywhere_needs_a_caller(anon):
    assert_error(anon.post("/auth/logout-everywhere"), 401, "not_authenticated")


def test_a_browser_session_needs_the_csrf_token_to_log_out_everywhere(buyer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(buyer)
    assert_error(ApiClient(browser).post("/auth/logout-everywhere"), 403, "csrf_failed")


# --- POST /me/password --------------------------------------------------------------------


def test_a_password_change_revokes_tokens_and_the_new_password_logs_in(anon, buyer):
    api = ApiClient(Client(), token_for(buyer))
    response = api.post("/me/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 204
    assert_error(api.get("/me"), 401, "not_authenticated")
    login = {"identifier": buyer.email, "password": NEW_PASSWORD, "name": "phone"}
    assert anon.post("/auth/tokens", login).status_code == 201


def test_a_password_change_keeps_the_calling_browser_logged_in(buyer):
    browser = Client()
    browser.force_login(buyer)
    other = Client()
    other.force_login(buyer)
    api = ApiClient(browser)
    body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert api.post("/me/password", body).status_code == 204
    assert api.get("/me").status_code == 200
    assert_error(ApiClient(other).get("/me"), 401, "not_authenticated")


def test_a_password_change_with_the_wrong_current_password_is_422(buyer):
    api = ApiClient(Client(), token_for(buyer))
    response = api.post("/me/password", {"old_password": "guess", "new_password": NEW_PASSWORD})
    assert_error(response, 422, "wrong_password")


# --- POST /me/email and /auth/email-change/confirm ----------------------------------------


def test_an_email_change_happens_only_on_confirmation_and_once(anon, buyer):
    api = ApiClient(Client(), token_for(buyer))
    old_email = buyer.email
    response = api.post("/me/email", {"new_email": "new@example.com", "password": PASSWORD})
    assert response.status_code == 202
    assert response.json()["new_email"] == "new@example.com"
    assert api.get("/me").json()["email"] == old_email
    token = mailed_link_kwargs()["token"]
    assert {tuple(m.to) for m in mail.outbox} == {("new@example.com",), (old_email,)}
    confirmed = anon.post("/auth/email-change/confirm", {"token": token})
    assert confirmed.status_code == 200
    assert confirmed.json()["email"] == "new@example.com"
    again = anon.post("/auth/email-change/confirm", {"token": token})
    assert_error(again, 422, "email_change_link_invalid")


def test_an_email_change_to_a_taken_address_is_409(buyer):
    make_user(email="taken@example.com")
    api = ApiClient(Client(), token_for(buyer))
    response = api.post("/me/email", {"new_email": "taken@example.com", "password": PASSWORD})
    assert_error(response, 409, "email_taken")


def test_an_email_change_needs_the_password(buyer):
    api = ApiClient(Client(), token_for(buyer))
    response = api.post("/me/email", {"new_email": "new@example.com", "password": "guess"})
    assert_error(response, 422, "wrong_password")


def test_a_forged_email_change_token_is_422(anon):
    response = anon.post("/auth/email-change/confirm", {"token": "forged:token:value"})
    assert_error(response, 422, "email_change_link_invalid")
    assert User.objects.count() == 0
