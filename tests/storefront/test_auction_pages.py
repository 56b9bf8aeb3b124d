"""The auction pages: lists, a sale, a lot with its bid form, deposit and watch buttons, my
bids, the winner's checkout and second-chance offers; refusals read as messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from designmall.auctions.models import Bid, Deposit, LotCheckout, LotStatus, OfferStatus, Watch
from designmall.auctions.settlement import lot_finalize, lot_payment_overdue
from designmall.core import clock
from designmall.storefront.views.auctions import parse_yuan
from tests.auctions.conftest import (  # noqa: F401  (autouse fixtures: clock, settings, sandbox)
    ADDRESS,
    _auction_settings,
    _frozen_clock,
    _payments_settings,
    after_end,
    bid,
    fresh,
    keys,
    paid_deposit,
    sandbox_key_dir,
    worker_transport,
    yuan,
)
from tests.factories import make_category, make_designer, make_lot, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot(db):
    designer = make_designer(name_zh="朱小杰", name_en="Zhu Xiaojie", is_renowned=True)
    return make_lot(
        title_zh="胡桃木椅原型",
        title_en="Walnut Chair Prototype",
        designer=designer,
        estimate_low_fen=yuan(2_000),
        estimate_high_fen=yuan(4_000),
        buy_now_fen=yuan(9_000),
    )


@pytest.fixture
def alice(client):
    user = make_user()
    client.force_login(user)
    return user


def lot_url(lot) -> str:
    return reverse("storefront:auction_lot", args=[lot.public_id])


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- reading ------------------------------------------------------------------------------


def test_the_lists_show_live_and_upcoming_lots_under_their_tabs(client, lot):
    later = make_lot(
        sale=lot.sale,
        title_zh="未来的灯",
        starts_in=timedelta(hours=2),
        ends_in=timedelta(hours=3),
    )

    live = page(client, "/auctions/")
    upcoming = page(client, "/auctions/?tab=upcoming")
    results = page(client, "/auctions/?tab=results")

    assert "胡桃木椅原型" in live and "未来的灯" not in live
    assert "未来的灯" in upcoming and "胡桃木椅原型" not in upcoming
    assert "这里暂时没有拍品。" in results
    assert reverse("storefront:auction_sale", args=[lot.sale.public_id]) in live
    assert later.public_id in upcoming


def test_the_site_nav_links_to_the_auctions(client, lot):
    assert 'href="/auctions/"' in page(client, "/")


def test_a_sale_page_lists_its_lots(client, lot):
    html = page(client, reverse("storefront:auction_sale", args=[lot.sale.public_id]))
    assert lot.sale.title_zh in html and "胡桃木椅原型" in html


def test_a_lot_page_shows_designer_estimate_price_and_history(client, lot):
    bid(lot, make_user(), 2_000)
    bid(lot, make_user(), 1_500)

    html = page(client, lot_url(lot))

    assert "朱小杰" in html and "¥2,000.00" in html and "¥4,000.00" in html
    assert "¥1,600.00" in html  # the price
    assert 'name="max_yuan"' not in html  # anonymous: no bid form
    assert "竞拍者 " in html and "data-events-url" in html
    assert "登录后出价" in html


def test_pages_read_in_english(client, lot):
    client.cookies["django_language"] = "en"

    html = page(client, lot_url(lot))
    listing = page(client, "/auctions/")

    assert 'lang="en"' in html and "Walnut Chair Prototype" in html
    assert "Walnut Chair Prototype" in listing


def test_an_unpublished_or_absent_lot_is_404(client):
    from tests.factories import make_sale

    hidden = make_lot(sale=make_sale(published=False))
    assert client.get(lot_url(hidden)).status_code == 404
    assert client.get("/auctions/lot_0000000000000000/").status_code == 404


# --- bidding through the form -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "fen"),
    [("1299", 129_900), ("1,299.5", 129_950), ("¥1299.05", 129_905), (" 50 ", 5_000)],
)
def test_yuan_typed_into_the_form_become_fen(typed, fen):
    assert parse_yuan(typed) == fen


@pytest.mark.parametrize("typed", ["", "abc", "1.234", "1e5", "9" * 30])
def test_what_is_not_an_amount_is_not_read(typed):
    assert parse_yuan(typed) is None


def test_a_bid_through_the_form_is_placed_and_leads(client, lot, alice):
    response = client.post(
        reverse("storefront:auction_bid", args=[lot.public_id]), {"max_yuan": "3000"}, follow=True
    )

    html = response.content.decode()
    assert "出价成功，您目前领先。" in html
    assert Bid.objects.get(lot=lot, bidder=alice).max_fen == yuan(3_000)
    assert "您目前领先。" in html and "¥3,000.00" in html  # my maximum, shown to me


def test_refusals_read_as_messages(client, lot, alice):
    url = reverse("storefront:auction_bid", args=[lot.public_id])

    low = client.post(url, {"max_yuan": "900"}, follow=True).content.decode()
    junk = client.post(url, {"max_yuan": "lots"}, follow=True).content.decode()
    negative = client.post(url, {"max_yuan": "-5"}, follow=True).content.decode()

    assert "出价低于当前最低可出价 ¥1,000.00。" in low
    assert "请输入有效的出价金额（元，最多两位小数）。" in junk
    assert "出价金额必须大于零。" in negative
    assert not Bid.objects.filter(lot=lot, accepted=True).exists()


def test_an_anonymous_bid_goes_to_login(client, lot):
    response = client.post(
        reverse("storefront:auction_bid", args=[lot.public_id]), {"max_yuan": "1000"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_buy_now_through_the_button_ends_the_lot(client, lot, alice):
    response = client.post(
        reverse("storefront:auction_bid", args=[lot.public_id]),
        {"buy_now": "1", "buy_now_fen": str(yuan(9_000))},
        follow=True,
    )
    assert "一口价购得！" in response.content.decode()
    assert fresh(lot).outcome == "bought_now"


# --- deposits, watching, mine -------------------------------------------------------------


def test_a_lot_asking_for_a_deposit_offers_to_pay_it_at_the_cashier(client, alice):
    make_category()
    needs = make_lot(deposit_fen=yuan(500))

    html = page(client, lot_url(needs))
    response = client.post(reverse("storefront:auction_deposit", args=[needs.public_id]))

    assert "缴纳保证金" in html and 'name="max_yuan"' not in html
    assert response.status_code == 302
    deposit = Deposit.objects.get(bidder=alice, lot=needs)
    assert deposit.payment.out_trade_no in response["Location"]


def test_with_a_paid_deposit_the_bid_form_shows(client, alice):
    make_category()
    needs = make_lot(deposit_fen=yuan(500))
    paid_deposit(alice, lot=needs)

    html = page(client, lot_url(needs))

    assert 'name="max_yuan"' in html and "保证金已缴纳" in html


def test_watching_and_my_auctions(client, lot, alice):
    client.post(reverse("storefront:auction_watch", args=[lot.public_id]), {"action": "watch"})
    bid(lot, alice, 1_000)
    bid(lot, make_user(), 2_000)

    mine = page(client, reverse("storefront:my_auctions"))

    assert Watch.objects.filter(user=alice, lot=lot).exists()
    assert "胡桃木椅原型" in mine and "已被超越" in mine
    client.post(
        reverse("storefront:auction_watch", args=[lot.public_id]),
        {"action": "unwatch", "next": "me"},
    )
    assert not Watch.objects.filter(user=alice, lot=lot).exists()


def test_my_auctions_needs_a_login(client):
    assert client.get(reverse("storefront:my_auctions")).status_code == 302


# --- after the hammer ---------------------------------------------------------------------


@pytest.fixture
def won(lot, alice):
    make_category()
    bob = make_user()
    bid(lot, alice, 5_000)
    bid(lot, bob, 3_000)
    after_end(lot)
    settled = lot_finalize(lot=lot)
    settled.runner = bob
    return settled


def test_the_winner_is_asked_to_pay_and_checks_out_to_the_cashier(client, won, alice):
    html = page(client, lot_url(won))
    checkout = page(client, reverse("storefront:auction_checkout", args=[won.public_id]))

    response = client.post(
        reverse("storefront:auction_checkout", args=[won.public_id]),
        {"delivery": "address", **ADDRESS},
    )

    assert "恭喜，您得标了！" in html and "去付款" in html
    assert "¥3,100.00" in checkout
    (made,) = LotCheckout.objects.filter(lot=won, buyer=alice).select_related("checkout")
    assert response.status_code == 302
    assert made.checkout.payment.out_trade_no in response["Location"]


def test_a_checkout_with_a_missing_address_says_what_is_missing(client, won, alice):
    response = client.post(
        reverse("storefront:auction_checkout", args=[won.public_id]), {"delivery": "address"}
    )
    assert response.status_code == 200
    assert "请填写" in response.content.decode()


def test_someone_else_cannot_reach_the_checkout(client, won):
    client.force_login(make_user())
    response = client.get(reverse("storefront:auction_checkout", args=[won.public_id]), follow=True)
    assert "您现在不能为这件拍品付款。" in response.content.decode()


def test_the_runner_up_may_decline_a_second_chance(client, won):
    clock.set_frozen(fresh(won).payment_due_at + timedelta(seconds=1))
    lot = lot_payment_overdue(lot=won)
    client.force_login(won.runner)

    html = page(client, lot_url(lot))
    client.post(reverse("storefront:auction_offer_decline", args=[lot.public_id]))

    assert "放弃优先购买" in html and "接受并付款" in html
    assert fresh(lot).status == LotStatus.UNSOLD
    assert fresh(lot).second_chance.status == OfferStatus.DECLINED
