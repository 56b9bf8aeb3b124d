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
    return payout_request(
        shop_public_id=shop_id, amount_fen=600, payee_account="13800138000", payee_name="张三"
    )


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


def test_finance_approves_a_payout_from_the_admin(client, payout, settings):
    settings.PAYOUT_SECOND_APPROVAL_FROM_FEN = 10_000
    user = _staff(client, "view_payout", "approve_payout")

    response = client.post(
        reverse("admin:ledger_payout_changelist"),
        {"action": "approve", "_selected_action": [payout.pk]},
    )

    assert response.status_code == 302
    payout.refresh_from_db()
    assert (payout.status, payout.approved_by) == (PayoutStatus.APPROVED, user)


def test_the_admin_refuses_to_let_finance_approve_their_own_payout(client, shop_id):
    escrow_receive_payment(payment_ref="p_9", gateway="sandbox", amount_fen=500)
    escrow_release_to_seller(
        order_ref="o_9", shop_public_id=shop_id, amount_fen=500, commission_bp=0
    )
    user = _staff(client, "view_payout", "approve_payout")
    own = payout_request(
        shop_public_id=shop_id,
        amount_fen=500,
        payee_account="13800138000",
        payee_name="张三",
        by=user,
    )

    response = client.post(
        reverse("admin:ledger_payout_changelist"),
        {"action": "approve", "_selected_action": [own.pk]},
        follow=True,
    )

    assert "不能审批自己申请的提现" in response.content.decode()
    assert Payout.objects.get(pk=own.pk).status == PayoutStatus.REQUESTED


def test_the_reject_action_first_asks_for_the_reason(client, payout):
    _staff(client, "view_payout", "approve_payout")

    response = client.post(
        reverse("admin:ledger_payout_changelist"),
        {"action": "reject", "_selected_action": [payout.pk]},
    )

    assert "驳回原因" in response.content.decode()
    assert Payout.objects.get().status == PayoutStatus.REQUESTED


def test_a_rejected_payout_returns_the_amount_to_the_seller(client, payout, shop_id):
    _staff(client, "view_payout", "approve_payout")

    _act(client, "reject", payout, "户名不符")

    assert Payout.objects.get().status == PayoutStatus.REJECTED
    assert seller_balance(shop_id) == 900


def test_staff_without_the_approve_permission_get_no_payout_actions(client, payout):
    _staff(client, "view_payout")

    page = client.get(reverse("admin:ledger_payout_changelist")).content.decode()
    client.post(
        reverse("admin:ledger_payout_changelist"),
        {"action": "approve", "_selected_action": [payout.pk]},
    )
    _act(client, "reject", payout, "no")

    assert 'value="approve"' not in page and 'value="reject"' not in page
    assert Payout.objects.get().status == PayoutStatus.REQUESTED


def test_the_reconciliation_report_downloads_as_csv(client, payout):
    _staff(client, "view_ledgertransaction", "view_payout")
    today = timezone.localdate(payout.requested_at).isoformat()

    response = client.get(
        reverse("admin:ledger_export"), {"report": "reconciliation", "start": today, "end": today}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8-sig")
    assert "sandbox,10.00,0.00,0.00,10.00" in text


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
