"""Login (throttled), registration and logout pages."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user
from django.test import Client
from django.urls import reverse

from designmall.core import clock
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
LOGIN = reverse("storefront:login")
REGISTER = reverse("storefront:register")
GOOD_PASSWORD = "walnut-lounge-chair-42"


def test_login_with_email_goes_where_the_visitor_was_going(client):
    user = make_user(email="ming@example.com")
    response = client.post(
        LOGIN, {"identifier": "Ming@Example.com", "password": PASSWORD, "next": "/seller/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/seller/"
    assert get_user(client) == user


def test_login_with_mobile_number(client):
    user = make_user(mobile="13800138000")
    response = client.post(LOGIN, {"identifier": "13800138000", "password": PASSWORD})
    assert response["Location"] == reverse("storefront:home")
    assert get_user(client) == user


def test_login_never_redirects_to_another_site(client):
    make_user(email="ming@example.com")
    response = client.post(
        LOGIN,
        {"identifier": "ming@example.com", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("storefront:home")


def test_wrong_password_shows_the_message_and_keeps_the_identifier(client):
    make_user(email="ming@example.com")
    response = client.post(LOGIN, {"identifier": "ming@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "账号或密码不正确" in response.text
    assert 'value="ming@example.com"' in response.text
    assert not get_user(client).is_authenticated


def test_repeated_failures_make_the_next_try_wait_with_a_readable_message(client, settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 3
    clock.set_frozen(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    make_user(email="ming@example.com")
    for _ in range(3):
        client.post(LOGIN, {"identifier": "ming@example.com", "password": "nope"})
    response = client.post(LOGIN, {"identifier": "ming@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert "登录尝试过于频繁，请 1 秒后再试" in response.text
    assert 'value="ming@example.com"' in response.text
    assert not get_user(client).is_authenticated
    clock.advance(timedelta(seconds=1))
    response = client.post(LOGIN, {"identifier": "ming@example.com", "password": PASSWORD})
    assert response.status_code == 302 and get_user(client).is_authenticated


def test_the_throttle_message_is_in_english_too(client, settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 1
    clock.set_frozen(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    client.cookies["django_language"] = "en"
    make_user(email="ming@example.com")
    client.post(LOGIN, {"identifier": "ming@example.com", "password": "nope"})
    response = client.post(LOGIN, {"identifier": "ming@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.text


def test_a_browser_that_signed_in_before_is_not_slowed_by_others_failures(client, settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 3
    clock.set_frozen(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    user = make_user(email="ming@example.com")
    client.post(LOGIN, {"identifier": "ming@example.com", "password": PASSWORD})
    device = client.cookies[settings.LOGIN_KNOWN_DEVICE_COOKIE]
    assert device["httponly"] and int(device["max-age"]) == 180 * 86400
    client.post(reverse("storefront:logout"))

    stranger = Client()  # same address (the test client's 127.0.0.1)
    for _ in range(5):
        stranger.post(LOGIN, {"identifier": "ming@example.com", "password": "nope"})
    assert stranger.post(LOGIN, {"identifier": user.email, "password": PASSWORD}).status_code == 429

    response = client.post(LOGIN, {"identifier": "ming@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert get_user(client) == user


def test_registering_makes_the_browser_a_known_device(client, settings):
    response = client.post(
        REGISTER,
        {"identifier": "new@example.com", "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    assert client.cookies[settings.LOGIN_KNOWN_DEVICE_COOKIE].value


def test_registrations_from_one_address_are_rate_limited_with_a_readable_page(client, settings):
    settings.RATE_LIMITS = {"register": {"address": "2/3600"}}
    clock.set_frozen(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    for n in range(2):
        body = {"identifier": f"a{n}@example.com", "password": GOOD_PASSWORD}
        client.post(REGISTER, {**body, "password2": GOOD_PASSWORD})
        client.post(reverse("storefront:logout"))
    response = client.post(REGISTER, {"identifier": "a9@example.com", "password": GOOD_PASSWORD})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "操作太频繁" in response.text
    assert not get_user(client).is_authenticated


def test_empty_login_form_says_what_is_missing(client):
    response = client.post(LOGIN, {"identifier": "", "password": ""})
    assert response.status_code == 200
    assert "这个字段是必填项" in response.text


def test_register_creates_a_buyer_and_logs_them_in(client):
    response = client.post(
        REGISTER,
        {
            "identifier": "new@example.com",
            "display_name": "小明",
            "password": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = get_user(client)
    assert user.is_authenticated and user.email == "new@example.com"
    assert "注册成功" in client.get(reverse("storefront:home")).text


def test_register_with_a_taken_account_shows_the_message(client):
    make_user(email="ming@example.com")
    response = client.post(
        REGISTER,
        {"identifier": "ming@example.com", "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert "该账号已注册" in response.text
    assert not get_user(client).is_authenticated


def test_register_refuses_mismatched_passwords(client):
    response = client.post(
        REGISTER,
        {"identifier": "new@example.com", "password": GOOD_PASSWORD, "password2": "other"},
    )
    assert "两次输入的密码不一致" in response.text


def test_register_refuses_a_weak_password(client):
    response = client.post(
        REGISTER, {"identifier": "new@example.com", "password": "123", "password2": "123"}
    )
    assert response.status_code == 200
    assert not get_user(client).is_authenticated
    assert "这个密码太常见了" in response.text


def test_logout_needs_a_post(client):
    client.force_login(make_user())
    assert client.get(reverse("storefront:logout")).status_code == 405
    response = client.post(reverse("storefront:logout"))
    assert response.status_code == 302
    assert not get_user(client).is_authenticated


def test_login_page_redirects_people_already_logged_in(client):
    client.force_login(make_user())
    response = client.get(LOGIN, {"next": "/seller/"})
    assert response["Location"] == "/seller/"
