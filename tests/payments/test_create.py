"""Creating a payment: what it holds, and what is refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from designmall.core import clock
from designmall.core.audit import audit_trail
from designmall.core.errors import Conflict, DomainError, ValidationFailed
from designmall.payments.models import PaymentStatus
from designmall.payments.services import payment_create, payment_start
from tests.payments.conftest import PAYABLE

pytestmark = pytest.mark.django_db
MOMENT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_a_new_payment_is_pending_for_the_timeout_with_an_unguessable_trade_number(
    make_payment, buyer, settings
):
    settings.PAYMENT_TIMEOUT_MINUTES = 20
    with clock.frozen_at(MOMENT):
        payment = make_payment(amount_fen=12_900, payable_id="co_1")

    assert payment.status == PaymentStatus.PENDING
    assert (payment.amount_fen, payment.refunded_fen) == (12_900, 0)
    assert (payment.payable_type, payment.payable_id) == (PAYABLE, "co_1")
    assert payment.gateway == "sandbox"
    assert payment.expires_at == MOMENT + timedelta(minutes=20)
    # Alipay's rules (letters and digits, at most 64), 128 random bits after the date.
    assert re.fullmatch(r"DM20261120[0-9a-f]{32}", payment.out_trade_no)
    assert payment.public_id.startswith("pay_")
    assert audit_trail(payment).get().action == "payment.created"


def test_a_payable_may_give_its_payment_a_later_expiry_but_never_a_past_one(make_payment, settings):
    settings.PAYMENT_TIMEOUT_MINUTES = 15
    with clock.frozen_at(MOMENT):
        held = make_payment(expires_at=MOMENT + timedelta(minutes=30))
        assert held.expires_at == MOMENT + timedelta(minutes=30)
        with pytest.raises(ValueError):
            make_payment(expires_at=MOMENT)


def test_trade_numbers_are_never_reused(make_payment):
    numbers = {make_payment().out_trade_no for _ in range(20)}

    assert len(numbers) == 20


@pytest.mark.parametrize("amount_fen", [0, -1, True, 12.5, 100_000_000_01])
def test_amounts_must_be_whole_positive_fen_within_alipays_limit(make_payment, amount_fen):
    with pytest.raises(ValidationFailed) as refused:
        make_payment(amount_fen=amount_fen)
    assert refused.value.code == "invalid_amount"


def test_characters_alipay_refuses_are_taken_out_of_the_subject(make_payment):
    payment = make_payment(subject=" 灯 / 椅 & 桌=套装\n")

    assert payment.subject == "灯 椅 桌 套装"


def test_an_empty_subject_is_refused(make_payment):
    with pytest.raises(ValidationFailed) as refused:
        make_payment(subject=" / ")
    assert refused.value.code == "subject_required"


def test_a_payable_type_nobody_registered_is_a_programming_error(buyer):
    with pytest.raises(LookupError):
        payment_create(
            buyer=buyer, amount_fen=100, subject="x", payable_type="nobody", payable_id="1"
        )


def test_the_sandbox_cannot_take_payments_where_it_is_switched_off(make_payment, settings):
    settings.PAYMENTS_SANDBOX_ENABLED = False

    with pytest.raises(DomainError) as refused:
        make_payment(gateway="sandbox")

    assert (refused.value.code, refused.value.status) == ("gateway_unavailable", 503)


def test_a_payment_cannot_be_started_once_it_expired(make_payment):
    payment = make_payment()
    assert payment_start(payment=payment).url.endswith(f"/sandbox/{payment.out_trade_no}/")
    clock.advance(timedelta(minutes=15))

    with pytest.raises(Conflict) as refused:
        payment_start(payment=payment)

    assert refused.value.code == "payment_not_payable"
