"""The back office speaks the page's language: the show's name in the header, the apps and
their models named in Chinese (or English), not Django's defaults."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def back_office(client):
    client.force_login(make_user(role=None, is_staff=True, is_superuser=True))
    return client


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_the_back_office_carries_the_shows_name_in_chinese(back_office):
    text = visible_text(back_office.get("/admin/").content.decode())

    assert "设计周商城后台" in text
    assert "Django" not in text


@pytest.mark.parametrize(
    "english", ["Accounts", "Auctions", "Catalog", "Ledger", "Audit events", "Payments", "Api"]
)
def test_no_app_or_model_is_named_in_english_on_the_chinese_index(back_office, english):
    text = visible_text(back_office.get("/admin/").content.decode())
    assert english not in text


def test_the_back_office_speaks_english_when_asked(back_office):
    back_office.cookies["django_language"] = "en"
    text = visible_text(back_office.get("/admin/").content.decode())

    assert "Design Mall back office" in text
    assert "Audit record" in text and "Payment" in text
    assert "账号" not in text
