"""Finance exports: the reconciliation report and the payouts list, as CSV."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission

from designmall.core import clock
from designmall.core.errors import ValidationFailed
from designmall.core.ids import new_public_id
from designmall.ledger.selectors import (
    export_payouts_csv,
    export_reconciliation_csv,
    reconciliation_by_gateway,
    reconciliation_by_seller,
)
from designmall.ledger.services import (
    escrow_receive_payment,
    escrow_release_to_seller,
    payout_approve,
    payout_request,
    payout_transfer_failed,
    payout_transfer_succeeded,
    refund_from_escrow,
    refund_from_seller,
    seller_balance,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY1 = datetime(2026, 9, 20, 10, 0, tzinfo=SHANGHAI)
DAY2 = DAY1 + timedelta(days=1)
DAY3 = DAY1 + timedelta(days=2)


@pytest.fixture
def finance():
    user = make_user(role=None)
    user.user_permissions.add(Permission.objects.get(codename="approve_payout"))
    return user


@pytest.fixture
def shops():
    return sorted([new_public_id("s"), new_public_id("s")])


@pytest.fixture
def history(shops, finance):
    """Day 1: a sale in each shop, released. Day 2: refunds and payouts."""
    a, b = shops
    clock.set_frozen(DAY1)
    escrow_receive_payment(payment_ref="p_1", gateway="alipay", amount_fen=30_000)
    escrow_receive_payment(payment_ref="p_2", gateway="sandbox", amount_fen=5_000)
    escrow_release_to_seller(
        order_ref="o_a", shop_public_id=a, amount_fen=20_000, commission_bp=500
    )
    escrow_release_to_seller(order_ref="o_b", shop_public_id=b, amount_fen=10_000, commission_bp=0)
    clock.set_frozen(DAY2)
    refund_from_escrow(refund_ref="r_1", gateway="sandbox", amount_fen=1_000)
    refund_from_seller(
        refund_ref="r_2",
        shop_public_id=a,
        gateway="alipay",
        amount_fen=4_000,
        commission_back_fen=200,
    )
    payee = {"payee_account": "seller@example.com", "payee_name": "张三"}
    paid = payout_request(shop_public_id=a, amount_fen=5_000, **payee)
    payout_approve(payout=paid, by=finance, gateway="alipay")
    payout_transfer_succeeded(payout=paid, reference="ALI-1")
    failed = payout_request(shop_public_id=b, amount_fen=3_000, **payee)
    payout_approve(payout=failed, by=finance, gateway="alipay")
    payout_transfer_failed(payout=failed, reason="收款账号不存在")
    payout_request(shop_public_id=b, amount_fen=2_000, **payee)
    clock.reset()


def test_gateways_show_received_refunded_paid_out_and_net(history):
    lines = reconciliation_by_gateway(DAY1, DAY3)

    assert [(g.gateway, g.received_fen, g.refunded_fen, g.net_fen) for g in lines] == [
        ("alipay", 30_000, 4_000, 21_000),
        ("sandbox", 5_000, 1_000, 4_000),
    ]
    assert lines[0].paid_out_fen == 5_000  # the payout transferred through Alipay


def test_sellers_show_movements_that_lead_from_opening_to_closing_balance(history, shops):
    a, b = shops

    lines = {s.shop_public_id: s for s in reconciliation_by_seller(DAY1, DAY3)}

    line_a = lines[a]
    assert (line_a.released_fen, line_a.commission_fen) == (20_000, 1_000 - 200)
    assert (line_a.refunded_fen, line_a.paid_out_fen) == (4_000, 5_000)
    assert (line_a.opening_fen, line_a.closing_fen) == (0, seller_balance(a))
    assert lines[b].paid_out_fen == 2_000  # the failed payout came back
    for s in lines.values():
        moved = s.released_fen - s.commission_fen - s.refunded_fen - s.paid_out_fen
        assert s.opening_fen + moved == s.closing_fen


def test_a_later_period_starts_from_the_earlier_closing_balance(history, shops):
    a, _b = shops

    line_a = {s.shop_public_id: s for s in reconciliation_by_seller(DAY2, DAY3)}[a]

    assert line_a.opening_fen == 19_000
    assert (line_a.released_fen, line_a.commission_fen) == (0, -200)
    assert line_a.closing_fen == 19_000 + 200 - 4_000 - 5_000


def test_an_earlier_period_leaves_out_later_transactions(history):
    lines = reconciliation_by_gateway(DAY1, DAY2)

    assert [(g.gateway, g.refunded_fen) for g in lines] == [("alipay", 0), ("sandbox", 0)]


def test_the_reconciliation_csv_has_a_gateway_table_and_a_seller_table(history, shops):
    rows = list(csv.reader(io.StringIO(export_reconciliation_csv(DAY1, DAY3))))

    assert rows[2] == ["支付渠道", "收款（元）", "退款（元）", "提现转出（元）", "净额（元）"]
    assert rows[3] == ["alipay", "300.00", "40.00", "50.00", "210.00"]
    assert rows[6][0] == "店铺编号"
    assert rows[7] == [shops[0], "0.00", "200.00", "8.00", "40.00", "50.00", "102.00"]


def test_the_payouts_csv_lists_the_periods_payouts_oldest_first(history, shops):
    rows = list(csv.reader(io.StringIO(export_payouts_csv(DAY2, DAY3))))

    assert [r[1:5] for r in rows[1:]] == [
        [shops[0], "50.00", "已打款", "ALI-1"],
        [shops[1], "30.00", "打款失败", ""],
        [shops[1], "20.00", "待审批", ""],
    ]
    assert rows[1][5] == "2026-09-21T10:00:00+08:00"
    assert rows[2][7] == "收款账号不存在"
    assert rows[1][8:] == ["seller@example.com", "1/1"]


def test_a_period_outside_the_payouts_has_only_the_header(history):
    assert export_payouts_csv(DAY1, DAY2).count("\n") == 1


@pytest.mark.parametrize(
    "start,end",
    [(DAY2, DAY1), (DAY1, DAY1), (DAY1.replace(tzinfo=None), DAY2)],
    ids=["reversed", "empty", "naive"],
)
def test_a_bad_period_is_refused(start, end):
    with pytest.raises(ValidationFailed):
        export_payouts_csv(start, end)
    with pytest.raises(ValidationFailed):
        export_reconciliation_csv(start, end)
