"""The account recovery pages: forgot password, set a new one, account and security, email
change and log out everywhere, in both languages."""

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.test import Client
from django.urls import reverse

from designmall.accounts.services import api_token_authenticate, api_token_create
from designmall.core import clock
from designmall.core.jobs import run_due_jobs
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "walnut-lounge-chair-42"
RESET = reverse("storefront:password_reset")
ACCOUNT = reverse("storefront:account")


def mailed_path(to: str) -> str:
    run_due_jobs()
    message = [m for m in mail.outbox if m.to == [to]][-1]
    return urlparse(re.search(r"https?://\S+", message.body).group(0)).path


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- forgot password ----------------------------------------------------------------------


def test_the_login_page_links_to_forgot_password(client):
    response = client.get(reverse("storefront:login"))
    assert f'href="{RESET}"' in response.text
    assert "忘记密码？" in response.text


def test_the_login_page_in_english_says_forgot_password(english):
    assert "Forgot your password?" in english.get(reverse("storefront:login")).text


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(client):
    user = make_user()
    known = client.post(RESET, {"email": user.email})
    unknown = client.post(RESET, {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("storefront:password_reset_sent")
    assert "重设密码的链接已经发出" in client.get(known["Location"]).text
    run_due_jobs()
    assert len(mail.outbox) == 1


def test_the_reset_email_is_in_the_page_s_language(english):
    user = make_user()
    english.post(RESET, {"email": user.email})
    run_due_jobs()
    assert mail.outbox[0].subject == "Reset your Design Mall password"
    assert "within 60 minutes" in mail.outbox[0].body


def test_the_reset_link_moves_the_token_out_of_the_address_and_sets_the_password(client):
    user = make_user()
    client.post(RESET, {"email": user.email})
    path = mailed_path(user.email)
    landing = client.get(path)
    assert landing.status_code == 302
    form_url = landing["Location"]
    assert form_url.endswith("/set-password/")
    assert path.split("/")[-2] not in form_url
    page = client.get(form_url)
    assert page.status_code == 200
    assert "设置新密码" in page.text
    done = client.post(form_url, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert done["Location"] == reverse("storefront:login")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_used_reset_link_shows_that_it_is_no_longer_valid(client):
    user = make_user()
    client.post(RESET, {"email": user.email})
    path = mailed_path(user.email)
    form_url = client.get(path)["Location"]
    client.post(form_url, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    again = Client().get(path)
    assert again.status_code == 400
    assert "链接无效或已过期" in again.text


def test_an_expired_reset_link_is_refused_on_the_page(client, settings):
    user = make_user()
    client.post(RESET, {"email": user.email})
    path = mailed_path(user.email)
    clock.advance(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))
    assert client.get(path).status_code == 400


def test_mismatched_new_passwords_are_refused(client):
    user = make_user()
    client.post(RESET, {"email": user.email})
    form_url = client.get(mailed_path(user.email))["Location"]
    response = client.post(
        form_url, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD + "x"}
    )
    assert response.status_code == 200
    assert "两次输入的新密码不一致" in response.text
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_reset_logs_out_the_other_devices(client):
    user = make_user()
    phone = logged_in(user)
    client.post(RESET, {"email": user.email})
    form_url = client.get(mailed_path(user.email))["Location"]
    client.post(form_url, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert not get_user(phone).is_authenticated


# --- account and security ----------------------------------------------------------------


def test_the_account_page_needs_a_login(client):
    response = client.get(ACCOUNT)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("storefront:login"))


def test_the_account_page_shows_the_address_and_the_log_out_everywhere_button():
    user = make_user(email="ming@example.com")
    page = logged_in(user).get(ACCOUNT)
    assert "ming@example.com" in page.text
    assert reverse("storefront:account_logout_everywhere") in page.text
    assert "退出所有设备" in page.text


def test_the_account_page_in_english():
    client = logged_in(make_user())
    client.cookies["django_language"] = "en"
    page = client.get(ACCOUNT)
    assert "Account and security" in page.text
    assert "Log out everywhere" in page.text


def test_log_out_everywhere_ends_this_and_other_sessions_and_revokes_tokens():
    user = make_user()
    phone, laptop = logged_in(user), logged_in(user)
    _token, raw = api_token_create(user=user, name="app")
    response = laptop.post(reverse("storefront:account_logout_everywhere"))
    assert response["Location"] == reverse("storefront:login")
    assert not get_user(laptop).is_authenticated
    assert not get_user(phone).is_authenticated
    assert phone.get(ACCOUNT).status_code == 302
    assert api_token_authenticate(raw) is None


def test_log_out_everywhere_is_a_post_only():
    client = logged_in(make_user())
    assert client.get(reverse("storefront:account_logout_everywhere")).status_code == 405


def test_a_password_change_keeps_this_device_and_logs_out_the_others():
    user = make_user()
    this, other = logged_in(user), logged_in(user)
    response = this.post(
        reverse("storefront:account_password"),
        {
            "old_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert response["Location"] == ACCOUNT
    assert get_user(this).is_authenticated
    assert not get_user(other).is_authenticated


def test_a_password_change_with_the_wrong_current_password_says_so():
    client = logged_in(make_user())
    response = client.post(
        reverse("storefront:account_password"),
        {"old_password": "guess", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "密码不正确" in response.text


# --- email change -------------------------------------------------------------------------


def test_an_email_change_is_confirmed_from_the_new_address_with_a_button():
    user = make_user(email="old@example.com")
    client = logged_in(user)
    response = client.post(
        reverse("storefront:account_email"), {"new_email": "new@example.com", "password": PASSWORD}
    )
    assert response["Location"] == ACCOUNT
    assert "new@example.com" in client.get(ACCOUNT).text  # pending, shown
    user.refresh_from_db()
    assert user.email == "old@example.com"
    path = mailed_path("new@example.com")
    assert [m for m in mail.outbox if m.to == ["old@example.com"]]
    # Opening the link (or a mail scanner fetching it) changes nothing.
    stranger = Client()
    page = stranger.get(path)
    assert page.status_code == 200
    assert "new@example.com" in page.text
    user.refresh_from_db()
    assert user.email == "old@example.com"
    assert stranger.post(path).status_code == 302
    user.refresh_from_db()
    assert user.email == "new@example.com"
    again = stranger.post(path)
    assert again.status_code == 400
    assert "确认链接无效或已过期" in again.text


def test_an_email_change_to_a_taken_address_is_refused_on_the_page():
    make_user(email="taken@example.com")
    client = logged_in(make_user())
    response = client.post(
        reverse("storefront:account_email"),
        {"new_email": "taken@example.com", "password": PASSWORD},
    )
    assert response.status_code == 200
    assert "该邮箱已被其他账号使用" in response.text
    run_due_jobs()
    assert mail.outbox == []


def test_the_email_change_page_in_english():
    client = logged_in(make_user())
    client.cookies["django_language"] = "en"
    page = client.get(reverse("storefront:account_email"))
    assert "New email address" in page.text
    assert "Current password" in page.text
