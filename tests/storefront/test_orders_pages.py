"""My orders (the buyer's) and the seller center's orders: access, status, fulfilment, refunds."""

# The orders tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from datetime import timedelta

import pytest
from django.urls import reverse

from designmall.core import clock
from designmall.core.formtokens import form_token_issue
from designmall.orders.models import CheckoutStatus, OrderStatus
from designmall.orders.services import order_ready_for_pickup, order_ship
from designmall.payments.gateways import sandbox
from designmall.payments.models import Refund
from tests.orders.conftest import (  # noqa: F401  (fixtures: two shops, buyers, the sandbox)
    _orders_settings,
    _payments_settings,
    buy,
    buyer,
    keys,
    orders_of,
    other_buyer,
    pay,
    refreshed,
    sandbox_key_dir,
    store,
    worker_transport,
)

pytestmark = pytest.mark.django_db
ORDERS = reverse("storefront:orders")
SELLER_ORDERS = reverse("storefront:seller_orders")


def order_url(order, action: str = "") -> str:
    name = f"storefront:order_{action}" if action else "storefront:order"
    return reverse(name, args=[order.public_id])


def seller_url(order, action: str = "") -> str:
    name = f"storefront:seller_{action}" if action else "storefront:seller_order"
    return reverse(name, args=[order.public_id])


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def refund_form(client, order, **typed) -> dict[str, str]:
    """What the seller types into the order page's refund form, with the one-time token
    the page issued with it."""
    token = client.get(seller_url(order)).context["refund_form"]["form_token"].value()
    assert token
    return {"form_token": token, **typed}


@pytest.fixture
def paid(store, buyer):
    """A paid checkout of two orders, delivered by address: shop A's and shop B's."""
    checkout = buy(buyer, (store.lamp, 1), (store.cup, 2))
    pay(checkout)
    return orders_of(checkout)


@pytest.fixture
def paid_pickup(store, buyer):
    checkout = buy(buyer, (store.lamp, 1), delivery="pickup")
    pay(checkout)
    return orders_of(checkout)[0]


# --- the buyer -----------------------------------------------------------------------------


def test_the_buyer_sees_their_orders_with_their_status(client, buyer, paid):
    client.force_login(buyer)
    page = client.get(ORDERS)
    assert page.status_code == 200
    for order in paid:
        assert f'data-order="{order.public_id}"' in page.text
    assert page.text.count('data-status="paid"') == 2


def test_another_buyers_orders_are_not_listed_and_are_404(client, other_buyer, paid):
    client.force_login(other_buyer)
    assert paid[0].public_id not in client.get(ORDERS).text
    assert client.get(order_url(paid[0])).status_code == 404
    assert client.post(order_url(paid[0], "cancel")).status_code == 404
    assert client.post(order_url(paid[0], "pay")).status_code == 404


def test_an_unpaid_order_offers_pay_now_which_opens_the_cashier(client, store, buyer):
    checkout = buy(buyer, (store.lamp, 1))
    order = orders_of(checkout)[0]
    client.force_login(buyer)
    page = client.get(order_url(order))
    assert order_url(order, "pay") in page.text
    assert order_url(order, "cancel") in page.text
    response = client.post(order_url(order, "pay"))
    assert response.url == sandbox.cashier_url(checkout.payment.out_trade_no)


def test_cancelling_an_unpaid_order_cancels_its_checkout(client, store, buyer):
    checkout = buy(buyer, (store.lamp, 1), (store.cup, 1))
    order = orders_of(checkout)[0]
    client.force_login(buyer)
    page = client.get(order_url(order))
    assert "取消会同时取消同一次结算的全部订单" in page.text
    response = client.post(order_url(order, "cancel"), follow=True)
    assert "订单已取消。" in shown_messages(response)
    assert {o.status for o in orders_of(checkout)} == {OrderStatus.CANCELLED}
    assert order_url(order, "pay") not in response.text


def test_a_paid_order_cannot_be_cancelled_and_says_why(client, buyer, paid):
    client.force_login(buyer)
    response = client.post(order_url(paid[0], "cancel"), follow=True)
    assert "订单已支付或已关闭，不能取消。" in shown_messages(response)
    assert refreshed(paid[0]).status == OrderStatus.PAID


def test_an_expired_checkout_no_longer_offers_pay_now(client, store, buyer, settings):
    checkout = buy(buyer, (store.lamp, 1))
    checkout.expires_at = checkout.created_at
    checkout.save(update_fields=["expires_at"])
    order = orders_of(checkout)[0]
    client.force_login(buyer)
    assert order_url(order, "pay") not in client.get(order_url(order)).text
    response = client.post(order_url(order, "pay"), follow=True)
    assert "这个订单已不能付款。" in shown_messages(response)


def test_a_pickup_order_shows_its_code_as_text_and_qr(client, buyer, paid_pickup):
    client.force_login(buyer)
    page = client.get(order_url(paid_pickup))
    assert paid_pickup.pickup_code_display in page.text
    assert "<svg" in page.text
    assert 'width="100%"' in page.text


def test_the_buyer_confirms_receipt_of_a_shipped_order(client, store, buyer, paid):
    order_ship(order=paid[0], by=store.shop_a.owner, carrier="SF", tracking_number="SF1234567890")
    client.force_login(buyer)
    page = client.get(order_url(paid[0]))
    assert "SF1234567890" in page.text
    response = client.post(order_url(paid[0], "confirm"), follow=True)
    assert "已确认收货，感谢你的购买。" in shown_messages(response)
    assert refreshed(paid[0]).status == OrderStatus.COMPLETED


def test_the_cashier_returns_to_the_checkouts_page(client, store, buyer):
    checkout = buy(buyer, (store.lamp, 1), (store.cup, 1))
    client.force_login(buyer)
    back = client.get(reverse("payments:return"), {"out_trade_no": checkout.payment.out_trade_no})
    done_url = reverse("storefront:checkout_done", args=[checkout.public_id])
    assert done_url in back.text
    assert client.get(done_url).context["can_pay"] is True
    pay(checkout)
    page = client.get(done_url)
    assert page.context["checkout"].status == CheckoutStatus.PAID
    assert page.text.count('data-status="paid"') == 3  # the checkout and its two orders


def test_another_buyers_checkout_page_is_404(client, other_buyer, paid):
    client.force_login(other_buyer)
    url = reverse("storefront:checkout_done", args=[paid[0].checkout.public_id])
    assert client.get(url).status_code == 404


def test_buyer_pages_render_in_chinese_and_english(client, buyer, paid, paid_pickup):
    client.force_login(buyer)
    for language, word in (("zh-hans", "我的订单"), ("en", "My orders")):
        client.cookies["django_language"] = language
        for url in (ORDERS, order_url(paid[0]), order_url(paid_pickup)):
            page = client.get(url)
            assert page.status_code == 200, url
            assert word in page.text, (language, url)


def test_the_order_history_reads_the_systems_reasons_in_the_pages_language(
    client, store, buyer, paid
):
    # The worker records its reasons in Chinese (their msgid); a seller's note is their own.
    at = clock.now()
    paid[0].events.create(to_status=OrderStatus.COMPLETED, reason="展位自提核销完成", at=at)
    paid[0].events.create(
        to_status=OrderStatus.REFUNDED, reason="库存盘点有误", by=store.shop_a.owner, at=at
    )
    client.force_login(buyer)
    client.cookies["django_language"] = "en"
    page = client.get(order_url(paid[0])).text
    assert "Booth pickup redeemed in full" in page
    assert "展位自提核销完成" not in page
    assert "{#" not in page
    assert '<span class="muted" data-i18n-exempt>库存盘点有误</span>' in page


# --- the seller ----------------------------------------------------------------------------


def test_the_seller_sees_only_their_shops_paid_orders(client, store, buyer, paid):
    unpaid = orders_of(buy(buyer, (store.vase, 1)))[0]
    client.force_login(store.shop_a.owner)
    page = client.get(SELLER_ORDERS)
    assert paid[0].public_id in page.text
    assert paid[1].public_id not in page.text  # shop B's
    assert unpaid.public_id not in page.text  # nothing to do until paid
    assert client.get(seller_url(paid[1])).status_code == 404
    assert client.post(seller_url(paid[1], "ship")).status_code == 404
    assert client.post(seller_url(paid[1], "refund")).status_code == 404


def test_the_seller_filters_orders_by_status(client, store, paid):
    client.force_login(store.shop_a.owner)
    assert paid[0].public_id in client.get(SELLER_ORDERS, {"status": "paid"}).text
    assert paid[0].public_id not in client.get(SELLER_ORDERS, {"status": "shipped"}).text


def test_shipping_needs_a_carrier_and_a_valid_tracking_number(client, store, paid):
    client.force_login(store.shop_a.owner)
    response = client.post(seller_url(paid[0], "ship"), {"carrier": "SF", "tracking_number": "12"})
    assert response.status_code == 200
    assert "运单号应为 8 至 30 位字母或数字。" in response.text
    assert response.context["ship_form"]["tracking_number"].value() == "12"
    response = client.post(
        seller_url(paid[0], "ship"), {"carrier": "SF", "tracking_number": "sf 1234 5678 90"}
    )
    assert response.url == seller_url(paid[0])
    order = refreshed(paid[0])
    assert (order.status, order.tracking_number) == (OrderStatus.SHIPPED, "SF1234567890")


def test_a_pickup_order_is_made_ready_then_handed_over_with_its_code(client, store, paid_pickup):
    client.force_login(store.shop_a.owner)
    assert seller_url(paid_pickup, "ship") not in client.get(seller_url(paid_pickup)).text
    client.post(seller_url(paid_pickup, "ready"))
    assert refreshed(paid_pickup).status == OrderStatus.READY_FOR_PICKUP
    wrong = client.post(seller_url(paid_pickup, "pickup"), {"code": "2222-2222"})
    assert wrong.status_code == 200
    assert wrong.context["pickup_form"].errors["code"] == ["自提码不正确。"]
    assert refreshed(paid_pickup).status == OrderStatus.READY_FOR_PICKUP
    typed = paid_pickup.pickup_code_display.lower()
    response = client.post(seller_url(paid_pickup, "pickup"), {"code": typed}, follow=True)
    assert "自提码正确，已交付，订单完成。" in shown_messages(response)
    assert refreshed(paid_pickup).status == OrderStatus.COMPLETED


def test_a_refund_larger_than_paid_is_refused_with_what_can_be_refunded(client, store, paid):
    client.force_login(store.shop_a.owner)
    response = client.post(
        seller_url(paid[0], "refund"), refund_form(client, paid[0], amount="200", reason="破损")
    )
    assert response.status_code == 200
    assert response.context["refund_form"].errors["amount"] == [
        "退款金额超过订单可退金额。最多还可退 ¥144.00。"
    ]
    assert response.context["refund_form"]["reason"].value() == "破损"
    assert not Refund.objects.exists()


@pytest.mark.parametrize("amount", ["abc", "0", "-5", "1.234"])
def test_a_malformed_refund_amount_is_refused_readably(client, store, paid, amount):
    client.force_login(store.shop_a.owner)
    response = client.post(
        seller_url(paid[0], "refund"), refund_form(client, paid[0], amount=amount, reason="破损")
    )
    assert response.status_code == 200
    assert response.context["refund_form"].errors["amount"]
    assert not Refund.objects.exists()


def test_the_seller_refunds_part_of_an_order_in_yuan(client, store, paid):
    client.force_login(store.shop_a.owner)
    response = client.post(
        seller_url(paid[0], "refund"),
        refund_form(client, paid[0], amount="12.50", reason="少发了配件"),
        follow=True,
    )
    assert "退款已提交，款项将原路退回给买家。" in shown_messages(response)
    refund = Refund.objects.get()
    assert (refund.amount_fen, refund.reason) == (1_250, "少发了配件")


def test_seller_pages_render_in_chinese_and_english(client, store, paid, paid_pickup):
    order_ready_for_pickup(order=paid_pickup, by=store.shop_a.owner)
    client.force_login(store.shop_a.owner)
    for language, word in (("zh-hans", "店铺订单"), ("en", "Shop orders")):
        client.cookies["django_language"] = language
        for url in (SELLER_ORDERS, seller_url(paid[0]), seller_url(paid_pickup)):
            page = client.get(url)
            assert page.status_code == 200, url
            assert word in page.text, (language, url)


# --- the refund form's one-time token ---------------------------------------------------


def test_a_double_submitted_refund_form_refunds_once_and_shows_the_first_refund(
    client, store, paid
):
    client.force_login(store.shop_a.owner)
    typed = refund_form(client, paid[0], amount="12.50", reason="少发了配件")

    first = client.post(seller_url(paid[0], "refund"), typed, follow=True)
    again = client.post(seller_url(paid[0], "refund"), typed, follow=True)

    refund = Refund.objects.get()
    assert refund.amount_fen == 1_250
    assert "退款已提交，款项将原路退回给买家。" in shown_messages(first)
    assert shown_messages(again) == [
        f"这笔退款已经提交过了（¥12.50，退款单 {refund.public_id}），没有再次退款。"
    ]


def test_the_double_submit_message_is_in_english_too(client, store, paid):
    client.force_login(store.shop_a.owner)
    client.cookies["django_language"] = "en"
    typed = refund_form(client, paid[0], amount="12.50", reason="少发了配件")
    client.post(seller_url(paid[0], "refund"), typed, follow=True)

    again = client.post(seller_url(paid[0], "refund"), typed, follow=True)

    refund = Refund.objects.get()
    assert shown_messages(again) == [
        f"This refund was already submitted (¥12.50, refund {refund.public_id}); "
        "nothing was refunded again."
    ]


def test_a_used_refund_form_sent_again_with_another_amount_refunds_nothing_more(
    client, store, paid
):
    client.force_login(store.shop_a.owner)
    typed = refund_form(client, paid[0], amount="12.50", reason="少发了配件")
    client.post(seller_url(paid[0], "refund"), typed)

    changed = client.post(seller_url(paid[0], "refund"), {**typed, "amount": "20"})

    assert changed.status_code == 200
    assert changed.context["refund_form"].non_field_errors() == [
        "这个表单已经提交过了，请在新的表单里重新填写。"
    ]
    assert Refund.objects.count() == 1


def test_a_refused_refund_form_comes_back_with_a_new_token_that_refunds(client, store, paid):
    client.force_login(store.shop_a.owner)
    typed = refund_form(client, paid[0], amount="200", reason="破损")
    refused = client.post(seller_url(paid[0], "refund"), typed)
    form = refused.context["refund_form"]
    assert form.errors["amount"]

    fixed = {"form_token": form["form_token"].value(), "amount": "100", "reason": "破损"}
    response = client.post(seller_url(paid[0], "refund"), fixed, follow=True)

    assert fixed["form_token"] != typed["form_token"]
    assert "退款已提交，款项将原路退回给买家。" in shown_messages(response)
    assert Refund.objects.get().amount_fen == 10_000


@pytest.mark.parametrize("token", ["", "made-up", "other-order", "other-seller"])
def test_a_refund_form_without_a_token_it_was_issued_is_refused_readably(
    client, store, paid, token
):
    issued = {
        "other-order": lambda: form_token_issue(
            user=store.shop_a.owner, purpose=f"order_refund:{paid[1].public_id}"
        ),
        "other-seller": lambda: form_token_issue(
            user=store.shop_b.owner, purpose=f"order_refund:{paid[0].public_id}"
        ),
    }
    token = issued[token]() if token in issued else token
    client.force_login(store.shop_a.owner)

    response = client.post(
        seller_url(paid[0], "refund"), {"form_token": token, "amount": "12.50", "reason": "破损"}
    )

    assert response.status_code == 200
    form = response.context["refund_form"]
    assert form.non_field_errors() == ["这个表单已失效，请刷新页面后重新填写。"]
    assert form["form_token"].value() not in ("", token)
    assert not Refund.objects.exists()


def test_a_refund_form_older_than_the_kept_keys_is_refused(client, store, paid, settings):
    client.force_login(store.shop_a.owner)
    typed = refund_form(client, paid[0], amount="12.50", reason="破损")
    later = clock.now() + timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS, minutes=1)

    with clock.frozen_at(later):
        response = client.post(seller_url(paid[0], "refund"), typed)

    assert response.context["refund_form"].non_field_errors() == [
        "这个表单已失效，请刷新页面后重新填写。"
    ]
    assert not Refund.objects.exists()
