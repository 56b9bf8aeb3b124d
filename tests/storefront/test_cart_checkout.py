"""The cart and checkout pages: an anonymous or logged-in cart, then checkout to the cashier."""

# The orders tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

import re

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.urls import reverse

from designmall.catalog.models import ProductStatus, Sku
from designmall.orders.cart import cart_add
from designmall.orders.models import CartLine, Checkout, IdempotencyKey, Order
from designmall.payments.gateways import sandbox
from designmall.storefront.views.orders import session_cart_merge
from tests.orders.conftest import (  # noqa: F401  (fixtures: two shops, buyers, the sandbox)
    ADDRESS,
    _orders_settings,
    _payments_settings,
    buy,
    buyer,
    keys,
    other_buyer,
    sandbox_key_dir,
    store,
    worker_transport,
)

pytestmark = pytest.mark.django_db
CART = reverse("storefront:cart")
ADD = reverse("storefront:cart_add")
UPDATE = reverse("storefront:cart_update")
REMOVE = reverse("storefront:cart_remove")
CHECKOUT = reverse("storefront:checkout")


def quantities(client, user=None) -> dict[str, int]:
    if user is not None:
        return dict(
            CartLine.objects.filter(cart__user=user).values_list("sku__public_id", "quantity")
        )
    return dict(client.session.get("cart", {}))


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- the cart ------------------------------------------------------------------------------


def test_an_anonymous_visitor_adds_to_the_cart_and_goes_back_to_the_product(client, store):
    product_page = reverse("storefront:product", args=[store.product_a.public_id])
    response = client.post(
        ADD, {"sku": store.lamp.public_id, "quantity": "2", "next": product_page}
    )
    assert response.status_code == 302
    assert response.url == product_page
    assert quantities(client) == {store.lamp.public_id: 2}
    page = client.get(CART)
    assert store.product_a.title in page.text
    assert "¥258.00" in page.text


def test_adding_without_a_quantity_adds_one(client, store):
    client.post(ADD, {"sku": store.cup.public_id})
    client.post(ADD, {"sku": store.cup.public_id})
    assert quantities(client) == {store.cup.public_id: 2}


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "数量必须是正整数。"),
        ("-3", "数量必须是正整数。"),
        ("abc", "数量必须是正整数。"),
        ("6", "库存不足，最多还能买 5 件。"),
        ("999999999999", "单个商品最多购买 20 件。"),
    ],
)
def test_a_bad_quantity_is_refused_with_a_readable_message(client, store, quantity, message):
    response = client.post(ADD, {"sku": store.lamp.public_id, "quantity": quantity}, follow=True)
    assert message in shown_messages(response)
    assert quantities(client) == {}


def test_an_unknown_or_delisted_sku_is_refused_readably(client, store):
    response = client.post(ADD, {"sku": "nope"}, follow=True)
    assert "没有找到这个商品规格。" in shown_messages(response)
    store.product_b.status = ProductStatus.DELISTED
    store.product_b.save(update_fields=["status"])
    response = client.post(ADD, {"sku": store.cup.public_id}, follow=True)
    assert "这件商品已下架。" in shown_messages(response)


def test_the_add_form_does_not_go_back_to_another_site(client, store):
    response = client.post(ADD, {"sku": store.cup.public_id, "next": "https://evil.example/"})
    assert response.url == CART


def test_an_anonymous_cart_is_updated_and_emptied(client, store):
    client.post(ADD, {"sku": store.lamp.public_id})
    client.post(ADD, {"sku": store.cup.public_id})
    client.post(UPDATE, {"sku": store.lamp.public_id, "quantity": "3"})
    client.post(REMOVE, {"sku": store.cup.public_id})
    assert quantities(client) == {store.lamp.public_id: 3}


def test_a_logged_in_buyer_adds_updates_and_removes(client, store, buyer):
    client.force_login(buyer)
    client.post(ADD, {"sku": store.lamp.public_id, "quantity": "1"})
    client.post(ADD, {"sku": store.plate.public_id, "quantity": "2"})
    client.post(UPDATE, {"sku": store.lamp.public_id, "quantity": "4"})
    client.post(REMOVE, {"sku": store.plate.public_id})
    assert quantities(client, buyer) == {store.lamp.public_id: 4}
    assert "cart" not in client.session


def test_a_bad_update_keeps_the_quantity_and_says_why(client, store, buyer):
    client.force_login(buyer)
    cart_add(user=buyer, sku_public_id=store.vase.public_id, quantity=2)
    response = client.post(UPDATE, {"sku": store.vase.public_id, "quantity": "9"}, follow=True)
    assert "库存不足，最多还能买 3 件。" in shown_messages(response)
    assert quantities(client, buyer) == {store.vase.public_id: 2}


def test_the_cart_groups_lines_per_shop_with_their_subtotals(client, store, buyer):
    client.force_login(buyer)
    cart_add(user=buyer, sku_public_id=store.lamp.public_id, quantity=1)
    cart_add(user=buyer, sku_public_id=store.cup.public_id, quantity=2)
    page = client.get(CART)
    groups = page.context["groups"]
    assert [g.shop for g in groups] == [store.shop_b, store.shop_a]  # newest line first
    assert [g.items_fen for g in groups] == [11_800, 12_900]
    assert "¥247.00" in page.text  # the items of both shops


def test_the_cart_shows_a_changed_price(client, store, buyer):
    client.force_login(buyer)
    cart_add(user=buyer, sku_public_id=store.lamp.public_id, quantity=1)
    Sku.objects.filter(pk=store.lamp.pk).update(price_fen=13_900)
    page = client.get(CART)
    assert "data-price-changes" in page.text
    assert "<s>¥129.00</s> → ¥139.00" in page.text


def test_the_cart_flags_a_line_of_a_suspended_shop_and_blocks_checkout(client, store, buyer):
    client.force_login(buyer)
    cart_add(user=buyer, sku_public_id=store.cup.public_id, quantity=1)
    store.shop_b.status = "suspended"
    store.shop_b.save(update_fields=["status"])
    page = client.get(CART)
    assert "这家店铺暂停营业。" in page.text
    assert 'data-problem="shop_unavailable"' in page.text
    response = client.get(CHECKOUT, follow=True)
    assert response.redirect_chain[-1][0] == CART
    assert "购物车里有无法购买的商品，请先调整后再结算。" in shown_messages(response)


# --- checkout ------------------------------------------------------------------------------


def checkout_form(client) -> dict[str, str]:
    """The checkout form as the page renders it, with the address filled in."""
    page = client.get(CHECKOUT)
    assert page.status_code == 200
    initial = page.context["form"].initial
    return {
        "delivery": "address",
        "idempotency_key": initial["idempotency_key"],
        "total_address": str(initial["total_address"]),
        "total_pickup": str(initial["total_pickup"]),
        **ADDRESS,
    }


@pytest.fixture
def two_shop_cart(client, store, buyer):
    client.force_login(buyer)
    cart_add(user=buyer, sku_public_id=store.lamp.public_id, quantity=1)
    cart_add(user=buyer, sku_public_id=store.cup.public_id, quantity=2)
    return buyer


def test_checkout_needs_a_login(client, store):
    client.post(ADD, {"sku": store.lamp.public_id})
    response = client.get(CHECKOUT)
    assert response.status_code == 302
    assert response.url.startswith(reverse("storefront:login"))


def test_an_empty_cart_goes_back_to_the_cart(client, buyer):
    client.force_login(buyer)
    response = client.get(CHECKOUT)
    assert response.url == CART


def test_checkout_makes_one_order_per_shop_and_opens_the_cashier(client, two_shop_cart):
    form = checkout_form(client)
    assert form["total_address"] == str(12_900 + 1_500 + 11_800 + 1_500)
    response = client.post(CHECKOUT, form)
    checkout = Checkout.objects.get(buyer=two_shop_cart)
    assert response.status_code == 302
    assert response.url == sandbox.cashier_url(checkout.payment.out_trade_no)
    assert checkout.orders.count() == 2
    assert checkout.total_fen == 27_700
    assert quantities(client, two_shop_cart) == {}


def test_pickup_at_the_venue_needs_no_address_and_no_shipping(client, two_shop_cart):
    form = checkout_form(client)
    form = {k: v for k, v in form.items() if k not in ADDRESS} | {"delivery": "pickup"}
    client.post(CHECKOUT, form)
    checkout = Checkout.objects.get(buyer=two_shop_cart)
    assert checkout.total_fen == 24_700
    assert all(order.pickup_code for order in checkout.orders.all())


def test_submitting_twice_with_the_same_key_makes_one_checkout(client, two_shop_cart):
    form = checkout_form(client)
    first = client.post(CHECKOUT, form)
    second = client.post(CHECKOUT, form)
    assert Checkout.objects.filter(buyer=two_shop_cart).count() == 1
    assert Order.objects.filter(buyer=two_shop_cart).count() == 2
    assert first.url == second.url


def test_a_price_change_after_the_page_was_shown_asks_again_with_the_new_total(
    client, store, two_shop_cart
):
    form = checkout_form(client)
    Sku.objects.filter(pk=store.lamp.pk).update(price_fen=13_900)
    response = client.post(CHECKOUT, form)
    assert response.status_code == 200
    assert "商品价格有变动，请确认新的金额后再支付。" in response.text
    assert "<s>¥129.00</s> → ¥139.00" in response.text
    assert not Checkout.objects.exists()
    again = response.context["form"]
    assert again["total_address"].value() == 28_700
    assert again["idempotency_key"].value() != form["idempotency_key"]
    assert again["detail"].value() == ADDRESS["detail"]  # what was typed is kept
    resubmitted = {name: again[name].value() for name in form}
    assert client.post(CHECKOUT, resubmitted).status_code == 302
    assert Checkout.objects.get().total_fen == 28_700


def test_a_missing_address_field_is_shown_and_the_rest_kept(client, two_shop_cart):
    form = checkout_form(client) | {"mobile": ""}
    response = client.post(CHECKOUT, form)
    assert response.status_code == 200
    assert "请填写手机号。" in response.text
    assert response.context["form"]["detail"].value() == ADDRESS["detail"]
    assert not Checkout.objects.exists()


def test_a_malformed_mobile_is_refused_by_the_service_on_its_field(client, two_shop_cart):
    form = checkout_form(client) | {"mobile": "call me"}
    response = client.post(CHECKOUT, form)
    assert response.status_code == 200
    assert response.context["form"].errors["mobile"] == ["收货地址不完整或格式不正确。"]
    assert not IdempotencyKey.objects.filter(checkout__isnull=False).exists()
    fixed = {name: response.context["form"][name].value() for name in form} | {
        "mobile": ADDRESS["mobile"]
    }
    assert client.post(CHECKOUT, fixed).status_code == 302


def test_stock_sold_out_meanwhile_is_shown_on_the_checkout(
    client, store, two_shop_cart, other_buyer
):
    form = checkout_form(client)
    buy(other_buyer, (store.lamp, 5))
    response = client.post(CHECKOUT, form)
    assert response.status_code == 200
    assert "库存不足" in response.text
    assert not Checkout.objects.filter(buyer=two_shop_cart).exists()


# --- languages -----------------------------------------------------------------------------


def test_cart_and_checkout_render_in_chinese_and_english(client, two_shop_cart):
    for language, words in (("zh-hans", ("购物车", "确认订单")), ("en", ("Cart", "Confirm order"))):
        client.cookies["django_language"] = language
        assert words[0] in client.get(CART).text
        page = client.get(CHECKOUT)
        assert words[1] in page.text
        assert re.search(r'name="idempotency_key" value="[^"]{20,}"', page.text)


# --- logging in ----------------------------------------------------------------------------


def logged_in_request(client, user):
    """A request as the login view has it right after ``auth_login``: the visitor's session."""
    request = RequestFactory().post(reverse("storefront:login"))
    request.session = client.session
    request.user = user
    request._messages = FallbackStorage(request)
    return request


def test_the_session_cart_moves_into_the_buyers_cart_on_login(client, store, buyer):
    client.post(ADD, {"sku": store.lamp.public_id, "quantity": "2"})
    client.post(ADD, {"sku": store.cup.public_id})
    cart_add(user=buyer, sku_public_id=store.cup.public_id, quantity=3)
    request = logged_in_request(client, buyer)
    session_cart_merge(request)
    assert quantities(client, buyer) == {store.lamp.public_id: 2, store.cup.public_id: 3}
    assert "cart" not in request.session
    assert list(request._messages) == []


def test_items_that_can_no_longer_be_bought_are_said_on_login(client, store, buyer):
    client.post(ADD, {"sku": store.cup.public_id})
    store.shop_b.status = "suspended"
    store.shop_b.save(update_fields=["status"])
    request = logged_in_request(client, buyer)
    session_cart_merge(request)
    assert quantities(client, buyer) == {}
    assert [str(m) for m in request._messages] == ["购物车里有 1 件商品已无法购买，没有保留。"]
