"""Operators decide escalated after-sales requests in the back office."""

from __future__ import annotations

import pytest
from django.urls import reverse

from designmall.orders.aftersales import aftersales_create, aftersales_escalate, aftersales_refuse
from designmall.orders.models import AfterSalesStatus
from tests.factories import make_user
from tests.orders.conftest import buy, orders_of, pay
from tests.payments.conftest import run_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalated(store, buyer):
    checkout = buy(buyer, (store.lamp, 1))
    pay(checkout)
    order = orders_of(checkout)[0]
    request = aftersales_create(
        order=order,
        line=order.lines.get(),
        by=buyer,
        kind="refund_only",
        reason="damaged",
        quantity=1,
    )
    aftersales_refuse(request=request, by=order.shop.owner, reason="不同意")
    return aftersales_escalate(request=request, by=buyer)


@pytest.fixture
def platform(client):
    client.force_login(make_user(role=None, is_staff=True, is_superuser=True))
    return client


def changelist():
    return reverse("admin:orders_aftersalesrequest_changelist")


def test_the_list_and_a_request_with_its_timeline_open(platform, escalated):
    assert platform.get(changelist(), {"q": escalated.public_id}).status_code == 200
    page = platform.get(reverse("admin:orders_aftersalesrequest_change", args=[escalated.pk]))
    assert page.status_code == 200 and "escalated" in page.content.decode()


def test_an_operator_accepts_an_escalated_request_and_it_is_refunded(platform, escalated):
    platform.post(changelist(), {"action": "decide_accept", "_selected_action": [escalated.pk]})
    run_jobs()
    escalated.refresh_from_db()
    assert escalated.status == AfterSalesStatus.REFUNDED


def test_an_operator_refuses_with_a_reason_and_the_request_is_closed(platform, escalated):
    platform.post(
        changelist(),
        {
            "action": "decide_refuse",
            "_selected_action": [escalated.pk],
            "apply": "1",
            "reason": "证据不足",
        },
    )
    escalated.refresh_from_db()
    assert escalated.status == AfterSalesStatus.CLOSED
    assert escalated.events.last().reason == "证据不足"
