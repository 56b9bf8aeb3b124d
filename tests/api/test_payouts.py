"""Payouts in the API: sellers request them (``/seller/payouts``), finance approves or
rejects them (``/finance/payouts``)."""

import json

import pytest

from designmall.accounts.roles import Role
from designmall.catalog.services import shop_for_seller
from designmall.ledger.models import Payout, PayoutStatus
from designmall.ledger.services import escrow_receive_payment, escrow_release_to_seller
from tests.api.conftest import PREFIX, assert_error
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.django_db

PAYEE = {"payee_account": "seller@example.com", "payee_name": "张三"}


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.PAYOUT_SECOND_APPROVAL_FROM_FEN = 50_000


@pytest.fixture
def funded_seller(seller):
    """The seller's shop has ¥1,000.00 to withdraw."""
    shop = shop_for_seller(user=seller)
    escrow_receive_payment(payment_ref="p_1", gateway="sandbox", amount_fen=100_000)
    escrow_release_to_seller(
        order_ref="o_1", shop_public_id=shop.public_id, amount_fen=100_000, commission_bp=0
    )
    return seller


@pytest.fixture
def finance(db):
    return make_user(role=Role.FINANCE)


def _request(api, amount_fen, **headers):
    body = json.dumps({"amount_fen": amount_fen, **PAYEE})
    return api.client.post(
        PREFIX + "/seller/payouts",
        data=body,
        content_type="application/json",
        headers={**api.headers, **headers},
    )


def test_a_seller_requests_a_payout_and_the_balance_drops_at_once(api_as, funded_seller):
    api = api_as(funded_seller)

    response = _request(api, 30_000)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["amount_fen"], body["approvals_required"]) == (
        "requested",
        30_000,
        1,
    )
    assert api.get("/seller/settlement").json()["balance_fen"] == 70_000
    assert [p["public_id"] for p in api.get("/seller/payouts").json()] == [body["public_id"]]
    assert api.get(f"/seller/payouts/{body['public_id']}").json()["payee_name"] == "张三"


def test_a_payout_over_the_balance_is_409_with_the_balance(api_as, funded_seller):
    error = assert_error(_request(api_as(funded_seller), 100_001), 409, "insufficient_balance")

    assert error["details"] == {"balance_fen": 100_000, "amount_fen": 100_001}
    assert Payout.objects.count() == 0


def test_a_retried_request_with_the_same_idempotency_key_is_one_payout(api_as, funded_seller):
    api = api_as(funded_seller)

    first = _request(api, 60_000, **{"Idempotency-Key": "k-1"})
    again = _request(api, 60_000, **{"Idempotency-Key": "k-1"})

    assert again.json()["public_id"] == first.json()["public_id"]
    assert Payout.objects.count() == 1
    assert api.get("/seller/settlement").json()["balance_fen"] == 40_000


def test_a_payout_needs_a_valid_alipay_account(api_as, funded_seller):
    response = api_as(funded_seller).post(
        "/seller/payouts", {"amount_fen": 100, "payee_account": "x", "payee_name": "张三"}
    )

    assert_error(response, 422, "invalid_payee_account")


def test_another_shops_payout_is_404(api_as, funded_seller, seller):
    body = _request(api_as(funded_seller), 100).json()
    other = make_user(role=Role.SELLER)
    make_shop(owner=other)

    assert_error(api_as(other).get(f"/seller/payouts/{body['public_id']}"), 404, "not_found")


def test_finance_approves_and_the_payout_is_queued_for_transfer(api_as, funded_seller, finance):
    payout_id = _request(api_as(funded_seller), 30_000).json()["public_id"]

    response = api_as(finance).post(f"/finance/payouts/{payout_id}/approve")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"


def test_a_large_payout_needs_two_finance_users(api_as, funded_seller, finance):
    payout_id = _request(api_as(funded_seller), 50_000).json()["public_id"]
    first = api_as(finance).post(f"/finance/payouts/{payout_id}/approve")
    assert first.json()["status"] == "requested"

    again = api_as(finance).post(f"/finance/payouts/{payout_id}/approve")
    assert_error(again, 403, "second_approver_required")

    second = api_as(make_user(role=Role.FINANCE)).post(f"/finance/payouts/{payout_id}/approve")
    assert (second.json()["status"], second.json()["approvals"]) == ("approved", 2)


def test_finance_lists_the_approval_queue(api_as, funded_seller, finance):
    payout_id = _request(api_as(funded_seller), 100).json()["public_id"]

    page = api_as(finance).get("/finance/payouts", {"status": "requested"}).json()

    assert [p["public_id"] for p in page["items"]] == [payout_id]
    assert page["items"][0]["out_biz_no"] == payout_id


def test_finance_rejects_with_a_reason_and_the_money_comes_back(api_as, funded_seller, finance):
    api = api_as(funded_seller)
    payout_id = _request(api, 30_000).json()["public_id"]

    response = api_as(finance).post(f"/finance/payouts/{payout_id}/reject", {"reason": "户名不符"})

    assert response.json()["status"] == "rejected"
    assert response.json()["reject_reason"] == "户名不符"
    assert api.get("/seller/settlement").json()["balance_fen"] == 100_000


def test_only_finance_reaches_the_finance_api(api_as, funded_seller, anon):
    payout_id = _request(api_as(funded_seller), 100).json()["public_id"]

    error = assert_error(
        api_as(funded_seller).post(f"/finance/payouts/{payout_id}/approve"), 403, "role_required"
    )
    assert error["details"] == {"role": "finance"}
    assert_error(anon.get("/finance/payouts"), 401, "not_authenticated")
    assert Payout.objects.get().status == PayoutStatus.REQUESTED
