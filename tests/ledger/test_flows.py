"""The money flows: payment into escrow, release to the seller, refunds, payouts."""

import pytest

from designmall.core.errors import Conflict, ValidationFailed
from designmall.core.ids import new_public_id
from designmall.ledger.models import LedgerTransaction
from designmall.ledger.services import (
    account_balance,
    escrow_balance,
    escrow_receive_payment,
    escrow_release_to_seller,
    ledger_verify,
    payout_to_seller,
    platform_revenue,
    refund_from_escrow,
    refund_from_seller,
    seller_balance,
    transactions_for,
)

pytestmark = pytest.mark.django_db


def _paid_and_released(shop_id, *, amount=10_000, bp=800, order="o_1"):
    escrow_receive_payment(payment_ref=f"pay-{order}", gateway="sandbox", amount_fen=amount)
    escrow_release_to_seller(
        order_ref=order, shop_public_id=shop_id, amount_fen=amount, commission_bp=bp
    )


def test_a_payment_raises_the_gateway_asset_and_escrow():
    escrow_receive_payment(payment_ref="p_1", gateway="alipay", amount_fen=12_900)

    assert account_balance("gateway:alipay") == 12_900
    assert escrow_balance() == 12_900


def test_a_release_moves_escrow_to_the_seller_less_commission():
    shop_id = new_public_id("s")

    _paid_and_released(shop_id, amount=10_000, bp=800)

    assert escrow_balance() == 0
    assert seller_balance(shop_id) == 9_200
    assert platform_revenue() == 800


def test_a_release_without_commission_has_no_commission_posting():
    shop_id = new_public_id("s")

    _paid_and_released(shop_id, amount=10_000, bp=0)

    txn = transactions_for("order", "o_1").get()
    assert sorted(txn.postings.values_list("account__code", flat=True)) == [
        "escrow",
        f"seller:{shop_id}",
    ]


def test_a_release_at_full_commission_gives_the_seller_nothing():
    shop_id = new_public_id("s")

    _paid_and_released(shop_id, amount=999, bp=10_000)

    assert (seller_balance(shop_id), platform_revenue()) == (0, 999)


def test_commission_is_rounded_half_up_to_the_fen():
    shop_id = new_public_id("s")

    _paid_and_released(shop_id, amount=1_250, bp=20)  # 2.5 fen

    assert platform_revenue() == 3
    assert seller_balance(shop_id) == 1_247


def test_a_retried_release_records_it_once():
    shop_id = new_public_id("s")
    _paid_and_released(shop_id)

    escrow_release_to_seller(
        order_ref="o_1", shop_public_id=shop_id, amount_fen=10_000, commission_bp=800
    )

    assert seller_balance(shop_id) == 9_200
    assert LedgerTransaction.objects.count() == 2


def test_releasing_an_order_again_with_another_amount_is_a_conflict():
    shop_id = new_public_id("s")
    _paid_and_released(shop_id)

    with pytest.raises(Conflict) as raised:
        escrow_release_to_seller(
            order_ref="o_1", shop_public_id=shop_id, amount_fen=9_000, commission_bp=800
        )
    assert raised.value.code == "ledger_key_reused"


def test_a_refund_before_release_comes_out_of_escrow():
    escrow_receive_payment(payment_ref="p_1", gateway="sandbox", amount_fen=5_000)

    refund_from_escrow(refund_ref="r_1", gateway="sandbox", amount_fen=2_000)

    assert escrow_balance() == 3_000
    assert account_balance("gateway:sandbox") == 3_000


def test_a_refund_after_release_comes_from_the_seller_and_the_commission():
    shop_id = new_public_id("s")
    _paid_and_released(shop_id, amount=10_000, bp=800)

    refund_from_seller(
        refund_ref="r_1",
        shop_public_id=shop_id,
        gateway="sandbox",
        amount_fen=5_000,
        commission_back_fen=400,
    )

    assert seller_balance(shop_id) == 9_200 - 4_600
    assert platform_revenue() == 400
    assert account_balance("gateway:sandbox") == 5_000


def test_a_refund_after_a_payout_leaves_the_seller_in_debt():
    shop_id = new_public_id("s")
    _paid_and_released(shop_id, amount=10_000, bp=0)
    payout_to_seller(payout_ref="po_1", shop_public_id=shop_id, amount_fen=10_000)

    refund_from_seller(
        refund_ref="r_1",
        shop_public_id=shop_id,
        gateway="sandbox",
        amount_fen=3_000,
        commission_back_fen=0,
    )

    assert seller_balance(shop_id) == -3_000


def test_one_refund_cannot_be_booked_both_from_escrow_and_from_the_seller():
    shop_id = new_public_id("s")
    _paid_and_released(shop_id)
    refund_from_escrow(refund_ref="r_1", gateway="sandbox", amount_fen=100)

    with pytest.raises(Conflict):
        refund_from_seller(
            refund_ref="r_1",
            shop_public_id=shop_id,
            gateway="sandbox",
            amount_fen=100,
            commission_back_fen=0,
        )


@pytest.mark.parametrize("back", [-1, 101, 1.0])
def test_commission_back_must_lie_between_zero_and_the_refund(back):
    with pytest.raises(ValidationFailed):
        refund_from_seller(
            refund_ref="r_1",
            shop_public_id=new_public_id("s"),
            gateway="sandbox",
            amount_fen=100,
            commission_back_fen=back,
        )


@pytest.mark.parametrize("amount", [0, -100, 10.5, True, "100"])
def test_flows_take_positive_integer_fen_only(amount):
    with pytest.raises(ValidationFailed):
        escrow_receive_payment(payment_ref="p_1", gateway="sandbox", amount_fen=amount)


@pytest.mark.parametrize("bp", [-1, 10_001, 8.0])
def test_commission_basis_points_lie_within_0_and_10000(bp):
    with pytest.raises(ValidationFailed):
        escrow_release_to_seller(
            order_ref="o_1", shop_public_id=new_public_id("s"), amount_fen=100, commission_bp=bp
        )


def test_an_unknown_gateway_or_shop_id_is_refused():
    with pytest.raises(ValidationFailed):
        escrow_receive_payment(payment_ref="p_1", gateway="Pay Pal", amount_fen=100)
    with pytest.raises(ValidationFailed):
        seller_balance("not a shop")


def test_extra_refs_find_the_transactions_of_an_order():
    shop_id = new_public_id("s")
    escrow_receive_payment(
        payment_ref="p_1", gateway="sandbox", amount_fen=100, refs={"order": "o_1"}
    )
    escrow_release_to_seller(
        order_ref="o_1", shop_public_id=shop_id, amount_fen=100, commission_bp=800
    )
    refund_from_seller(
        refund_ref="r_1",
        shop_public_id=shop_id,
        gateway="sandbox",
        amount_fen=100,
        commission_back_fen=8,
        refs={"order": "o_1"},
    )

    kinds = [t.kind for t in transactions_for("order", "o_1")]
    assert kinds == ["payment_received", "escrow_released", "refund_from_seller"]


def test_after_a_flow_books_balance_and_sellers_have_orders_less_commission_and_refunds():
    shop_a, shop_b = new_public_id("s"), new_public_id("s")
    escrow_receive_payment(payment_ref="p_1", gateway="alipay", amount_fen=30_000)
    escrow_release_to_seller(
        order_ref="o_a", shop_public_id=shop_a, amount_fen=20_000, commission_bp=500
    )
    escrow_release_to_seller(
        order_ref="o_b", shop_public_id=shop_b, amount_fen=7_000, commission_bp=1_000
    )
    refund_from_escrow(refund_ref="r_1", gateway="alipay", amount_fen=3_000)
    refund_from_seller(
        refund_ref="r_2",
        shop_public_id=shop_a,
        gateway="alipay",
        amount_fen=2_000,
        commission_back_fen=100,
    )

    assert ledger_verify() == []
    assert seller_balance(shop_a) == 20_000 - 1_000 - (2_000 - 100)
    assert seller_balance(shop_b) == 7_000 - 700
    assert platform_revenue() == 1_000 + 700 - 100
    assert escrow_balance() == 0
    assert account_balance("gateway:alipay") == 30_000 - 3_000 - 2_000
