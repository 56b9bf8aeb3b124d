"""After-sales under real concurrent connections (PostgreSQL): requests racing for one
line never claim more than it had, and a request accepted by several connections at once
(a double click, the sweeper and the seller together) is refunded once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import DomainError
from designmall.orders.aftersales import (
    aftersales_accept,
    aftersales_auto_accept,
    aftersales_create,
)
from designmall.orders.models import AfterSalesRequest, AfterSalesStatus
from designmall.payments.models import Refund
from tests.concurrency import concurrently
from tests.orders.conftest import buy, orders_of, pay

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def order(store, buyer):
    checkout = buy(buyer, (store.lamp, 2))
    pay(checkout)
    return orders_of(checkout)[0]


def test_ten_requests_racing_for_a_line_of_two_make_two(on_postgres, order, buyer):
    line = order.lines.get()

    def ask():
        return aftersales_create(
            order=order, line=line, by=buyer, kind="refund_only", reason="damaged", quantity=1
        )

    results = concurrently([ask] * 10, pool=10)

    made = [r for r in results if isinstance(r, AfterSalesRequest)]
    assert len(made) == 2
    assert all(isinstance(r, DomainError) for r in results if r not in made)
    assert sum(r.amount_fen for r in AfterSalesRequest.objects.all()) == 25_800


def test_a_request_accepted_at_once_by_seller_and_sweeper_is_refunded_once(
    on_postgres, order, buyer
):
    request = aftersales_create(
        order=order,
        line=order.lines.get(),
        by=buyer,
        kind="refund_only",
        reason="damaged",
        quantity=2,
    )
    AfterSalesRequest.objects.filter(pk=request.pk).update(
        reply_due_at=clock.now() - timedelta(seconds=1)
    )
    seller = order.shop.owner
    works = [lambda: aftersales_accept(request=request, by=seller)] * 4 + [
        lambda: aftersales_auto_accept(request=request)
    ] * 4

    concurrently(works, pool=8)

    assert AfterSalesRequest.objects.get().status == AfterSalesStatus.REFUNDED
    assert Refund.objects.filter(refs__order=order.public_id).count() == 1
