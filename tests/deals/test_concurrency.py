"""Real concurrent connections on PostgreSQL (and Redis): a deal's quantity and the
per-buyer limit hold however many buyers race, on both admission paths; and after
processes die between their Redis admission and their order, the reconciler leaves every
admitted unit an order or back on sale."""

from __future__ import annotations

import threading

import pytest

from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.inventory.models import StockLevel
from designmall.orders.models import Checkout, Order
from designmall.promotions import deal_admission
from designmall.promotions.deals import (
    _ms,
    deal_buy,
    deal_reconcile,
    deal_units_left,
)
from designmall.promotions.models import Deal, DealTicket, TicketStatus
from tests.concurrency import concurrently
from tests.factories import make_user
from tests.orders.conftest import ADDRESS

from .conftest import schedule

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

CONNECTIONS = 20


def buy(buyer, deal):
    return deal_buy(buyer=buyer, deal=deal.public_id, delivery="address", address=ADDRESS)


def outcomes(results):
    won = [r for r in results if isinstance(r, Checkout)]
    refused: dict[str, int] = {}
    for r in results:
        if isinstance(r, Conflict):
            refused[r.code] = refused.get(r.code, 0) + 1
    other = [r for r in results if not isinstance(r, Checkout | Conflict)]
    return won, refused, other


def test_60_buyers_for_5_units_get_exactly_5_orders(on_postgres, store, path):
    deal = schedule(store.lamp, quantity=5)
    buyers = [make_user() for _ in range(60)]

    results = concurrently([lambda b=b: buy(b, deal) for b in buyers], pool=CONNECTIONS)

    won, refused, other = outcomes(results)
    assert other == []
    assert len(won) == 5
    # The database path may lose a race on the deal's row (deal_busy: try again).
    assert refused.get("deal_sold_out", 0) + refused.get("deal_busy", 0) == 55
    assert Order.objects.filter(checkout__in=[c.pk for c in won]).count() == 5
    assert DealTicket.objects.filter(deal=deal, status=TicketStatus.PENDING).count() == 5
    assert len({c.buyer_id for c in won}) == 5
    assert deal_units_left(Deal.objects.get(pk=deal.pk)) == 0
    level = StockLevel.objects.get(sku=store.lamp)
    assert (level.available, level.held) == (0, 5)


def test_one_buyer_in_20_sessions_with_a_limit_of_1_gets_1(on_postgres, store, path, buyer):
    deal = schedule(store.lamp, quantity=5)

    results = concurrently([lambda: buy(buyer, deal) for _ in range(20)], pool=CONNECTIONS)

    won, refused, other = outcomes(results)
    assert other == []
    assert len(won) == 1
    assert set(refused) <= {"deal_limit_reached", "deal_busy"}
    assert DealTicket.objects.filter(deal=deal, buyer=buyer).count() == 1


def test_two_buyers_in_two_sessions_each_with_a_limit_of_2(on_postgres, store, path):
    deal = schedule(store.lamp, quantity=5, per_buyer_limit=2)
    a, b = make_user(), make_user()

    results = concurrently(
        [lambda u=u: buy(u, deal) for u in (a, b) for _ in range(10)], pool=CONNECTIONS
    )

    won, _refused, other = outcomes(results)
    assert other == []
    assert DealTicket.objects.filter(deal=deal, buyer=a).count() <= 2
    assert DealTicket.objects.filter(deal=deal, buyer=b).count() <= 2
    assert len(won) == DealTicket.objects.filter(deal=deal).count()


def test_processes_dying_after_admission_lose_no_unit(on_postgres, store, path):
    """Half the buyers' processes die between Redis's admission and the order (simulated:
    admitted, nothing written); then the reconciler runs: every unit is an order or back
    on sale, and the units sell out to the survivors, never beyond."""
    if path != "redis":
        pytest.skip("the Redis path only")
    redis = deal_admission.store()
    deal = schedule(store.lamp, quantity=5)
    from designmall.promotions.deals import _load

    _load(deal)
    buyers = [make_user() for _ in range(24)]
    died = []
    lock = threading.Lock()

    def dying(buyer):
        admission = redis.admit(
            deal.public_id, buyer_id=buyer.pk, token=f"dead-{buyer.pk}", now_ms=_ms(clock.now())
        )
        if admission.outcome == "ok":
            with lock:
                died.append(admission)
        return admission

    works = [
        (lambda b=b: dying(b)) if i % 2 else (lambda b=b: buy(b, deal))
        for i, b in enumerate(buyers)
    ]
    results = concurrently(works, pool=CONNECTIONS)
    won, _refused, other = outcomes([r for r in results if not hasattr(r, "outcome")])
    assert other == []
    assert len(won) + len(died) == 5
    assert redis.units_left(deal.public_id) == 0

    report = deal_reconcile(deal=Deal.objects.get(pk=deal.pk), grace_seconds=0)

    assert report["voided"] == len(died)
    live = DealTicket.objects.filter(
        deal=deal, status__in=[TicketStatus.PENDING, TicketStatus.PAID]
    ).count()
    assert live == len(won)
    assert redis.units_left(deal.public_id) == 5 - live
    # The units back on sale sell, and no more than them.
    more = [make_user() for _ in range(20)]
    results = concurrently([lambda b=b: buy(b, deal) for b in more], pool=CONNECTIONS)
    won_more, _refused, other = outcomes(results)
    assert other == []
    assert len(won_more) == 5 - live
    assert (
        DealTicket.objects.filter(
            deal=deal, status__in=[TicketStatus.PENDING, TicketStatus.PAID]
        ).count()
        == 5
    )
