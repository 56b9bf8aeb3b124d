"""Checkout with pickup at the booth: offered only to a buyer who came from that booth
today (by account or by this browser's cookie), recorded on the order; the buyer's page
shows the code and what was collected; the counter pages hand over and reverse."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from designmall.core import clock
from designmall.core.errors import ValidationFailed
from designmall.o2o import pickup, redemption
from designmall.o2o.redemption_models import Redeemable, Redemption
from designmall.orders.cart import cart_add
from designmall.orders.models import Order, OrderStatus
from tests.factories import make_product, make_shop, make_user
from tests.o2o.pickup_helpers import booth_order, local_noon, open_booth, staff_of, visit
from tests.orders.conftest import pay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _noon():
    clock.set_frozen(local_noon())


def _sku(shop):
    return make_product(shop=shop, skus=[(10_000, 20)]).skus.get()


def _checkout(buyer, booth, sku, visitor_id=None):
    return pickup.booth_pickup_checkout(
        buyer=buyer, visitor_id=visitor_id, booth=booth.public_id, lines=[(sku.public_id, 1)]
    )


def test_a_buyer_who_came_from_the_booth_today_picks_up_there_and_the_order_records_it():
    booth = open_booth()
    buyer = make_user()
    visit(booth, buyer)

    checkout = _checkout(buyer, booth, _sku(booth.shop))

    order = Order.objects.get(checkout=checkout)
    assert order.delivery == "pickup" and order.shipping_fen == 0 and order.pickup_code
    assert order.redeemable.booth == booth
    assert order.redeemable.code == order.pickup_code


def test_a_buyer_who_never_came_from_the_booth_cannot_pick_up_there():
    booth = open_booth()
    buyer = make_user()

    with pytest.raises(ValidationFailed) as refused:
        _checkout(buyer, booth, _sku(booth.shop))

    assert refused.value.code == "pickup_booth_unavailable"
    assert not Order.objects.filter(buyer=buyer).exists()


def test_a_visit_yesterday_does_not_count():
    booth = open_booth()
    buyer = make_user()
    noon = local_noon()
    clock.set_frozen(noon - timedelta(days=1))
    visit(booth, buyer)
    clock.set_frozen(noon)

    with pytest.raises(ValidationFailed):
        _checkout(buyer, booth, _sku(booth.shop))


def test_another_shops_booth_does_not_count():
    booth, other = open_booth(), open_booth(number="B1")
    buyer = make_user()
    visit(other, buyer)

    assert pickup.pickup_booths(user=buyer, visitor_id=None, shop_ids=[booth.shop_id]) == []
    with pytest.raises(ValidationFailed):
        _checkout(buyer, other, _sku(booth.shop))  # nothing of the other booth's shop bought


def test_an_anonymous_visit_from_this_browser_counts():
    booth = open_booth()
    buyer = make_user()
    visit(booth, None, visitor_id="v" * 24)

    checkout = _checkout(buyer, booth, _sku(booth.shop), visitor_id="v" * 24)

    assert Order.objects.get(checkout=checkout).redeemable.booth == booth


def test_a_booth_closed_for_the_day_is_not_offered():
    booth = open_booth()
    buyer = make_user()
    visit(booth, buyer)
    clock.set_frozen(local_noon() + timedelta(hours=8, minutes=30))  # 20:30, closed at 20:00

    assert pickup.pickup_booths(user=buyer, visitor_id=None, shop_ids=[booth.shop_id]) == []


def test_the_checkout_page_offers_the_booth_only_after_a_visit_today(client):
    booth = open_booth()
    buyer = make_user()
    sku = _sku(booth.shop)
    cart_add(user=buyer, sku_public_id=sku.public_id, quantity=2)
    client.force_login(buyer)
    choice = f"booth:{booth.public_id}"

    assert choice not in client.get(reverse("storefront:checkout")).content.decode()
    client.get(reverse("storefront:show_booth", args=[booth.code]))
    page = client.get(reverse("storefront:checkout")).content.decode()
    assert choice in page

    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    total = re.search(r'name="total_pickup" value="(\d+)"', page).group(1)
    response = client.post(
        reverse("storefront:checkout"),
        {"delivery": choice, "idempotency_key": key, "total_address": 0, "total_pickup": total},
    )
    assert response.status_code == 302
    order = Order.objects.get(buyer=buyer)
    assert order.redeemable.booth == booth


def test_the_buyers_order_page_shows_the_code_the_booth_and_what_was_collected(client):
    order, redeemable = booth_order(units=3)
    redemption.redeem(
        redeemable=redeemable, by=order.shop.owner, serial="SER-00000200", device="d", units=2
    )
    client.force_login(order.buyer)

    page = client.get(reverse("storefront:order", args=[order.public_id])).content.decode()

    assert order.pickup_code_display in page and "<svg" in page
    assert f"{redeemable.booth.number}" in page and "已取 2 / 3 件" in page


def test_staff_redeem_part_then_the_rest_and_reverse_on_the_counter_pages(client):
    order, redeemable = booth_order(units=3)
    booth = redeemable.booth
    member = staff_of(booth.shop)
    client.force_login(member)

    assert client.get(reverse("storefront:show_counter")).status_code == 302  # one booth
    found = client.post(
        reverse("storefront:show_counter_booth", args=[booth.public_id]),
        {"code": order.pickup_code.lower()},
    )
    pickup_url = reverse(
        "storefront:show_counter_pickup", args=[booth.public_id, redeemable.public_id]
    )
    assert found["Location"] == pickup_url
    page = client.get(pickup_url).content.decode()
    serial = re.search(r'name="serial" value="([^"]+)"', page).group(1)
    for _twice in range(2):  # a double submit is one redemption
        client.post(pickup_url, {"serial": serial, "item-1": "2"})
    assert Redemption.objects.get().quantity == 2
    assert Redemption.objects.get().staff == member

    client.post(
        reverse("storefront:show_counter_reverse", args=[booth.public_id, redeemable.public_id]),
        {"serial": serial},
    )
    assert [i.remaining for i in redemption.items_of(redeemable)] == [3]

    page = client.get(pickup_url).content.decode()
    serial = re.search(r'name="serial" value="([^"]+)"', page).group(1)
    client.post(pickup_url, {"serial": serial, "item-1": "3"})
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED_UP
    assert "data-all-redeemed" in client.get(pickup_url).content.decode()


def test_another_shops_seller_finds_nothing_at_its_counter(client):
    order, redeemable = booth_order(units=1)
    other_booth = open_booth(shop=make_shop(), number="C3")
    client.force_login(other_booth.shop.owner)

    answer = client.post(
        reverse("storefront:show_counter_booth", args=[other_booth.public_id]),
        {"code": order.pickup_code},
    )

    assert answer.status_code == 422
    assert "data-counter-error" in answer.content.decode()
    foreign = reverse(
        "storefront:show_counter_pickup", args=[redeemable.booth.public_id, redeemable.public_id]
    )
    assert client.get(foreign).status_code == 404
    assert Redeemable.objects.get().items.get().redeemed == 0


def test_paying_keeps_the_booth(client):
    booth = open_booth()
    buyer = make_user()
    visit(booth, buyer)
    checkout = _checkout(buyer, booth, _sku(booth.shop))
    pay(checkout)
    assert Order.objects.get(checkout=checkout).redeemable.booth == booth


def test_the_seller_adds_and_removes_booth_staff_who_then_may_or_may_not_redeem(client):
    order, redeemable = booth_order(units=2)
    helper = make_user(email="helper@example.com")
    client.force_login(order.shop.owner)
    url = reverse("storefront:seller_booth_staff")

    client.post(url, {"email": "HELPER@example.com"})
    assert redemption.may_redeem(helper, redeemable)
    assert "helper@example.com" in client.get(url).content.decode()
    unknown = client.post(url, {"email": "nobody@example.com"}, follow=True)
    assert "没有使用这个邮箱的账号" in unknown.content.decode()
    client.post(url, {"remove": helper.public_id})

    assert not redemption.may_redeem(helper, redeemable)
