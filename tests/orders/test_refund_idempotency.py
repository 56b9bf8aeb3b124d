"""Idempotency-Key on refunds: a retried refund request (a seller's retry after a timeout,
a double submit) gets the first refund, never a second one; a key reused for another
request is refused; the first error is answered again; keys are kept 24 hours."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import Conflict, PermissionDenied, ValidationFailed
from designmall.core.models import AuditEvent
from designmall.ledger.services import escrow_balance, ledger_verify
from designmall.orders.checkout import idempotency_keys_delete_expired
from designmall.orders.models import IdempotencyKey, IdempotencyScope, OrderStatus
from designmall.orders.services import order_refund
from designmall.payments.models import Payment, Refund, RefundStatus
from tests.factories import make_operator
from tests.orders.conftest import buy, orders_of, pay, refreshed
from tests.payments.conftest import run_jobs

pytestmark = pytest.mark.django_db

KEY = "3f9c0a7e-refund-1"


@pytest.fixture
def paid(store, buyer):
    """Shop A: lamp ×2 (¥258 + ¥15 shipping = ¥273); shop B: cup ×1 (¥74). Paid."""
    checkout = buy(buyer, (store.lamp, 2), (store.cup, 1))
    pay(checkout)
    return orders_of(checkout)


def refund(order, amount_fen=12_900, *, by=None, reason="少发了一件", **kwargs):
    return order_refund(
        order=order, amount_fen=amount_fen, reason=reason, by=by or order.shop.owner, **kwargs
    )


def test_the_same_key_and_request_return_the_first_refund(paid):
    order_a, _ = paid
    first = refund(order_a, idempotency_key=KEY)

    again = refund(order_a, idempotency_key=KEY)

    assert again.pk == first.pk
    assert (first.replayed, again.replayed) == (False, True)
    assert Refund.objects.count() == 1
    assert Payment.objects.get().refunded_fen == 12_900


def test_a_retried_refund_pays_the_buyer_back_once(paid):
    order_a, _ = paid
    refund(order_a, idempotency_key=KEY)
    refund(order_a, idempotency_key=KEY)
    run_jobs()
    refund(order_a, idempotency_key=KEY)  # and once more after it went through
    run_jobs()

    assert [r.status for r in Refund.objects.all()] == [RefundStatus.SUCCEEDED]
    assert refreshed(order_a).refunded_fen == 12_900
    assert escrow_balance() == 27_300 + 7_400 - 12_900
    assert AuditEvent.objects.filter(action="order.refund_requested").count() == 1
    assert ledger_verify() == []


def test_without_a_key_each_request_is_a_new_refund(paid):
    order_a, _ = paid

    refund(order_a)
    refund(order_a)

    assert Refund.objects.count() == 2


@pytest.mark.parametrize(
    "change", [{"amount_fen": 10_000}, {"reason": "另一个原因"}, {"order": "the other"}]
)
def test_the_same_key_with_another_request_is_refused(paid, change):
    order_a, order_b = paid
    operator = make_operator()
    refund(order_a, by=operator, idempotency_key=KEY)
    order = order_b if change.pop("order", None) else order_a

    with pytest.raises(Conflict) as refused:
        refund(order, by=operator, idempotency_key=KEY, **change)

    assert refused.value.code == "idempotency_key_reused"
    assert Refund.objects.count() == 1


def test_the_first_error_is_answered_again_even_once_it_would_succeed(paid):
    order_a, _ = paid
    refund(order_a, 20_000)  # another refund (no key) leaves ¥73 refundable
    with pytest.raises(ValidationFailed) as first:
        refund(order_a, 10_000, idempotency_key=KEY)
    Refund.objects.update(status=RefundStatus.FAILED)  # that refund failed: ¥273 refundable

    with pytest.raises(ValidationFailed) as replayed:
        refund(order_a, 10_000, idempotency_key=KEY)

    assert first.value.code == replayed.value.code == "refund_exceeds_paid"
    assert (replayed.value.status, replayed.value.details) == (422, first.value.details)
    assert Refund.objects.count() == 1
    assert IdempotencyKey.objects.get().error_code == "refund_exceeds_paid"
    assert refund(order_a, 10_000, idempotency_key=KEY + "-2").replayed is False  # a new key


def test_a_refusal_by_permission_is_kept_under_the_key_too(paid, buyer):
    order_a, _ = paid
    with pytest.raises(PermissionDenied):
        refund(order_a, by=buyer, idempotency_key=KEY)
    with pytest.raises(PermissionDenied) as replayed:
        refund(order_a, by=buyer, idempotency_key=KEY)

    assert replayed.value.code == "seller_only"
    assert not Refund.objects.exists()


def test_keys_belong_to_their_user(paid):
    order_a, _ = paid
    operator = make_operator()

    by_seller = refund(order_a, 1_000, idempotency_key=KEY)
    by_operator = refund(order_a, 1_000, by=operator, idempotency_key=KEY)

    assert by_seller.pk != by_operator.pk
    assert by_operator.requested_by == operator


def test_a_checkout_key_and_a_refund_key_do_not_meet(paid, store):
    order_a, _ = paid
    seller = order_a.shop.owner
    bought = buy(seller, (store.cup, 1), idempotency_key=KEY)  # the seller shops too

    refunded = refund(order_a, 1_000, idempotency_key=KEY)

    assert buy(seller, (store.cup, 1), idempotency_key=KEY).pk == bought.pk
    assert refund(order_a, 1_000, idempotency_key=KEY).pk == refunded.pk
    assert sorted(IdempotencyKey.objects.values_list("scope", flat=True)) == [
        IdempotencyScope.CHECKOUT,
        IdempotencyScope.REFUND,
    ]


def test_one_key_refunds_once_even_to_a_fully_refunded_order(paid):
    order_a, _ = paid
    whole = refund(order_a, 27_300, idempotency_key=KEY)
    run_jobs()
    assert refreshed(order_a).status == OrderStatus.REFUNDED

    assert refund(order_a, 27_300, idempotency_key=KEY).pk == whole.pk


def test_a_malformed_key_is_refused(paid):
    order_a, _ = paid

    with pytest.raises(ValidationFailed) as refused:
        refund(order_a, idempotency_key="with space")

    assert refused.value.code == "invalid_idempotency_key"
    assert not Refund.objects.exists()


def test_refund_keys_are_forgotten_after_the_kept_hours(paid, settings):
    order_a, _ = paid
    refund(order_a, 1_000, idempotency_key=KEY)

    later = clock.now() + timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS, minutes=1)
    assert idempotency_keys_delete_expired(now=later - timedelta(minutes=2)) == 0
    assert idempotency_keys_delete_expired(now=later) == 1
    assert not IdempotencyKey.objects.exists()
