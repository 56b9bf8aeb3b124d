"""After-sales (售后): a buyer's refund-only or return-and-refund request on one order line,
the seller's answer, the platform's decision, the return, and the refund it ends in."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from designmall.core import clock
from designmall.core.audit import audit_trail
from designmall.core.errors import InvalidTransition, NotFound, ValidationFailed
from designmall.orders.aftersales import (
    aftersales_accept,
    aftersales_cancel,
    aftersales_create,
    aftersales_decide,
    aftersales_escalate,
    aftersales_photo_add,
    aftersales_refuse,
    aftersales_return_received,
    aftersales_return_ship,
    refund_key,
)
from designmall.orders.models import AfterSalesRequest, AfterSalesStatus, OrderStatus
from designmall.orders.services import order_confirm_receipt, order_refund, order_ship
from designmall.orders.tasks import aftersales_auto_accept_due
from designmall.payments.models import Refund, RefundStatus
from tests.orders.conftest import buy, orders_of, pay, refreshed
from tests.payments.conftest import run_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _aftersales_settings(settings):
    settings.AFTERSALES_WINDOW_DAYS = 15
    settings.AFTERSALES_SELLER_REPLY_DAYS = 3


@pytest.fixture
def order(store, buyer):
    """Shop A: lamp ×2 (¥129 each) + vase ×1 (¥350) = ¥608, free shipping. Paid."""
    checkout = buy(buyer, (store.lamp, 2), (store.vase, 1))
    pay(checkout)
    return orders_of(checkout)[0]


def lamp_line(order):
    return order.lines.get(unit_price_fen=12_900)


def vase_line(order):
    return order.lines.get(unit_price_fen=35_000)


def ship(order):
    order_ship(order=order, by=order.shop.owner, carrier="SF", tracking_number="SF1234567890")
    return refreshed(order)


def receive(order, buyer):
    order = ship(order)
    order_confirm_receipt(order=order, by=buyer)
    return refreshed(order)


def ask(order, buyer, line=None, kind="refund_only", quantity=1, **kw):
    kw.setdefault("reason", "damaged")
    return aftersales_create(
        order=order, line=line or lamp_line(order), by=buyer, kind=kind, quantity=quantity, **kw
    )


def steps(request):
    return list(request.events.values_list("to_status", flat=True))


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


# --- refund only ---------------------------------------------------------------------------


def test_a_refund_only_request_accepted_by_the_seller_refunds_the_line(order, buyer):
    request = ask(order, buyer, quantity=1, note="灯罩有裂纹")
    assert request.amount_fen == 12_900  # one lamp's share of its line

    request = aftersales_accept(request=request, by=order.shop.owner)
    run_jobs()

    assert request.status == AfterSalesStatus.REFUNDED
    assert request.refund.amount_fen == 12_900
    assert Refund.objects.get(pk=request.refund_id).status == RefundStatus.SUCCEEDED
    assert refreshed(order).refunded_fen == 12_900
    assert steps(request) == ["requested", "accepted", "refunded"]
    assert sorted(e.action for e in audit_trail(request)) == [
        "aftersales.accepted",
        "aftersales.refunded",
        "aftersales.requested",
    ]


def test_a_paid_order_not_yet_shipped_may_ask_for_a_refund_only(order, buyer):
    assert order.status == OrderStatus.PAID
    assert ask(order, buyer).status == AfterSalesStatus.REQUESTED


def test_a_return_is_refused_before_the_goods_were_sent(order, buyer):
    with pytest.raises(ValidationFailed) as refused:
        ask(order, buyer, kind="return_refund")
    assert refused.value.code == "return_before_delivery"


def test_the_buyer_may_add_photos_through_image_intake(order, buyer):
    request = ask(order, buyer)
    photo = aftersales_photo_add(request=request, by=buyer, upload=png())
    assert photo.image.name.endswith(".png") and "photo" not in photo.image.name


# --- return and refund ---------------------------------------------------------------------


def test_a_return_is_refunded_once_the_seller_has_the_goods_back(order, buyer):
    order = receive(order, buyer)
    request = ask(order, buyer, line=vase_line(order), kind="return_refund", reason="quality")
    seller = order.shop.owner

    request = aftersales_accept(request=request, by=seller)
    assert request.status == AfterSalesStatus.ACCEPTED and request.refund is None
    request = aftersales_return_ship(
        request=request, by=buyer, carrier="sf", tracking_number="sf 9876 5432 10"
    )
    assert (request.return_carrier, request.return_tracking_number) == ("SF", "SF9876543210")
    request = aftersales_return_received(request=request, by=seller)
    run_jobs()

    assert request.status == AfterSalesStatus.REFUNDED
    assert refreshed(order).refunded_fen == 35_000
    assert steps(request) == [
        "requested",
        "accepted",
        "return_shipped",
        "return_received",
        "refunded",
    ]


def test_the_seller_cannot_confirm_a_return_never_sent(order, buyer):
    order = ship(order)
    request = ask(order, buyer, kind="return_refund")
    aftersales_accept(request=request, by=order.shop.owner)
    with pytest.raises(InvalidTransition):
        aftersales_return_received(request=request, by=order.shop.owner)


# --- refused, then the platform ------------------------------------------------------------


def test_a_refused_request_escalated_and_accepted_by_an_operator_is_refunded(
    order, buyer, operator
):
    order = ship(order)
    request = ask(order, buyer)
    request = aftersales_refuse(request=request, by=order.shop.owner, reason="已签收无破损")
    assert request.refusal_reason == "已签收无破损"
    request = aftersales_escalate(request=request, by=buyer, note="有开箱视频")
    request = aftersales_decide(request=request, by=operator, accept=True, reason="证据充分")
    run_jobs()

    assert request.status == AfterSalesStatus.REFUNDED
    assert refreshed(order).refunded_fen == 12_900
    assert steps(request) == ["requested", "refused", "escalated", "accepted", "refunded"]


def test_an_operator_refusing_closes_the_request_and_frees_the_line(order, buyer, operator):
    request = ask(order, buyer, quantity=2)
    aftersales_refuse(request=request, by=order.shop.owner, reason="不符合")
    aftersales_escalate(request=request, by=buyer)
    request = aftersales_decide(request=request, by=operator, accept=False, reason="证据不足")

    assert request.status == AfterSalesStatus.CLOSED
    assert ask(order, buyer, quantity=2).amount_fen == 25_800


def test_only_an_operator_decides_and_only_escalated_requests(order, buyer, operator):
    request = ask(order, buyer)
    with pytest.raises(NotFound):
        aftersales_decide(request=request, by=order.shop.owner, accept=True)
    with pytest.raises(InvalidTransition):
        aftersales_decide(request=request, by=operator, accept=True)
    assert AfterSalesRequest.objects.get(pk=request.pk).status == AfterSalesStatus.REQUESTED


def test_a_request_not_refused_cannot_be_escalated(order, buyer):
    request = ask(order, buyer)
    with pytest.raises(InvalidTransition) as refused:
        aftersales_escalate(request=request, by=buyer)
    assert refused.value.code == "aftersales_invalid_transition"


def test_a_refusal_needs_a_reason(order, buyer):
    with pytest.raises(ValidationFailed):
        aftersales_refuse(request=ask(order, buyer), by=order.shop.owner, reason="  ")


# --- unanswered ----------------------------------------------------------------------------


def test_a_request_unanswered_for_three_days_is_accepted_by_itself_once(order, buyer):
    clock.set_frozen(clock.now())
    request = ask(order, buyer)
    clock.advance(timedelta(days=3) - timedelta(seconds=1))
    assert aftersales_auto_accept_due() == 0

    clock.advance(timedelta(seconds=1))
    assert aftersales_auto_accept_due() == 1
    assert aftersales_auto_accept_due() == 0
    run_jobs()

    request.refresh_from_db()
    assert request.status == AfterSalesStatus.REFUNDED
    assert Refund.objects.filter(refs__order=order.public_id).count() == 1
    accepted = request.events.get(to_status="accepted")
    assert accepted.by is None and "自动同意" in accepted.reason


def test_an_answered_request_is_not_accepted_by_itself(order, buyer):
    clock.set_frozen(clock.now())
    request = ask(order, buyer)
    aftersales_refuse(request=request, by=order.shop.owner, reason="不符合")
    clock.advance(timedelta(days=4))
    assert aftersales_auto_accept_due() == 0


# --- limits --------------------------------------------------------------------------------


def test_after_the_window_no_request_is_taken(order, buyer):
    clock.set_frozen(clock.now())
    order = receive(order, buyer)
    clock.advance(timedelta(days=15))
    assert ask(order, buyer).status == AfterSalesStatus.REQUESTED
    clock.advance(timedelta(seconds=1))
    with pytest.raises(ValidationFailed) as refused:
        ask(order, buyer)
    assert refused.value.code == "aftersales_window_closed"


def test_an_unpaid_order_takes_no_request(store, buyer):
    unpaid = orders_of(buy(buyer, (store.lamp, 1)))[0]
    with pytest.raises(InvalidTransition) as refused:
        ask(unpaid, buyer)
    assert refused.value.code == "order_not_eligible"


def test_the_amount_is_capped_at_what_the_line_cost(order, buyer):
    with pytest.raises(ValidationFailed) as refused:
        ask(order, buyer, quantity=2, amount_fen=25_801)
    assert refused.value.code == "amount_exceeds_paid"
    assert refused.value.details["refundable_fen"] == 25_800


def test_requests_on_a_line_together_stay_within_its_cost_and_units(order, buyer):
    ask(order, buyer, quantity=1, amount_fen=20_000)
    with pytest.raises(ValidationFailed) as too_much:
        ask(order, buyer, quantity=1, amount_fen=5_801)
    assert too_much.value.code == "amount_exceeds_paid"
    ask(order, buyer, quantity=1, amount_fen=5_800)
    with pytest.raises(ValidationFailed) as too_many:
        ask(order, buyer, quantity=1, amount_fen=1)
    assert too_many.value.code == "quantity_exceeds_line"


def test_the_amount_is_capped_at_what_the_order_has_left_after_other_refunds(order, buyer):
    order_refund(order=order, amount_fen=60_000, reason="差价", by=order.shop.owner)
    run_jobs()
    with pytest.raises(ValidationFailed) as refused:
        ask(refreshed(order), buyer, line=vase_line(order))
    assert refused.value.details["refundable_fen"] == 800


def test_a_cancelled_request_frees_its_line(order, buyer):
    request = ask(order, buyer, quantity=2)
    aftersales_cancel(request=request, by=buyer)
    assert ask(order, buyer, quantity=2).quantity == 2


@pytest.mark.parametrize(
    "field,value,code", [("kind", "swap", "invalid_kind"), ("reason", "x", "invalid_reason")]
)
def test_kind_and_reason_come_from_fixed_lists(order, buyer, field, value, code):
    with pytest.raises(ValidationFailed) as refused:
        ask(order, buyer, **{field: value})
    assert refused.value.code == code


def test_others_orders_and_requests_are_not_found(order, buyer, other_buyer, store):
    with pytest.raises(NotFound):
        ask(order, other_buyer)
    request = ask(order, buyer)
    with pytest.raises(NotFound):
        aftersales_accept(request=request, by=store.shop_b.owner)
    with pytest.raises(NotFound):
        aftersales_cancel(request=request, by=other_buyer)
    with pytest.raises(NotFound):
        aftersales_accept(request=request, by=buyer)


def test_a_line_of_another_order_is_not_found(order, buyer, store):
    other = orders_of(buy(buyer, (store.cup, 1)))[0]
    with pytest.raises(NotFound):
        ask(order, buyer, line=other.lines.get())


def test_only_allowed_steps_are_taken(order, buyer):
    request = ask(order, buyer)
    aftersales_accept(request=request, by=order.shop.owner)
    run_jobs()
    for step in (
        lambda: aftersales_accept(request=request, by=order.shop.owner),
        lambda: aftersales_refuse(request=request, by=order.shop.owner, reason="晚了"),
        lambda: aftersales_cancel(request=request, by=buyer),
        lambda: aftersales_return_ship(
            request=request, by=buyer, carrier="SF", tracking_number="SF1234567890"
        ),
    ):
        with pytest.raises(InvalidTransition):
            step()
    assert AfterSalesRequest.objects.get(pk=request.pk).status == AfterSalesStatus.REFUNDED


# --- idempotency of the refund -------------------------------------------------------------


def test_the_refund_step_repeated_under_its_key_never_refunds_twice(order, buyer):
    request = aftersales_accept(request=ask(order, buyer), by=order.shop.owner)
    again = order_refund(
        order=refreshed(order),
        amount_fen=request.amount_fen,
        reason="售后退款 " + request.public_id,
        by=order.shop.owner,
        idempotency_key=refund_key(request),
        request_fingerprint=f"{refund_key(request)}:{request.amount_fen}",
    )
    run_jobs()

    assert again.replayed and again.pk == request.refund_id
    assert Refund.objects.filter(refs__order=order.public_id).count() == 1
    assert refreshed(order).refunded_fen == 12_900
