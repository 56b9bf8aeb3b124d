"""Login (throttled), registration and logout pages."""

import pytest
from django.contrib.auth import get_user
from django.urls import reverse

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


def test_five_failures_lock_the_account_even_for_the_right_password(client):
    make_user(email="ming@example.com")
    for _ in range(5):
        client.post(LOGIN, {"identifier": "ming@example.com", "password": "nope"})
    response = client.post(LOGIN, {"identifier": "ming@example.com", "password": PASSWORD})
    assert "登录失败次数过多" in response.text
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
