"""The back office shows payments with their notifications and refunds, read-only."""

from __future__ import annotations

import pytest

from designmall.core.models import Job
from designmall.payments.models import Refund
from designmall.payments.services import REFUND_JOB, refund_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def back_office(client):
    client.force_login(make_user(role=None, is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def refunded(client, make_payment):
    payment = make_payment(amount_fen=10_000)
    client.post(f"/payments/sandbox/{payment.out_trade_no}/pay")
    payment.refresh_from_db()
    refund_create(payment=payment, amount_fen=4_000, reason="少寄一件")
    return payment


def test_a_payment_page_shows_its_refunds_and_notifications(back_office, refunded):
    changelist = back_office.get("/admin/payments/payment/")
    page = back_office.get(f"/admin/payments/payment/{refunded.pk}/change/")

    assert refunded.out_trade_no in changelist.content.decode()
    text = page.content.decode()
    assert "少寄一件" in text
    assert "credited" in text or "已入账" in text
    assert 'name="_save"' not in text  # read-only


def test_an_operator_can_queue_a_stuck_refund_again(back_office, refunded):
    refund = Refund.objects.get()
    Job.objects.filter(name=REFUND_JOB).update(failed_at=refund.created_at)  # it gave up

    back_office.post(
        "/admin/payments/refund/",
        {"action": "retry", "_selected_action": [refund.pk]},
    )

    assert Job.objects.filter(name=REFUND_JOB, failed_at__isnull=True).count() == 1


def test_the_notification_list_opens(back_office, refunded):
    assert back_office.get("/admin/payments/paymentnotification/").status_code == 200
