"""The passport's pages: the stamp a tablet's QR code opens, my passport, the tablet."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from designmall.core import clock
from designmall.o2o import passport
from designmall.o2o.passport_models import Stamp
from tests.factories import make_shop, make_user
from tests.promotions.conftest import make_platform_coupon

from .passport_kit import coupon, gift, make_booth, make_route, token_now

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.set_frozen(timezone.now().replace(microsecond=0))
    yield
    clock.reset()


def stamp_path(booth) -> str:
    return passport.stamp_path(booth, token_now(booth))


def test_opening_the_tablets_url_stamps_a_logged_in_visitor(client):
    user, booth = make_user(), make_booth()
    make_route(booths=[booth], rewards=[gift()])
    client.force_login(user)
    page = client.get(stamp_path(booth))
    assert page.status_code == 200
    assert b'data-stamp-result="stamped"' in page.content
    assert b"data-route-completed" in page.content and b"data-claim-code" in page.content
    assert Stamp.objects.filter(passport__user=user, booth=booth).exists()


def test_an_expired_code_answers_why_and_stamps_nothing(client):
    user, booth = make_user(), make_booth()
    path = stamp_path(booth)
    clock.set_frozen(clock.now() + timedelta(minutes=2))
    client.force_login(user)
    page = client.get(path)
    assert page.status_code == 409
    assert b'data-stamp-result="stamp_code_expired"' in page.content
    assert not Stamp.objects.exists()


def test_a_visitor_not_logged_in_is_stamped_after_logging_in(client):
    user, booth = make_user(), make_booth()
    path = stamp_path(booth)
    page = client.get(path)
    assert page.status_code == 302 and reverse("storefront:login") in page["Location"]
    clock.set_frozen(clock.now() + timedelta(minutes=3))  # the login took a while
    client.force_login(user)
    page = client.get(path)
    assert b'data-stamp-result="stamped"' in page.content


def test_my_passport_shows_stamps_route_progress_and_rewards(client):
    booths = [make_booth() for _ in range(3)]
    route = make_route(booths=booths, needed=2, rewards=[gift()])
    user = make_user()
    client.force_login(user)
    client.get(stamp_path(booths[0]))
    page = client.get(reverse("storefront:my_passport")).content.decode()
    assert f'data-route="{route.public_id}" data-route-have="1" data-route-needed="2"' in page
    assert 'data-stamps="1"' in page


def test_the_tablet_shows_the_booths_rotating_code_to_its_seller_only(client):
    shop = make_shop()
    booth = make_booth(shop=shop)
    url = reverse("storefront:seller_booth_tablet", args=[booth.public_id])
    code_url = reverse("storefront:seller_booth_tablet_code", args=[booth.public_id])
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    assert client.get(code_url).status_code == 404
    client.force_login(shop.owner)
    page = client.get(url)
    assert page.status_code == 200 and b"<svg" in page.content
    data = client.get(code_url).json()
    assert data["token"] == token_now(booth)
    assert data["url"].endswith(passport.stamp_path(booth, data["token"]))
    assert data["svg"].startswith("<svg")


def test_the_passport_pages_in_english_have_no_chinese_of_ours(client):
    shop = make_shop(name_zh="木与光", name_en="Wood and Light")
    booth = make_booth(shop=shop)
    make_route(booths=[booth], rewards=[gift(), coupon(make_platform_coupon())])
    client.force_login(shop.owner)
    client.cookies["django_language"] = "en"
    for url in (
        stamp_path(booth),
        reverse("storefront:my_passport"),
        reverse("storefront:seller_booth_tablet", args=[booth.public_id]),
        passport.stamp_path(make_booth(), "1-abcdefgh"),
    ):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        main = html[html.index("<main") : html.index("</main>")]
        main = re.sub(r"<svg.*?</svg>", "", main, flags=re.S)
        assert not re.search(r"[\u4e00-\u9fff]", main), (
            url,
            re.findall(r".{30}[\u4e00-\u9fff]+.{10}", main),
        )
