"""Favourites and the audience award on a phone (390 px): a visitor not logged in taps the
heart, logs in, comes back and favourites in place, finds it in my favourites; a visitor
checked in at the show votes, sees the leaderboard, and watches it move by itself.

Screenshots go to /tmp/designmall-browser."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from designmall.o2o import services, votes
from designmall.o2o.favourites_models import Favourite
from designmall.o2o.votes_models import Vote
from tests.browser.test_aftersales import log_in
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401 (the fixture)
from tests.factories import PASSWORD, make_product, make_shop, make_user
from tests.o2o.test_booths import assign
from tests.o2o.votes_kit import category_of, checked_in_visitor, shown_exhibits

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


def _fits(page) -> None:  # noqa: F811
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_visitor_logs_in_from_the_heart_and_favourites_an_exhibit_in_place(page):  # noqa: F811
    shop = make_shop(name_zh="木与光工作室", name_en="Wood and Light Studio")
    booth = assign(shop=shop)
    product = make_product(shop=shop, title_zh="胡桃木休闲椅", skus=[(129_900, 3)])
    item = services.exhibit_create(
        booth=booth, by=shop.owner, kind="product", product=product.public_id
    )
    visitor = make_user(email="fan@example.com")
    page.goto(f"/o/e/{item.code}/")
    page.click("button[data-favourite]")  # not logged in: the login page, then back
    page.wait_for_url("**/login/**")
    page.fill("input[name=identifier]", visitor.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"**/o/e/{item.code}/")
    heart = page.locator("button[data-favourite]")
    assert heart.get_attribute("aria-pressed") == "false"
    heart.click()  # now in place, no page load
    page.wait_for_selector("button[data-favourite][aria-pressed='true']")
    assert "已收藏" in heart.inner_text()
    assert page.url.endswith(f"/o/e/{item.code}/")
    assert Favourite.objects.filter(user=visitor, exhibit=item).exists()
    _fits(page)
    page.screenshot(path=str(SHOTS / "show-favourite.png"), full_page=True)
    page.goto("/o/favourites/")
    assert page.locator("[data-favourites='1']").count() == 1
    assert "胡桃木休闲椅" in page.inner_text("main")
    assert "¥1,299.00" in page.inner_text("main")
    _fits(page)
    page.screenshot(path=str(SHOTS / "show-my-favourites.png"), full_page=True)
    page.goto(f"/o/b/{booth.code}/")  # the booth page's heart says so too
    assert page.locator("button[data-favourite][aria-pressed='true']").count() == 1


def test_a_checked_in_visitor_votes_and_watches_the_leaderboard_move(page, live_server):  # noqa: F811
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair, lamp)
    visitor = checked_in_visitor()
    log_in(page, visitor, live_server.url)
    page.goto(f"/o/e/{chair.code}/")
    page.click(f"[data-vote-category='{category.public_id}'] button")  # vote from the exhibit
    page.wait_for_url(f"**/o/awards/{category.public_id}/")
    assert "投票成功" in page.inner_text(".flash")
    assert page.locator(f"[data-my-vote='{chair.public_id}']").count() == 1
    first = page.locator("[data-board] li").first
    assert "展品1" in first.inner_text() and "得票 1" in first.inner_text()
    _fits(page)
    page.screenshot(path=str(SHOTS / "show-vote.png"), full_page=True)
    for voter in (checked_in_visitor(), checked_in_visitor()):  # others vote meanwhile
        votes.vote_cast(category=category, voter=voter, exhibit=lamp, visitor_id=str(voter.pk))
    from playwright.sync_api import expect

    expect(page.locator("[data-board] li").first).to_contain_text("展品2", timeout=20_000)
    assert "得票 2" in page.locator("[data-board] li").first.inner_text()
    page.click(f"button[value='{lamp.public_id}']")  # change my vote
    page.wait_for_url(f"**/o/awards/{category.public_id}/")
    assert Vote.objects.get(voter=visitor).exhibit == lamp
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page.goto(f"/o/awards/{category.public_id}/")
    assert "Votes: 3" in page.locator("[data-board] li").first.inner_text()
    _fits(page)
    page.screenshot(path=str(SHOTS / "show-vote-en.png"), full_page=True)
