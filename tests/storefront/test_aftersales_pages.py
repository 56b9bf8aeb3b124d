"""After-sales on the order pages: the buyer asks (with photos) and follows the steps, the
seller answers, both see the request's timeline."""

# The orders tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from designmall.orders.models import AfterSalesRequest, AfterSalesStatus
from designmall.orders.services import order_confirm_receipt, order_ship
from tests.orders.conftest import (  # noqa: F401  (fixtures: two shops, buyers, the sandbox)
    _orders_settings,
    _payments_settings,
    buy,
    buyer,
    keys,
    orders_of,
    other_buyer,
    pay,
    refreshed,
    sandbox_key_dir,
    store,
    worker_transport,
)
from tests.payments.conftest import run_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(store, buyer):
    checkout = buy(buyer, (store.lamp, 2))
    pay(checkout)
    return orders_of(checkout)[0]


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


def ask(client, order, **typed):
    form = {
        "line": str(order.lines.get().pk),
        "kind": "refund_only",
        "reason": "damaged",
        "quantity": "1",
        "note": "灯罩有裂纹",
    } | typed
    return client.post(reverse("storefront:aftersales_create", args=[order.public_id]), form)


def test_the_buyer_sees_the_form_and_asks_with_a_photo(client, buyer, order):
    client.force_login(buyer)
    page = client.get(reverse("storefront:order", args=[order.public_id])).content.decode()
    assert "data-aftersales-form" in page and "申请售后" in page

    ask(client, order, photos=png())

    request = AfterSalesRequest.objects.get()
    assert (request.status, request.amount_fen, request.photos.count()) == ("requested", 12_900, 1)
    page = client.get(reverse("storefront:order", args=[order.public_id])).content.decode()
    assert request.public_id in page and "data-aftersales-timeline" in page


def test_a_refused_request_shows_its_message_and_keeps_nothing(client, buyer, order):
    client.force_login(buyer)
    response = ask(client, order, quantity="3", photos=png())
    assert response.status_code == 302
    assert not AfterSalesRequest.objects.exists()


def test_the_seller_accepts_on_the_order_page_and_the_buyer_is_refunded(client, buyer, order):
    client.force_login(buyer)
    ask(client, order)
    request = AfterSalesRequest.objects.get()
    client.force_login(order.shop.owner)
    page = client.get(reverse("storefront:seller_order", args=[order.public_id])).content.decode()
    assert "data-aftersales-accept" in page

    client.post(reverse("storefront:seller_aftersales_accept", args=[request.public_id]))
    run_jobs()

    request.refresh_from_db()
    assert request.status == AfterSalesStatus.REFUNDED
    assert refreshed(order).refunded_fen == 12_900


def test_a_return_walks_refuse_escalate_and_return_through_the_pages(client, buyer, order):
    order_ship(order=order, by=order.shop.owner, carrier="SF", tracking_number="SF1234567890")
    order_confirm_receipt(order=refreshed(order), by=buyer)
    client.force_login(buyer)
    ask(client, order, kind="return_refund")
    request = AfterSalesRequest.objects.get()
    client.force_login(order.shop.owner)
    client.post(
        reverse("storefront:seller_aftersales_refuse", args=[request.public_id]),
        {"reason": "已超出退货条件"},
    )
    client.force_login(buyer)
    client.post(reverse("storefront:aftersales_escalate", args=[request.public_id]))
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.ESCALATED


def test_others_cannot_reach_a_request(client, other_buyer, buyer, order):
    client.force_login(buyer)
    ask(client, order)
    request = AfterSalesRequest.objects.get()
    client.force_login(other_buyer)
    response = client.post(reverse("storefront:aftersales_cancel", args=[request.public_id]))
    assert response.status_code == 404
    response = ask(client, order)
    assert response.status_code == 404


def test_english_pages_show_the_panel_in_english(english, buyer, order):
    english.force_login(buyer)
    ask(english, order)
    page = english.get(reverse("storefront:order", args=[order.public_id])).content.decode()
    assert "Ask for after-sales" in page and "Refund only" in page and "Damaged" in page
    assert "申请售后" not in page and "待卖家处理" not in page
