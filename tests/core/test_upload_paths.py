"""Every upload path, walked with every hostile file (issue 11, items 6 and 10).

The paths: a product image from the seller center's page and from the seller API; in the
back office, a designer's portrait, an event's cover, an auction sale's cover and a lot's
images. Each hostile file is either refused (422 in the API's error shape, the message on
the page, nothing stored) or stored re-encoded under a random name with the detected
format's extension, and then served as an image with ``nosniff``, never as HTML.

``test_every_file_field_goes_through_intake`` keeps the list honest: a new file field that
does not take its files through intake fails it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import models
from django.test import Client
from django.urls import reverse

from designmall.accounts.roles import Role
from designmall.auctions.models import AuctionSale, LotImage
from designmall.catalog.models import Designer, ProductImage, ProductStatus
from designmall.core.fields import SafeImageField
from designmall.core.mediamend import file_fields
from designmall.events.models import Event
from tests.api.conftest import ApiClient, assert_error, token_for
from tests.core.hostile_files import HOSTILE, HOSTILE_IDS, SCRIPT, Hostile
from tests.factories import (
    make_designer,
    make_event,
    make_lot,
    make_product,
    make_sale,
    make_shop,
    make_user,
)

pytestmark = pytest.mark.django_db

MESSAGES = {
    "invalid_image": "无法识别的图片文件",
    "image_format_not_allowed": "只支持 JPEG、PNG、WebP 图片",
    "image_too_large": "图片尺寸太大",
}
STORED_NAME = re.compile(r"^[a-z/0-9]*/[0-9a-f]{32}\.(png|jpg|webp)$")


# --- the back office's forms, submitted as a browser would -------------------------------------


class _FormScraper(HTMLParser):
    """The fields of the page's multipart form (the admin's change form) with the values a
    browser would send: text and hidden inputs, checked boxes, selected options, textareas."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("enctype") == "multipart/form-data":
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("file", "submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def admin_submit(client: Client, url: str, files: dict):
    page = client.get(url)
    assert page.status_code == 200, url
    scraper = _FormScraper()
    scraper.feed(page.text)
    data: dict[str, list[str]] = {}
    for name, value in scraper.fields:
        data.setdefault(name, []).append(value)
    return client.post(url, {**data, **files, "_continue": "1"})


# --- the paths --------------------------------------------------------------------------------


class UploadPath:
    key = ""
    page = True  # refusals show as a page message (False: the API's error shape)

    def __init__(self, client: Client):
        self.client = client

    def send(self, hostile: Hostile):
        raise NotImplementedError

    def stored(self) -> list[str]:
        """Names of the files the path has stored."""
        raise NotImplementedError


class SellerPage(UploadPath):
    key = "seller_page"

    def __init__(self, client):
        super().__init__(client)
        shop = make_shop()
        self.product = make_product(shop=shop, status=ProductStatus.DRAFT)
        client.force_login(shop.owner)

    def send(self, hostile):
        url = reverse("storefront:seller_image_add", args=[self.product.public_id])
        return self.client.post(url, {"image-image": hostile.upload(), "image-alt": "正面"})

    def stored(self):
        return [i.image.name for i in ProductImage.objects.filter(product=self.product)]


class SellerApi(UploadPath):
    key = "seller_api"
    page = False

    def __init__(self, client):
        super().__init__(client)
        seller = make_user(role=Role.SELLER)
        self.product = make_product(shop=make_shop(owner=seller), status=ProductStatus.DRAFT)
        self.api = ApiClient(client, token_for(seller))

    def send(self, hostile):
        path = f"/seller/products/{self.product.public_id}/images"
        return self.api.upload(path, {"image": hostile.upload()}, {"alt": "正面"})

    def stored(self):
        return [i.image.name for i in ProductImage.objects.filter(product=self.product)]


class _BackOffice(UploadPath):
    def __init__(self, client):
        super().__init__(client)
        client.force_login(make_user(role=None, is_staff=True, is_superuser=True))


class DesignerPortrait(_BackOffice):
    key = "admin_designer_portrait"

    def __init__(self, client):
        super().__init__(client)
        self.designer = make_designer()

    def send(self, hostile):
        url = reverse("admin:catalog_designer_change", args=[self.designer.pk])
        return admin_submit(self.client, url, {"portrait": hostile.upload()})

    def stored(self):
        return [n for n in [Designer.objects.get(pk=self.designer.pk).portrait.name] if n]


class EventCover(_BackOffice):
    key = "admin_event_cover"

    def __init__(self, client):
        super().__init__(client)
        self.event = make_event()

    def send(self, hostile):
        url = reverse("admin:events_event_change", args=[self.event.pk])
        return admin_submit(self.client, url, {"cover": hostile.upload()})

    def stored(self):
        return [n for n in [Event.objects.get(pk=self.event.pk).cover.name] if n]


class SaleCover(_BackOffice):
    key = "admin_auction_sale_cover"

    def __init__(self, client):
        super().__init__(client)
        self.sale = make_sale()

    def send(self, hostile):
        url = reverse("admin:auctions_auctionsale_change", args=[self.sale.pk])
        return admin_submit(self.client, url, {"cover": hostile.upload()})

    def stored(self):
        return [n for n in [AuctionSale.objects.get(pk=self.sale.pk).cover.name] if n]


class LotImages(_BackOffice):
    key = "admin_lot_image"

    def __init__(self, client):
        super().__init__(client)
        self.lot = make_lot(starts_in=timedelta(days=1), ends_in=timedelta(days=2))

    def send(self, hostile):
        url = reverse("admin:auctions_lot_change", args=[self.lot.pk])
        return admin_submit(self.client, url, {"images-0-image": hostile.upload()})

    def stored(self):
        return [i.image.name for i in LotImage.objects.filter(lot=self.lot)]


def _aftersales_request():
    """A buyer's request on a paid order (marked paid directly: the payment is not walked)."""
    from designmall.orders.aftersales import aftersales_create
    from designmall.orders.checkout import checkout_create
    from designmall.orders.models import Order

    buyer = make_user()
    product = make_product(shop=make_shop(), skus=[(12_900, 5)])
    checkout = checkout_create(
        buyer=buyer,
        lines=[(product.skus.get().public_id, 1)],
        delivery="pickup",
    )
    Order.objects.filter(checkout=checkout).update(status="paid")
    order = Order.objects.get(checkout=checkout)
    request = aftersales_create(
        order=order,
        line=order.lines.get(),
        by=buyer,
        kind="refund_only",
        reason="damaged",
        quantity=1,
    )
    return buyer, request


class AfterSalesPage(UploadPath):
    key = "aftersales_page"

    def __init__(self, client):
        super().__init__(client)
        buyer, self.request = _aftersales_request()
        client.force_login(buyer)

    def send(self, hostile):
        # The photos come with a new request on the order page; a refusal is shown there.
        from designmall.orders.models import AfterSalesRequest

        AfterSalesRequest.objects.filter(pk=self.request.pk).update(status="cancelled")
        order = self.request.order
        url = reverse("storefront:aftersales_create", args=[order.public_id])
        form = {"line": str(self.request.line_id), "kind": "refund_only", "reason": "damaged"}
        response = self.client.post(url, {**form, "quantity": "1", "photos": hostile.upload()})
        if self.stored():
            return response
        return self.client.get(reverse("storefront:order", args=[order.public_id]))

    def stored(self):
        from designmall.orders.models import AfterSalesPhoto

        return [p.image.name for p in AfterSalesPhoto.objects.all()]


class AfterSalesApi(UploadPath):
    key = "aftersales_api"
    page = False

    def __init__(self, client):
        super().__init__(client)
        buyer, self.request = _aftersales_request()
        self.api = ApiClient(client, token_for(buyer))

    def send(self, hostile):
        path = f"/aftersales/{self.request.public_id}/photos"
        return self.api.upload(path, {"image": hostile.upload()})

    def stored(self):
        return [p.image.name for p in self.request.photos.all()]


PATHS = [
    SellerPage,
    SellerApi,
    DesignerPortrait,
    EventCover,
    SaleCover,
    LotImages,
    AfterSalesPage,
    AfterSalesApi,
]
PATH_IDS = [p.key for p in PATHS]


# --- the walk ---------------------------------------------------------------------------------


def assert_served_as_image(client: Client, name: str, content_type: str):
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response.get("Content-Disposition", "").startswith("attachment")
    assert SCRIPT not in b"".join(response.streaming_content)


@pytest.mark.parametrize("hostile", HOSTILE, ids=HOSTILE_IDS)
@pytest.mark.parametrize("path_class", PATHS, ids=PATH_IDS)
def test_every_upload_path_refuses_or_reencodes_every_hostile_file(
    client, settings, path_class, hostile
):
    path = path_class(client)
    response = path.send(hostile)
    if hostile.refused:
        if path.page:
            assert response.status_code == 200, response.status_code
            assert MESSAGES[hostile.refused] in response.text
        else:
            assert_error(response, 422, hostile.refused)
        assert path.stored() == []
        return
    assert response.status_code in (201, 302), response.content[:2000]
    (name,) = path.stored()
    assert STORED_NAME.match(name), name
    expected = "image/png" if hostile.data.startswith(b"\x89PNG") else "image/jpeg"
    assert name.endswith(".png" if expected == "image/png" else ".jpg")
    stored = (settings.MEDIA_ROOT / name).read_bytes()
    assert SCRIPT not in stored
    assert_served_as_image(Client(), name, expected)


@pytest.mark.parametrize("path_class", PATHS, ids=PATH_IDS)
def test_every_upload_path_takes_a_plain_webp(client, path_class):
    from tests.core.hostile_files import picture

    path = path_class(client)
    webp = Hostile("webp", "photo.jpg", "image/jpeg", lambda: picture("WEBP"), None)
    response = path.send(webp)
    assert response.status_code in (201, 302), response.content[:2000]
    (name,) = path.stored()
    assert name.endswith(".webp") and STORED_NAME.match(name)
    assert_served_as_image(Client(), name, "image/webp")


@pytest.mark.parametrize("path_class", PATHS, ids=PATH_IDS)
def test_every_upload_path_refuses_an_image_over_the_pixel_limit_setting(
    client, settings, path_class
):
    from tests.core.hostile_files import picture

    settings.IMAGE_MAX_PIXELS = 30 * 30
    path = path_class(client)
    response = path.send(Hostile("big", "a.png", "image/png", lambda: picture("PNG"), None))
    if path.page:
        assert MESSAGES["image_too_large"] in response.text
    else:
        error = assert_error(response, 422, "image_too_large")
        assert error["details"] == {"max_pixels": 900, "width": 48, "height": 32}
    assert path.stored() == []


def test_every_file_field_goes_through_intake():
    """Every file field of every model stores through image intake: a new upload path
    cannot store a file as it came."""
    fields = file_fields()
    assert fields, "no file fields found"
    plain = [f"{m._meta.label}.{f.name}" for m, f in fields if not isinstance(f, SafeImageField)]
    assert plain == []
    walked = {
        ("catalog.ProductImage", "image"),
        ("catalog.Designer", "portrait"),
        ("events.Event", "cover"),
        ("auctions.AuctionSale", "cover"),
        ("auctions.LotImage", "image"),
        ("orders.AfterSalesPhoto", "image"),
    }
    assert {(m._meta.label, f.name) for m, f in fields} == walked
    assert all(isinstance(f, models.ImageField) for _m, f in fields)
