"""The finance back office: read-only books, payout actions, CSV exports."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from designmall.ledger.models import LedgerTransaction, Payout, PayoutStatus
from designmall.ledger.services import (
    escrow_receive_payment,
    escrow_release_to_seller,
    payout_request,
    seller_balance,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def payout(shop_id):
    escrow_receive_payment(payment_ref="p_1", gateway="sandbox", amount_fen=1_000)
    escrow_release_to_seller(
        order_ref="o_1", shop_public_id=shop_id, amount_fen=1_000, commission_bp=1_000
    )
    return payout_request(shop_public_id=shop_id, amount_fen=600)


def _staff(client, *codenames):
    user = make_user(role=None, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def _act(client, action, payout, text):
    return client.post(
        reverse("admin:ledger_payout_changelist"),
        {"action": action, "_selected_action": [payout.pk], "apply": "1", "text": text},
    )


def test_accounts_are_listed_with_their_natural_balances(admin_client, payout, shop_id):
    page = admin_client.get(reverse("admin:ledger_account_changelist")).content.decode()

    assert f"seller:{shop_id}" in page
    assert "¥3.00" in page  # the seller: 900 released less 600 requested
    assert "¥1.00" in page  # the commission


def test_a_transaction_page_shows_its_postings_as_debits_and_credits(admin_client, payout):
    txn = LedgerTransaction.objects.get(kind="escrow_released")

    page = admin_client.get(
        reverse("admin:ledger_ledgertransaction_change", args=[txn.pk])
    ).content.decode()

    assert "¥10.00" in page and "¥9.00" in page
    assert "o_1" in page


def test_the_books_cannot_be_edited_from_the_admin(admin_client, payout):
    txn = LedgerTransaction.objects.first()
    url = reverse("admin:ledger_ledgertransaction_change", args=[txn.pk])

    admin_client.post(url, {"memo": "changed"})
    response = admin_client.post(
        reverse("admin:ledger_ledgertransaction_delete", args=[txn.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert LedgerTransaction.objects.get(pk=txn.pk).memo == ""
    assert admin_client.get(reverse("admin:ledger_account_add")).status_code == 403


def test_finance_marks_payouts_paid_with_a_bank_reference(client, payout):
    _staff(client, "view_payout", "settle_payout")

    response = _act(client, "mark_paid", payout, "BANK-9")

    assert response.status_code == 302
    payout.refresh_from_db()
    assert (payout.status, payout.reference) == (PayoutStatus.PAID, "BANK-9")


def test_the_action_first_asks_for_the_reference(client, payout):
    _staff(client, "view_payout", "settle_payout")

    response = client.post(
        reverse("admin:ledger_payout_changelist"),
        {"action": "mark_paid", "_selected_action": [payout.pk]},
    )

    assert "银行流水号" in response.content.decode()
    assert Payout.objects.get().status == PayoutStatus.REQUESTED


def test_a_failed_payout_returns_the_amount_to_the_seller(client, payout, shop_id):
    _staff(client, "view_payout", "settle_payout")

    _act(client, "mark_failed", payout, "户名不符")

    assert Payout.objects.get().status == PayoutStatus.FAILED
    assert seller_balance(shop_id) == 900


def test_staff_without_the_settle_permission_get_no_payout_actions(client, payout):
    _staff(client, "view_payout")

    page = client.get(reverse("admin:ledger_payout_changelist")).content.decode()
    _act(client, "mark_paid", payout, "BANK-9")

    assert "mark_paid" not in page
    assert Payout.objects.get().status == PayoutStatus.REQUESTED


def test_the_reconciliation_report_downloads_as_csv(client, payout):
    _staff(client, "view_ledgertransaction", "view_payout")
    today = timezone.localdate(payout.requested_at).isoformat()

    response = client.get(
        reverse("admin:ledger_export"), {"report": "reconciliation", "start": today, "end": today}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8-sig")
    assert "sandbox,10.00,0.00,10.00" in text


def test_the_payouts_export_needs_the_payout_view_permission(client, payout):
    _staff(client, "view_ledgertransaction")
    today = timezone.localdate(payout.requested_at).isoformat()

    response = client.get(
        reverse("admin:ledger_export"), {"report": "payouts", "start": today, "end": today}
    )

    assert response.status_code == 403


def test_the_export_form_refuses_an_end_before_the_start(admin_client):
    response = admin_client.get(
        reverse("admin:ledger_export"),
        {"report": "payouts", "start": "2026-09-21", "end": "2026-09-19"},
    )

    assert response.status_code == 200
    assert "开始时间必须早于结束时间" in response.content.decode()
