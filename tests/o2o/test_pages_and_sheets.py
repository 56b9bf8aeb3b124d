"""The pages a printed code opens, the seller's booths page, and the print sheets."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from designmall.o2o import printing, services, sheets
from designmall.o2o.admin import BoothAdmin
from designmall.o2o.models import Booth
from tests.factories import make_lot, make_operator, make_product, make_shop, make_user
from tests.o2o.test_booths import assign

pytestmark = pytest.mark.django_db


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


def test_qr_matrix_is_square_and_deterministic():
    matrix = printing.qr_matrix("http://localhost:8000/o/e/0123456789/")
    assert len(matrix) == len(matrix[0]) >= 21
    assert matrix == printing.qr_matrix("http://localhost:8000/o/e/0123456789/")


def test_a_booth_sheet_is_a_pdf_with_a_card_and_label_pages():
    shop = make_shop(name_zh="木与光", name_en="Wood and Light")
    booth = assign(shop=shop)
    for n in range(9):
        services.exhibit_create(booth=booth, by=shop.owner, kind="shown", title_zh=f"作品{n}")
    pdf = sheets.booth_sheet_pdf(booth)
    assert pdf.startswith(b"%PDF")
    assert _pages(pdf) == 1 + 2  # the card, then 9 labels on two A4 pages
    assert b"STSong-Light" in pdf  # Chinese without shipping a font
    card = sheets.booth_card(booth)
    assert card.url.endswith(f"/o/b/{booth.code}/") and card.name_en == "Wood and Light"


def test_the_seller_downloads_only_its_own_booths_sheet(client):
    booth = assign()
    url = reverse("storefront:seller_booth_sheet", args=[booth.public_id])
    client.force_login(make_shop().owner)
    assert client.get(url).status_code == 404
    client.force_login(booth.shop.owner)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_the_operator_downloads_sheets_from_the_back_office():
    operator = make_operator()
    booths = [assign(), assign()]
    request = RequestFactory().post("/")
    request.user = operator
    admin = BoothAdmin(Booth, site)
    response = admin.download_sheets(request, Booth.objects.filter(pk__in=[b.pk for b in booths]))
    assert response["Content-Type"] == "application/pdf"
    assert _pages(response.content) == 2


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_scanned_pages_show_the_booth_and_the_exhibit(client, language):
    shop = make_shop(name_zh="木与光", name_en="Wood and Light")
    booth = assign(shop=shop)
    product = make_product(shop=shop, title_zh="胡桃木椅", title_en="Walnut Chair")
    item = services.exhibit_create(
        booth=booth,
        by=shop.owner,
        kind="product",
        product=product.public_id,
        story_zh="一把椅子的故事",
        story_en="The story of a chair",
    )
    client.cookies["django_language"] = language
    page = client.get(f"/o/b/{booth.code}/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert (b"Wood and Light" if language == "en" else "木与光".encode()) in page.content
    page = client.get(f"/o/e/{item.code.upper()}/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    text = page.content.decode()
    assert ("Walnut Chair" if language == "en" else "胡桃木椅") in text
    assert ("The story of a chair" if language == "en" else "一把椅子的故事") in text
    assert reverse("storefront:product", args=[product.public_id]) in text
    assert client.get("/o/e/zzzzzzzzzz/").status_code == 404


def test_a_lot_exhibit_page_shows_the_live_price(client):
    shop = make_shop()
    booth = assign(shop=shop)
    lot = make_lot(shop=shop, start_price_fen=50_000)
    item = services.exhibit_create(booth=booth, by=shop.owner, kind="lot", lot=lot.public_id)
    page = client.get(f"/o/e/{item.code}/")
    assert page.status_code == 200 and b"data-lot-price" in page.content


def test_the_seller_lists_and_removes_exhibits_on_its_booths_page(client):
    shop = make_shop()
    booth = assign(shop=shop)
    client.force_login(shop.owner)
    assert client.get(reverse("storefront:seller_booths")).status_code == 200
    client.post(
        reverse("storefront:seller_exhibit_add", args=[booth.public_id]),
        {"kind": "shown", "title_zh": "原型灯", "title_en": "Prototype lamp"},
    )
    item = booth.exhibits.get()
    assert item.title_en == "Prototype lamp"
    client.force_login(make_user())
    response = client.post(reverse("storefront:seller_exhibit_remove", args=[item.public_id]))
    assert response.status_code == 404
    client.force_login(shop.owner)
    client.post(reverse("storefront:seller_exhibit_remove", args=[item.public_id]))
    item.refresh_from_db()
    assert not item.is_active


def test_the_show_pages_in_english_have_no_chinese_of_ours(client):
    shop = make_shop(name_zh="木与光", name_en="Wood and Light")
    booth = assign(shop=shop)
    product = make_product(shop=shop, title_zh="胡桃木椅", title_en="Walnut Chair")
    item = services.exhibit_create(
        booth=booth, by=shop.owner, kind="product", product=product.public_id, story_en="Story"
    )
    client.force_login(shop.owner)
    client.cookies["django_language"] = "en"
    for url in (
        f"/o/b/{booth.code}/",
        f"/o/e/{item.code}/",
        reverse("storefront:show_my_scans"),
        reverse("storefront:seller_booths"),
    ):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        main = html[html.index("<main") : html.index("</main>")]
        main = re.sub(r"<option[^>]*>[^<]*</option>", "", main)  # shop data in pickers
        assert not re.search(r"[\u4e00-\u9fff]", main), (
            url,
            re.findall(r".{30}[\u4e00-\u9fff]+.{10}", main),
        )
