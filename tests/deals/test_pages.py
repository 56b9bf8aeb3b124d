"""The deal pages: countdown before the start, the live bar, 已抢光; the product page's
banner; buying from the page; the back office schedules and cancels."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from designmall.promotions.deals import deal_write_queued
from designmall.promotions.models import Deal, DealTicket
from designmall.storefront.views.deals import forget_products_with_deals
from tests.factories import make_user
from tests.orders.conftest import ADDRESS

from .conftest import schedule

pytestmark = pytest.mark.django_db


def test_the_deal_page_counts_down_then_shows_the_bar_then_sold_out(store, path, client):
    upcoming = schedule(store.lamp, quantity=1, starts_in=600)
    page = client.get(reverse("storefront:deal", args=[upcoming.public_id]))
    assert page.status_code == 200
    assert "即将开抢" in page.content.decode()
    assert 'data-phase="upcoming"' in page.content.decode()

    live = schedule(store.vase, quantity=1)
    page = client.get(reverse("storefront:deal", args=[live.public_id])).content.decode()
    assert 'data-phase="live"' in page and "立即抢购" in page

    buyer = make_user()
    client.force_login(buyer)
    form = {"delivery": "address", "idempotency_key": "page-key-1", **ADDRESS}
    bought = client.post(reverse("storefront:deal", args=[live.public_id]), form)
    assert bought.status_code == 302
    if path == "redis":  # answered at admission: the ticket's page, the order behind it
        assert "/tickets/" in bought["Location"]
        deal_write_queued(deal=live)
    assert DealTicket.objects.filter(deal=live, buyer=buyer).count() == 1
    page = Client().get(reverse("storefront:deal", args=[live.public_id])).content.decode()
    assert 'data-phase="sold_out"' in page and "已抢光" in page


def test_the_page_in_english(store, path, client):
    deal = schedule(store.lamp, quantity=1, starts_in=600)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("storefront:deal", args=[deal.public_id])).content.decode()
    assert "Coming soon" in page


def test_the_product_page_shows_its_deal(store, path, client):
    deal = schedule(store.lamp, quantity=2, price_fen=9_900)
    forget_products_with_deals()  # kept per process for a few seconds
    page = client.get(reverse("storefront:product", args=[store.product_a.public_id]))
    body = page.content.decode()
    assert reverse("storefront:deal", args=[deal.public_id]) in body
    assert "¥99.00" in body
    listing = client.get(reverse("storefront:deals")).content.decode()
    assert deal.public_id in listing


def test_the_back_office_schedules_and_cancels(store, path, client):
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:promotions_deal_add")).status_code == 200
    answer = client.post(
        reverse("admin:promotions_deal_add"),
        {
            "sku": store.lamp.pk,
            "title_zh": "",
            "title_en": "",
            "price_fen": "99.00",  # the back office takes yuan
            "quantity": 2,
            "per_buyer_limit": 1,
            "starts_at_0": "2030-01-01",
            "starts_at_1": "10:00:00",
            "ends_at_0": "2030-01-01",
            "ends_at_1": "11:00:00",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    deal = Deal.objects.get()
    assert deal.title_zh == store.product_a.title_zh
    assert client.get(reverse("admin:promotions_deal_changelist")).status_code == 200
    client.post(
        reverse("admin:promotions_deal_changelist"),
        {"action": "cancel", "_selected_action": [deal.pk]},
    )
    deal.refresh_from_db()
    assert deal.status == "cancelled"
