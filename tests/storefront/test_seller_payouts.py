"""The seller center's payout form on the settlement page: request a withdrawal to an
Alipay account, see it in the list with its state."""

import re

import pytest
from django.urls import reverse

from designmall.accounts.roles import Role
from designmall.ledger.models import Payout
from designmall.ledger.services import (
    escrow_receive_payment,
    escrow_release_to_seller,
    payout_reject,
    seller_balance,
)
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.django_db
SETTLEMENT = reverse("storefront:seller_settlement")
NEW = reverse("storefront:seller_payout_new")


@pytest.fixture
def shop():
    """A shop with ¥100.00 to withdraw."""
    shop = make_shop()
    escrow_receive_payment(payment_ref="p_1", gateway="sandbox", amount_fen=10_000)
    escrow_release_to_seller(
        order_ref="o_1", shop_public_id=shop.public_id, amount_fen=10_000, commission_bp=0
    )
    return shop


def _form(client, **changes):
    page = client.get(SETTLEMENT).text
    key = re.search(r'name="request_key" value="([^"]+)"', page).group(1)
    return {
        "amount": "60",
        "payee_account": "13800138000",
        "payee_name": "张三",
        "request_key": key,
        **changes,
    }


def test_a_seller_requests_a_payout_and_sees_it_waiting_for_approval(client, shop):
    client.force_login(shop.owner)

    response = client.post(NEW, _form(client), follow=True)

    payout = Payout.objects.get()
    assert (payout.amount_fen, payout.payee_account) == (6_000, "13800138000")
    assert seller_balance(shop.public_id) == 4_000
    page = response.content.decode()
    assert "已申请提现 ¥60.00，等待财务审批。" in page
    assert f'data-payout="{payout.public_id}" data-status="requested"' in page
    assert 'data-balance="4000"' in page


def test_a_double_submit_is_one_payout(client, shop):
    client.force_login(shop.owner)
    form = _form(client, amount="30")

    client.post(NEW, form)
    client.post(NEW, form)

    assert Payout.objects.count() == 1
    assert seller_balance(shop.public_id) == 7_000


def test_more_than_the_balance_is_refused_with_a_clear_message(client, shop):
    client.force_login(shop.owner)

    response = client.post(NEW, _form(client, amount="100.01"))

    assert response.status_code == 422
    assert "超过可提现余额 ¥100.00" in response.content.decode()
    assert Payout.objects.count() == 0


def test_the_form_suggests_the_last_payee_again(client, shop):
    client.force_login(shop.owner)
    client.post(NEW, _form(client, amount="1", payee_account="me@example.com"))

    page = client.get(SETTLEMENT).text

    assert 'value="me@example.com"' in page


def test_a_rejected_payout_shows_the_reason_and_the_money_back(client, shop):
    client.force_login(shop.owner)
    client.post(NEW, _form(client))
    finance = make_user(role=Role.FINANCE)
    payout_reject(payout=Payout.objects.get(), reason="户名与实名不符", by=finance)

    page = client.get(SETTLEMENT).text

    assert 'data-status="rejected"' in page and "户名与实名不符" in page
    assert "提现被驳回，退回余额" in page
    assert 'data-balance="10000"' in page


def test_a_buyer_without_a_shop_cannot_request_a_payout(client):
    client.force_login(make_user())

    assert client.post(NEW, {"amount": "1"}).status_code == 404
