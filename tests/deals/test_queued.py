"""Answered at admission, the order written behind it (the Redis path): a winner is told
at once (202, a ticket: 排队中) and the order follows; the ticket shows it once written;
the same Idempotency-Key answers the same ticket; a crash leaves the order to the
reconciler, which writes it; an order refused when written gives the unit back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from designmall.core import clock
from designmall.promotions import deal_admission
from designmall.promotions.deals import (
    _load,
    deal_grab,
    deal_reconcile,
    deal_ticket_state,
    deal_units_left,
    deal_write_admission,
    deal_write_queued,
)
from designmall.promotions.models import Deal, DealTicket, TicketStatus
from tests.api.conftest import assert_error
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


def grab(buyer, deal, **kw):
    return deal_grab(buyer=buyer, deal=deal.public_id, delivery="address", address=ADDRESS, **kw)


def test_a_winner_is_answered_queued_before_any_order_is_written(store, redis_path, buyer):
    deal = scheduled(store.lamp, quantity=2)
    answer = grab(buyer, deal)
    assert (answer.status, answer.checkout) == ("queued", None)
    assert not DealTicket.objects.filter(deal=deal).exists()
    assert deal_units_left(deal) == 1  # the unit is the buyer's already
    assert deal_ticket_state(buyer=buyer, deal=deal.public_id, ticket=answer.ticket).status == (
        "queued"
    )


def test_the_written_order_shows_on_the_ticket_once(store, redis_path, buyer):
    deal = scheduled(store.lamp, quantity=2)
    answer = grab(buyer, deal)
    assert deal_write_admission(deal=deal, token=answer.ticket)
    assert not deal_write_admission(deal=deal, token=answer.ticket)  # once
    checkout = DealTicket.objects.get(token=answer.ticket).checkout
    shown = deal_ticket_state(buyer=buyer, deal=deal.public_id, ticket=answer.ticket)
    assert (shown.status, shown.checkout.pk) == ("ordered", checkout.pk)
    ticket = DealTicket.objects.get(token=answer.ticket)
    assert ticket.admitted_at is not None and ticket.admitted_at <= ticket.created_at
    _free, admitted = redis_path.snapshot(deal.public_id)
    assert admitted == []


def test_the_limit_holds_while_the_order_is_queued(store, redis_path, buyer):
    deal = scheduled(store.lamp, quantity=3)
    grab(buyer, deal)
    with pytest.raises(Exception) as refused:
        grab(buyer, deal)
    assert refused.value.code == "deal_limit_reached"


def test_the_same_idempotency_key_answers_the_same_ticket(store, redis_path, buyer):
    deal = scheduled(store.lamp, quantity=3)
    first = grab(buyer, deal, idempotency_key="press-1")
    again = grab(buyer, deal, idempotency_key="press-1")
    assert (again.ticket, again.status) == (first.ticket, "queued")
    assert deal_units_left(deal) == 2  # one unit taken, not two
    deal_write_queued(deal=deal)
    written = grab(buyer, deal, idempotency_key="press-1")
    assert (written.ticket, written.status) == (first.ticket, "ordered")
    with pytest.raises(Exception) as reused:
        deal_grab(buyer=buyer, deal=deal.public_id, delivery="pickup", idempotency_key="press-1")
    assert reused.value.code == "idempotency_key_reused"


def test_a_ticket_is_only_its_buyers(store, redis_path, buyer):
    deal = scheduled(store.lamp, quantity=2)
    answer = grab(buyer, deal)
    with pytest.raises(Exception) as hidden:
        deal_ticket_state(buyer=make_user(), deal=deal.public_id, ticket=answer.ticket)
    assert hidden.value.code == "deal_ticket_not_found"


def test_an_order_left_unwritten_by_a_crash_is_written_by_the_reconciler(store, redis_path, buyer):
    deal = scheduled(store.lamp, quantity=2)
    answer = grab(buyer, deal)  # ... and the process died with the order in its queue
    assert deal_reconcile(deal=deal)["written"] == 0  # within the grace period
    clock.set_frozen(clock.now() + timedelta(seconds=61))
    report = deal_reconcile(deal=deal)
    assert (report["written"], report["voided"]) == (1, 0)
    ticket = DealTicket.objects.get(token=answer.ticket)
    assert ticket.status == TicketStatus.PENDING and ticket.buyer_id == buyer.pk
    assert deal_units_left(Deal.objects.get(pk=deal.pk)) == 1


def test_an_order_refused_when_written_gives_the_unit_back(store, redis_path, buyer):
    deal = scheduled(store.lamp, quantity=1)
    answer = grab(buyer, deal)
    buyer.is_active = False  # the account closed before its order was written
    buyer.save(update_fields=["is_active"])
    assert deal_write_queued(deal=deal) == 0
    assert DealTicket.objects.get(token=answer.ticket).status == TicketStatus.VOID
    assert deal_units_left(deal) == 1  # back on sale
    buyer.is_active = True
    buyer.save(update_fields=["is_active"])
    shown = deal_ticket_state(buyer=buyer, deal=deal.public_id, ticket=answer.ticket)
    assert shown.status == "failed"
    assert grab(make_user(), deal).status == "queued"  # another buyer takes it


def test_the_api_answers_202_then_the_ticket_until_ordered(store, redis_path, api_as):
    deal = scheduled(store.lamp, quantity=1)
    buyer = make_user()
    api = api_as(buyer)
    answer = api.post(f"/deals/{deal.public_id}/buy", {"delivery": "pickup"})
    assert answer.status_code == 202, answer.json()
    body = answer.json()
    assert (body["status"], body["checkout"], body["poll_after_ms"]) == ("queued", None, 1000)
    assert body["message"] == "抢到了，正在生成订单……"
    url = f"/deals/{deal.public_id}/tickets/{body['ticket']}"
    assert api.get(url).json()["status"] == "queued"
    assert_error(api_as(make_user()).get(url), 404, "deal_ticket_not_found")
    deal_write_queued(deal=deal)
    api.headers["Accept-Language"] = "en"
    shown = api.get(url).json()
    assert shown["status"] == "ordered" and shown["poll_after_ms"] == 0
    assert shown["checkout"]["status"] == "pending_payment"
    assert shown["message"] == "You got one — your order is ready; please pay soon."


def test_the_deal_page_shows_the_queue_then_goes_to_the_cashier(store, redis_path, client):
    deal = scheduled(store.lamp, quantity=1)
    client.force_login(make_user())
    form = {"delivery": "address", "idempotency_key": "page-key-q", **ADDRESS}
    bought = client.post(reverse("storefront:deal", args=[deal.public_id]), form)
    assert bought.status_code == 302
    queued = client.get(bought["Location"])
    page = queued.content.decode()
    assert queued.status_code == 200 and "抢到了，正在生成订单……" in page
    assert "data-deal-ticket" in page and "排队中" in page
    client.cookies["django_language"] = "en"
    assert "your order is being written" in client.get(bought["Location"]).content.decode()
    client.cookies["django_language"] = "zh-hans"
    deal_write_queued(deal=deal)
    onward = client.get(bought["Location"])
    assert onward.status_code == 302 and onward["Location"] != bought["Location"]
