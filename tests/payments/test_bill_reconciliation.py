"""The daily reconciliation against the gateway's bill: finance sees every trade paid at
the gateway that our books miss, and the reverse; money our books miss is found."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.core.models import Job
from designmall.payments.gateways import sandbox
from designmall.payments.gateways.alipay import SHANGHAI
from designmall.payments.models import (
    BillReconciliation,
    BillStatus,
    DiscrepancyKind,
    Payment,
    PaymentStatus,
)
from designmall.payments.reconciliation import bill_reconcile
from designmall.payments.services import refund_create
from designmall.payments.tasks import bills_sweep
from tests.factories import make_user
from tests.payments.conftest import run_jobs

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)
DAY = MORNING.date()


@pytest.fixture(autouse=True)
def _on_the_day():
    clock.set_frozen(MORNING)


def paid(payment) -> Payment:
    sandbox.sandbox_pay(payment=payment)
    run_jobs()
    return Payment.objects.get(pk=payment.pk)


def next_morning() -> None:
    clock.set_frozen(MORNING + timedelta(days=1))


def kinds(report) -> list[str]:
    return sorted(report.discrepancies.values_list("kind", flat=True))


def test_a_day_whose_books_match_the_bill_is_reported_matched(make_payment):
    first, second = paid(make_payment()), paid(make_payment(amount_fen=5_000))
    refund_create(payment=second, amount_fen=1_000, reason="少发一件")
    run_jobs()
    next_morning()

    report = bill_reconcile(gateway="sandbox", bill_date=DAY)

    assert report.status == BillStatus.MATCHED
    assert (report.gateway_trades, report.gateway_paid_fen) == (2, first.amount_fen + 5_000)
    assert (report.gateway_refunded_fen, report.books_refunded_fen) == (1_000, 1_000)
    assert report.books_paid_fen == report.gateway_paid_fen


def test_a_trade_paid_at_the_gateway_that_our_books_miss_is_reported_and_credited(
    make_payment, checkouts
):
    payment = make_payment()
    sandbox.sandbox_pay(payment=payment)
    Job.objects.filter(name=sandbox.NOTIFY_JOB).delete()  # the notification is lost
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.CLOSED)  # closed alone
    next_morning()

    report = bill_reconcile(gateway="sandbox", bill_date=DAY)
    run_jobs()

    assert kinds(report) == [DiscrepancyKind.NOT_IN_BOOKS]
    assert "queried again" in report.discrepancies.get().action
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.refunds.get().status == "succeeded"  # its checkout was gone: money back


def test_a_trade_in_our_books_the_gateway_does_not_know_is_reported(make_payment):
    payment = paid(make_payment())
    Payment.objects.filter(pk=payment.pk).update(trade_no="2026120422009999999999999999")
    next_morning()

    report = bill_reconcile(gateway="sandbox", bill_date=DAY)

    assert kinds(report) == [DiscrepancyKind.NOT_AT_GATEWAY, DiscrepancyKind.NOT_IN_BOOKS]


def test_a_refund_made_at_the_gateway_that_our_books_miss_is_reported(make_payment):
    payment = paid(make_payment())
    refund = refund_create(payment=payment, amount_fen=500, reason="差价")
    run_jobs()
    refund.refresh_from_db()
    type(refund).objects.filter(pk=refund.pk).update(status="pending", succeeded_at=None)
    next_morning()

    report = bill_reconcile(gateway="sandbox", bill_date=DAY)

    assert kinds(report) == [DiscrepancyKind.REFUND_NOT_IN_BOOKS]
    assert report.discrepancies.get().out_request_no == refund.out_request_no


def test_a_second_trade_the_buyer_paid_is_in_the_books_as_an_overpayment(make_payment):
    payment = paid(make_payment())
    sandbox.sandbox_pay_twice(payment=payment)
    run_jobs()
    next_morning()

    report = bill_reconcile(gateway="sandbox", bill_date=DAY)

    assert report.status == BillStatus.MATCHED
    assert report.gateway_trades == 2


def test_running_it_again_replaces_the_days_report(make_payment):
    payment = paid(make_payment())
    Payment.objects.filter(pk=payment.pk).update(trade_no="2026120422009999999999999999")
    next_morning()
    bill_reconcile(gateway="sandbox", bill_date=DAY)
    Payment.objects.filter(pk=payment.pk).update(
        trade_no=sandbox.SandboxTrade.objects.get().trade_no
    )

    report = bill_reconcile(gateway="sandbox", bill_date=DAY)

    assert BillReconciliation.objects.count() == 1
    assert (report.status, kinds(report)) == (BillStatus.MATCHED, [])


def test_a_day_without_trades_has_no_bill_and_matches(make_payment):
    next_morning()
    report = bill_reconcile(gateway="sandbox", bill_date=DAY)
    assert (report.status, report.gateway_trades) == (BillStatus.MATCHED, 0)


def test_a_bill_that_cannot_be_fetched_is_reported_failed_and_tried_again(
    make_payment, monkeypatch
):
    paid(make_payment())
    clock.set_frozen(MORNING + timedelta(days=1, hours=1))

    def unreachable(self, url, data, *, timeout):
        raise OSError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(sandbox.SandboxServer, "post_form", unreachable)
        assert bills_sweep() == 1
    assert BillReconciliation.objects.get().status == BillStatus.FAILED

    clock.advance(timedelta(hours=1))
    assert bills_sweep() == 1
    assert BillReconciliation.objects.get().status == BillStatus.MATCHED


def test_the_daily_sweep_waits_for_the_bill_and_runs_once_a_day(make_payment):
    paid(make_payment())
    clock.set_frozen(MORNING + timedelta(days=1) - timedelta(hours=1))  # 09:00: not yet
    assert bills_sweep() == 0

    clock.advance(timedelta(hours=1))
    assert bills_sweep() == 1
    clock.advance(timedelta(hours=1))
    assert bills_sweep() == 0
    assert BillReconciliation.objects.get().bill_date == DAY


def test_the_sandbox_serves_its_bill_behind_a_short_lived_url(client, make_payment):
    paid(make_payment())
    next_morning()
    url = sandbox.bill_download_url(DAY)
    path = url.removeprefix("http://testserver")

    response = client.get(path)
    clock.advance(timedelta(minutes=10))
    expired = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert expired.status_code == 404


# --- what finance sees -----------------------------------------------------------------------


@pytest.fixture
def finance(client):
    user = make_user(role=Role.FINANCE, is_staff=True)
    client.force_login(user)
    return client


def test_finance_sees_the_days_report_with_each_difference(finance, make_payment):
    payment = paid(make_payment())
    Payment.objects.filter(pk=payment.pk).update(trade_no="2026120422009999999999999999")
    next_morning()
    report = bill_reconcile(gateway="sandbox", bill_date=DAY)

    listing = finance.get("/admin/payments/billreconciliation/")
    page = finance.get(f"/admin/payments/billreconciliation/{report.pk}/change/")

    assert listing.status_code == page.status_code == 200
    assert "2026120422009999999999999999" in page.content.decode()


def test_finance_can_run_a_day_again_from_the_report(finance, make_payment):
    paid(make_payment())
    next_morning()
    report = bill_reconcile(gateway="sandbox", bill_date=DAY)
    BillReconciliation.objects.filter(pk=report.pk).update(status=BillStatus.FAILED)

    finance.post(
        "/admin/payments/billreconciliation/",
        {"action": "run_again", "_selected_action": [report.pk]},
    )

    assert BillReconciliation.objects.get().status == BillStatus.MATCHED


def test_the_command_reconciles_yesterday_and_fails_on_differences(make_payment):
    payment = paid(make_payment())
    next_morning()
    out = io.StringIO()
    call_command("reconcile_bills", stdout=out)
    assert "matched" in out.getvalue()

    Payment.objects.filter(pk=payment.pk).update(trade_no="2026120422009999999999999999")
    with pytest.raises(SystemExit):
        call_command("reconcile_bills", "--date", DAY.isoformat(), stdout=io.StringIO())
