"""核销 under real concurrent connections (PostgreSQL): redemptions racing for the same
items never hand over more than the quantity, and one serial sent at once from several
connections counts once."""

from __future__ import annotations

import pytest

from designmall.core import clock
from designmall.core.errors import DomainError
from designmall.o2o import redemption
from designmall.o2o.redemption_models import Redemption
from designmall.orders.models import OrderStatus
from tests.concurrency import concurrently
from tests.o2o.pickup_helpers import booth_order, local_noon

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _noon():
    clock.set_frozen(local_noon())


def test_ten_counters_racing_for_three_units_hand_over_three(on_postgres):
    order, redeemable = booth_order(units=3)
    seller = order.shop.owner

    def redeem_one(n):
        return lambda: redemption.redeem(
            redeemable=redeemable, by=seller, serial=f"RACE-{n:08d}", device=f"pos-{n}", units=1
        )

    results = concurrently([redeem_one(n) for n in range(10)], pool=10)

    made = [r for r in results if isinstance(r, redemption.Redeemed)]
    assert len(made) == 3
    assert all(
        isinstance(r, DomainError) and r.code == "over_redemption" for r in results if r not in made
    )
    assert [i.redeemed for i in redemption.items_of(redeemable)] == [3]
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED_UP


def test_one_serial_sent_at_once_from_eight_connections_counts_once(on_postgres):
    order, redeemable = booth_order(units=5)
    seller = order.shop.owner

    def redeem():
        return redemption.redeem(
            redeemable=redeemable, by=seller, serial="SAME-00000001", device="pos-1", units=2
        )

    results = concurrently([redeem] * 8, pool=8)

    assert all(isinstance(r, redemption.Redeemed) for r in results), results
    assert sum(not r.replayed for r in results) == 1
    assert Redemption.objects.count() == 1
    assert [i.redeemed for i in redemption.items_of(redeemable)] == [2]
