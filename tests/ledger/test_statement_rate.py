"""A release's commission rate is kept as data and shown in the reader's language."""

import pytest
from django.utils import translation

from designmall.core.ids import new_public_id
from designmall.core.money import percent_from_bp
from designmall.ledger import selectors, services

pytestmark = pytest.mark.django_db

SHOP = new_public_id("sh")


@pytest.mark.parametrize(
    ("bp", "shown"), [(800, "8%"), (850, "8.5%"), (1234, "12.34%"), (0, "0%"), (10_000, "100%")]
)
def test_basis_points_read_as_a_percentage(bp, shown):
    assert percent_from_bp(bp) == shown


def _released_at(bp: int):
    services.escrow_receive_payment(payment_ref="pay-1", gateway="alipay", amount_fen=10_000)
    return services.escrow_release_to_seller(
        order_ref="o-1", shop_public_id=SHOP, amount_fen=10_000, commission_bp=bp
    )


def test_a_release_keeps_its_commission_rate_as_data():
    assert _released_at(850).commission_bp == 850


def test_the_statement_names_the_rate_in_each_language():
    _released_at(850)
    with translation.override("zh-hans"):
        (entry,) = selectors.seller_statement(shop_public_id=SHOP).entries
        assert entry.memo == "佣金费率 8.5%"
    with translation.override("en"):
        (entry,) = selectors.seller_statement(shop_public_id=SHOP).entries
        assert entry.memo == "Commission rate 8.5%"


def test_a_transaction_without_a_rate_shows_its_memo_as_written():
    services.escrow_receive_payment(payment_ref="pay-2", gateway="alipay", amount_fen=500)
    txn = services.ledger_post(
        key="adjust-1",
        kind="adjustment",
        postings=[("escrow", 500), (f"seller:{SHOP}", -500)],
        memo="人工调整",
    )
    assert txn.commission_bp is None
    (entry,) = selectors.seller_statement(shop_public_id=SHOP).entries
    assert entry.memo == "人工调整"
