"""Every page of the back office in Chinese: each registered model's list, add and change
page is walked with a small demo week and a paid order in the database, and none names a
column, filter, action or field in English or shows an amount in fen."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from designmall.core.admin import YuanAdminMixin, yuan_column
from designmall.core.fields import YuanFormField
from designmall.core.money import format_fen
from designmall.orders.models import Order
from tests.factories import make_user
from tests.orders.conftest import buy, pay

pytestmark = pytest.mark.django_db

# Words that are the same in Chinese pages (names of things, not English prose).
ALLOWED = {
    "ID",
    "SKU",
    "API",
    "URL",
    "QR",
    "PEM",
    "base64url",
    "IP",
    "Alipay",
    "CSV",
    "Email",
    "PDF",
}
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
DJANGO_OWN = {"auth"}  # Django's own groups admin


def english_words(text: str) -> list[str]:
    return [w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED]


def texts(pattern: str, html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m)).strip()
        for m in re.findall(pattern, html, re.S)
    ]


@pytest.fixture
def back_office(client):
    client.force_login(make_user(role=None, is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def paid_order(store, buyer):
    pay(buy(buyer, (store.lamp, 1), (store.vase, 1)))
    return Order.objects.get(shop=store.shop_a)


def registered():
    return [(m, a) for m, a in admin.site._registry.items() if m._meta.app_label not in DJANGO_OWN]


def list_titles(html: str) -> list[str]:
    """Column headers, filter titles, filter choices' headings and the actions."""
    heads = texts(r'<th scope="col"[^>]*>(.*?)</th>', html)
    filters = texts(r"<summary>(.*?)</summary>", html) + texts(r"<h3>(.*?)</h3>", html)
    actions = texts(r'<option value="[a-z_]+">(.*?)</option>', html)
    return heads + filters + actions


def form_titles(html: str) -> list[str]:
    return (
        texts(r"<label[^>]*>(.*?)</label>", html)
        + texts(r'<th class="column-[^"]*"[^>]*>(.*?)</th>', html)
        + texts(r"<fieldset[^>]*>\s*<h2[^>]*>(.*?)</h2>", html)
    )


def amounts_in_fen(obj, url: str, html: str) -> list[str]:
    """The object's ``*_fen`` fields shown as a bare number of fen on its change page."""
    if obj is None or not url.endswith("/change/"):
        return []
    shown = []
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if not (field.name.endswith("_fen") and isinstance(value, int) and abs(value) >= 100):
            continue
        if f'<div class="readonly">{value}</div>' in html or f'value="{value}"' in html:
            shown.append(field.name)
    return shown


def test_every_admin_shows_money_in_yuan():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in DJANGO_OWN:
            continue
        assert isinstance(model_admin, YuanAdminMixin), model
        for inline in model_admin.inlines:
            assert issubclass(inline, YuanAdminMixin), inline


def test_every_list_and_form_speaks_chinese_and_shows_yuan(seeded, back_office, paid_order):
    found = []
    for model, _model_admin in registered():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        page = back_office.get(reverse(f"{name}_changelist"))
        assert page.status_code == 200, name
        html = page.content.decode()
        found += [f"{name} list: {t}" for t in list_titles(html) if english_words(t)]
        pages = [reverse(f"{name}_add")]
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            pages.append(reverse(f"{name}_change", args=[obj.pk]))
        for url in pages:
            page = back_office.get(url)
            if page.status_code == 403:  # made by the services, never added by hand
                continue
            assert page.status_code == 200, url
            html = page.content.decode()
            found += [f"{url}: {t}" for t in form_titles(html) if english_words(t)]
            found += [f"{url}: {f} in fen" for f in amounts_in_fen(obj, url, html)]
    assert found == [], "\n".join(found)


def test_the_product_list_is_filtered_in_chinese_and_by_yuan(seeded, back_office):
    html = back_office.get(reverse("admin:catalog_product_changelist")).content.decode()
    assert "以 类目" in html and "以 category" not in html
    assert "以 价格" in html and "¥100.00 – ¥500.00" in html
    assert "最低价" in html  # the column, in yuan below
    assert "price_min_fen" not in list_titles(html)


def test_the_order_list_and_page_show_yuan_never_fen(back_office, paid_order):
    total = format_fen(paid_order.total_fen)  # ¥479.00
    listed = back_office.get(reverse("admin:orders_order_changelist")).content.decode()
    assert total in listed and "以 订单金额" in listed
    page = back_office.get(reverse("admin:orders_order_change", args=[paid_order.pk]))
    html = page.content.decode()
    assert total in html and f">{paid_order.total_fen}<" not in html
    assert "订单金额" in html and "（分）" not in html


def test_the_yuan_filter_picks_the_range(back_office, paid_order):
    url = reverse("admin:orders_order_changelist")
    inside = back_office.get(url, {"total_yuan": "100-500"}).content.decode()
    outside = back_office.get(url, {"total_yuan": "2000-10000"}).content.decode()
    assert paid_order.public_id in inside
    assert paid_order.public_id not in outside


def test_editable_amounts_are_typed_in_yuan(seeded, back_office):
    from designmall.auctions.models import Lot

    html = back_office.get(reverse("admin:auctions_lot_add")).content.decode()
    assert "起拍价（元）" in html and "（分）" not in html
    field = re.search(r'<input[^>]*name="start_price_fen"[^>]*>', html)[0]
    assert 'inputmode="decimal"' in field

    lot = Lot.objects.exclude(start_price_fen=None).order_by("pk").first()
    url = reverse("admin:auctions_lot_change", args=[lot.pk])
    html = back_office.get(url).content.decode()
    yuan = f"{lot.start_price_fen // 100}.{lot.start_price_fen % 100:02d}"
    assert format_fen(lot.start_price_fen) in html or f'value="{yuan}"' in html


def test_the_english_back_office_labels_amounts_in_yuan(back_office, paid_order):
    back_office.cookies["django_language"] = "en"
    page = back_office.get(reverse("admin:orders_order_change", args=[paid_order.pk]))
    html = page.content.decode()
    assert "Order total" in html and "(fen)" not in html


def test_a_yuan_column_is_one_object_per_field():
    assert yuan_column(Order, "total_fen") is yuan_column(Order, "total_fen")
    assert str(yuan_column(Order, "total_fen").short_description) == "订单金额"


@pytest.mark.parametrize(
    ("typed", "fen"),
    [("1999", 199_900), ("1,999.00", 199_900), ("¥0.5", 50), (" 12.34 ", 1_234), ("", None)],
)
def test_the_yuan_field_takes_yuan_and_gives_fen(typed, fen):
    field = YuanFormField(required=False, min_value=0)
    assert field.clean(typed) == fen


@pytest.mark.parametrize("typed", ["12.345", "abc", "-1", "1e3"])
def test_the_yuan_field_refuses_what_is_not_an_amount(typed):
    from django import forms

    with pytest.raises(forms.ValidationError):
        YuanFormField(min_value=0).clean(typed)


def test_the_yuan_field_shows_fen_as_yuan():
    field = YuanFormField()
    assert field.prepare_value(199_900) == "1999.00"
    assert field.widget.format_value(5) == "0.05"
