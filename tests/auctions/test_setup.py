"""Scheduling sales and lots: their rules are checked when set, fixed once bidding starts;
sales close their lots in turn; increment tables are validated and kept while used."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.auctions.increments import DEFAULT
from designmall.auctions.models import IncrementTable
from designmall.auctions.services import (
    BidRefused,
    increment_table_default,
    increment_table_save,
    lot_update,
    sale_schedule_apply,
)
from designmall.core import clock
from designmall.core.errors import Conflict, PermissionDenied, ValidationFailed
from tests.auctions.conftest import bid, fresh, yuan
from tests.factories import make_lot, make_product, make_sale, make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"reserve_fen": yuan(500)}, "reserve_fen"),
        ({"buy_now_fen": yuan(1_000)}, "buy_now_fen"),
        ({"deposit_fen": yuan(1_000)}, "deposit_fen"),
        ({"deposit_fen": -1}, "deposit_fen"),
        ({"ends_in": timedelta(hours=-2)}, "scheduled_end_at"),
        ({"start_price_fen": 0}, "start_price_fen"),
        ({"estimate_low_fen": yuan(5_000), "estimate_high_fen": yuan(3_000)}, "estimate_low_fen"),
        ({"increments_override": [{"from_fen": 100, "step_fen": 5}]}, None),
    ],
)
def test_lots_that_cannot_run_are_refused_naming_the_field(fields, field):
    with pytest.raises(ValidationFailed) as refused:
        make_lot(**fields)

    if field:
        assert refused.value.details["field"] == field


def test_a_lot_of_an_unapproved_shop_or_with_another_shops_product_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        make_lot(shop=make_shop(status="pending"))
    assert refused.value.details["field"] == "shop"

    with pytest.raises(ValidationFailed) as refused:
        make_lot(product=make_product())
    assert refused.value.details["field"] == "product"


def test_the_sale_deposit_must_stay_below_each_lots_start_price():
    sale = make_sale(deposit_fen=yuan(1_000))

    with pytest.raises(ValidationFailed):
        make_lot(sale=sale, start_price_fen=yuan(1_000))
    make_lot(sale=sale, start_price_fen=yuan(1_001))


def test_a_lot_uses_the_default_increments_unless_given_its_own(alice):
    lot = make_lot()
    assert lot.increment_table == increment_table_default()
    assert increment_table_default().bands == DEFAULT.to_data()

    own = make_lot(increments_override=[{"from_fen": 0, "step_fen": yuan(10)}])
    bid(own, alice, 1_000)
    assert bid(own, make_user(), 1_010).price_fen == yuan(1_010)


def test_rules_change_freely_before_the_first_bid_and_never_after(lot, alice):
    later = fresh(lot).scheduled_end_at + timedelta(hours=1)
    lot = lot_update(lot=lot, by=None, scheduled_end_at=later, reserve_fen=yuan(3_000))
    assert lot.ends_at == later and lot.reserve_fen == yuan(3_000)

    bid(lot, alice, 1_000)
    with pytest.raises(Conflict) as refused:
        lot_update(lot=lot, by=None, reserve_fen=yuan(1_000))
    assert refused.value.code == "lot_rules_fixed"
    assert lot_update(lot=lot, by=None, title_en="Walnut chair").title_en == "Walnut chair"


def test_only_operators_schedule_lots(lot, alice):
    with pytest.raises(PermissionDenied):
        lot_update(lot=lot, by=alice, title_zh="改名")


def test_a_staggered_sale_closes_its_lots_in_turn_but_leaves_lots_with_bids(alice):
    now = clock.now()
    sale = make_sale(ends_in=timedelta(hours=2), stagger_seconds=60)
    lots = [make_lot(sale=sale) for _ in range(3)]
    bid(lots[2], alice, 1_000)
    third_end = fresh(lots[2]).ends_at

    assert sale_schedule_apply(sale=sale, by=None) == 2

    assert [fresh(lot).scheduled_end_at for lot in lots[:2]] == [
        now + timedelta(hours=2),
        now + timedelta(hours=2, minutes=1),
    ]
    assert fresh(lots[0]).ends_at == now + timedelta(hours=2)
    assert fresh(lots[2]).ends_at == third_end
    assert sale_schedule_apply(sale=sale, by=None) == 0


def test_an_increment_table_is_validated_and_can_become_the_default():
    with pytest.raises(ValidationFailed) as refused:
        increment_table_save(
            by=None, name="错表", bands=[{"from_fen": 0, "step_fen": 100}, {"from_fen": 0}]
        )
    assert refused.value.code == "increment_band_invalid"
    with pytest.raises(ValidationFailed) as refused:
        increment_table_save(by=None, name="错表", bands=[{"from_fen": 100, "step_fen": 100}])
    assert refused.value.code == "increment_first_band_not_at_zero"

    old = increment_table_default()
    table = increment_table_save(
        by=None, name="夜场", bands=[{"from_fen": 0, "step_fen": 1_000}], is_default=True
    )

    assert increment_table_default() == table
    assert not fresh(old).is_default
    assert IncrementTable.objects.filter(is_default=True).count() == 1


def test_a_table_a_running_lot_with_bids_follows_cannot_change(lot, alice):
    table = lot.increment_table
    bid(lot, alice, 1_000)

    with pytest.raises(Conflict) as refused:
        increment_table_save(
            by=None, table=table, name=table.name, bands=[{"from_fen": 0, "step_fen": 1}]
        )

    assert refused.value.code == "table_in_use"
    assert increment_table_save(by=None, table=table, name="改名", bands=table.bands).name == "改名"


def test_a_refused_bid_does_not_fix_the_rules(alice):
    lot = make_lot(starts_in=timedelta(hours=1), ends_in=timedelta(hours=2))
    with pytest.raises(BidRefused):
        bid(lot, alice, 1_000)  # too early

    lot = lot_update(lot=lot, by=None, starts_at=clock.now())

    assert bid(lot, alice, 1_000).leading
