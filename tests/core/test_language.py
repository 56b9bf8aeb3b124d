import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_open_in_chinese_whatever_the_browser_prefers(client: Client):
    response = client.get("/healthz", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"


def test_the_language_switch_cookie_selects_english(client: Client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.get("/healthz")["Content-Language"] == "en"


def test_an_unsupported_cookie_value_falls_back_to_chinese(client: Client):
    client.cookies["django_language"] = "fr"
    assert client.get("/healthz")["Content-Language"] == "zh-hans"


def test_api_clients_may_ask_for_english_with_accept_language(client: Client):
    response = client.get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"
