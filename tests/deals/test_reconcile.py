"""The Redis path's reconciler: an admission whose order was never written (a crash) is
voided and its unit goes back; a unit lost between the database and Redis comes back;
an emptied Redis is rebuilt from the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.utils import timezone

from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.promotions import deal_admission
from designmall.promotions.deals import (
    _load,
    _ms,
    _write_order,
    deal_buy,
    deal_reconcile,
    deal_settle,
)
from designmall.promotions.models import Deal, DealTicket, TicketStatus
from tests.factories import make_user
from tests.orders.conftest import ADDRESS

from .conftest import schedule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(timezone.now().replace(microsecond=0))
    yield
    clock.reset()


@pytest.fixture
def redis_path(path):
    if path != "redis":
        pytest.skip("the Redis path only")
    return deal_admission.store()


def scheduled(sku, **kw):
    deal = schedule(sku, **kw)
    _load(deal)  # as once the scheduling commits
    return deal


def buy(buyer, deal):
    # The test's transaction never commits: the buy's after-commit step runs here.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return deal_buy(buyer=buyer, deal=deal.public_id, delivery="address", address=ADDRESS)


def test_a_crash_after_admission_is_voided_and_the_unit_goes_back(store, redis_path, buyer):
    deal = scheduled(store.lamp, quantity=2)
    # The process is admitted in Redis, then dies before writing the order.
    admission = redis_path.admit(
        deal.public_id, buyer_id=buyer.pk, token="crashed-1", now_ms=_ms(clock.now())
    )
    assert admission.outcome == "ok"
    assert redis_path.units_left(deal.public_id) == 1
    assert deal_reconcile(deal=deal)["voided"] == 0  # within the grace period: left alone
    clock.set_frozen(clock.now() + timedelta(seconds=61))
    report = deal_reconcile(deal=deal)
    assert report["voided"] == 1
    assert redis_path.units_left(deal.public_id) == 2
    assert DealTicket.objects.get(token="crashed-1").status == TicketStatus.VOID
    # The dead process's order, written late, fails on the voided token.
    with pytest.raises(IntegrityError), transaction.atomic():
        _write_order(
            deal=deal,
            buyer=buyer,
            delivery="address",
            address=ADDRESS,
            token="crashed-1",
            slot=admission.slot,
            seq=admission.seq,
        )
    # And the buyer may buy (the limit came back with the unit).
    assert buy(buyer, Deal.objects.get(pk=deal.pk)).pk


def test_an_admission_whose_order_was_written_is_confirmed(store, redis_path, buyer):
    deal = scheduled(store.lamp, quantity=2)
    admission = redis_path.admit(
        deal.public_id, buyer_id=buyer.pk, token="written-1", now_ms=_ms(clock.now())
    )
    _write_order(
        deal=deal,
        buyer=buyer,
        delivery="address",
        address=ADDRESS,
        token="written-1",
        slot=admission.slot,
        seq=admission.seq,
    )  # ... and the process died before confirming it in Redis
    clock.set_frozen(clock.now() + timedelta(seconds=61))
    report = deal_reconcile(deal=deal)
    assert (report["voided"], report["confirmed"]) == (0, 1)
    assert redis_path.units_left(deal.public_id) == 1
    assert Deal.objects.get(pk=deal.pk).taken == 1
    with pytest.raises(Conflict) as refused:
        buy(buyer, deal)
    assert refused.value.code == "deal_limit_reached"


def test_an_emptied_redis_is_rebuilt_from_the_database(store, redis_path, buyer):
    deal = scheduled(store.lamp, quantity=3)
    buy(buyer, deal)
    redis_path.drop(deal.public_id)  # a Redis restart
    assert redis_path.units_left(deal.public_id) is None
    assert deal_reconcile(deal=deal)["loaded"] == 1
    assert redis_path.units_left(deal.public_id) == 2
    with pytest.raises(Conflict) as refused:
        buy(buyer, deal)
    assert refused.value.code == "deal_limit_reached"
    # A buy finding it empty loads it itself.
    redis_path.drop(deal.public_id)
    buy(make_user(), deal)
    assert redis_path.units_left(deal.public_id) == 1


def test_a_unit_lost_between_the_database_and_redis_comes_back(store, redis_path, buyer):
    deal = scheduled(store.lamp, quantity=2)
    checkout = buy(buyer, deal)
    # Released in the database, but the process died before telling Redis.
    DealTicket.objects.filter(checkout=checkout).update(status=TicketStatus.RELEASED)
    assert redis_path.units_left(deal.public_id) == 1
    report = deal_reconcile(deal=deal)
    assert report["restored"] == 1
    assert redis_path.units_left(deal.public_id) == 2
    assert buy(buyer, deal).pk  # the buyer's count followed the tickets


def test_settling_voids_admissions_still_in_flight(store, redis_path, buyer):
    deal = scheduled(store.lamp, quantity=2)
    redis_path.admit(deal.public_id, buyer_id=buyer.pk, token="late-1", now_ms=_ms(clock.now()))
    clock.set_frozen(clock.now() + timedelta(hours=1))
    assert deal_settle(deal=Deal.objects.get(pk=deal.pk))
    assert DealTicket.objects.get(token="late-1").status == TicketStatus.VOID
    from designmall.inventory.models import StockLevel

    level = StockLevel.objects.get(sku=store.lamp)
    assert (level.available, level.held) == (5, 0)
