"""The coupons back office: operators issue platform coupons through the service, pause and
stop them, generate a batch of redemption codes and download it as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.core.money import Money
from designmall.promotions.models import CodeBatch, CouponTemplate, Issuer
from designmall.promotions.services import code_batch_create, coupon_claim_by_code
from tests.factories import make_category, make_shop, make_user

from .conftest import make_platform_coupon, make_shop_coupon

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = make_user(role=Role.OPERATOR)
    client.force_login(user)
    return user


def _split(moment) -> dict[str, str]:
    local = timezone.localtime(moment)
    return {"0": local.strftime("%Y-%m-%d"), "1": local.strftime("%H:%M:%S")}


def coupon_form(**fields) -> dict:
    now = clock.now()
    values = {
        "name_zh": "开幕夜满减",
        "name_en": "Opening night",
        "kind": "spend_off",
        "threshold_fen": 30_000,
        "off_fen": 5_000,
        "percent_off": 0,
        "cap_fen": 0,
        "scope": "all",
        "validity": "fixed",
        "valid_from": now,
        "valid_until": now + timedelta(days=7),
        "claim_starts_at": now,
        "claim_ends_at": now + timedelta(days=7),
        "distribution": "public",
        "total_quantity": 1_000,
        "per_buyer_limit": 2,
        **fields,
    }
    data: dict = {}
    for name, value in values.items():
        if hasattr(value, "tzinfo"):
            for part, text in _split(value).items():
                data[f"{name}_{part}"] = text
        elif isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif name.endswith("_fen") and isinstance(value, int):
            data[name] = Money(value).yuan_str()  # the back office takes yuan
        elif value is not None:
            data[name] = getattr(value, "pk", value)
    return data


@pytest.mark.parametrize("model", ["coupontemplate", "coupon", "codebatch"])
def test_the_lists_open_for_operators(client, staff, model):
    template = make_platform_coupon(by=staff)
    code_batch_create(template=template, quantity=3, by=staff)
    make_shop_coupon(shop=make_shop())

    page = client.get(reverse(f"admin:promotions_{model}_changelist"))

    assert page.status_code == 200


def test_an_operator_issues_a_platform_coupon_from_the_back_office(client, staff):
    chairs = make_category()

    page = client.post(
        reverse("admin:promotions_coupontemplate_add"),
        coupon_form(scope="categories", categories=[chairs]),
    )

    assert page.status_code == 302, page.content.decode()[:2000]
    template = CouponTemplate.objects.get()
    assert template.issuer == Issuer.PLATFORM
    assert template.created_by == staff
    assert template.remaining == 1_000
    assert list(template.categories.all()) == [chairs]


def test_a_coupon_that_cannot_work_is_shown_back_with_the_reason(client, staff):
    page = client.post(reverse("admin:promotions_coupontemplate_add"), coupon_form(off_fen=30_000))

    assert page.status_code == 200
    assert "满减券的减免金额须大于 0 且小于使用门槛" in page.content.decode()
    assert not CouponTemplate.objects.exists()


def test_an_operator_pauses_a_coupon(client, staff):
    template = make_platform_coupon(by=staff)

    client.post(
        reverse("admin:promotions_coupontemplate_changelist"),
        {"action": "pause", "_selected_action": [template.pk]},
    )

    template.refresh_from_db()
    assert template.status == "paused"


def test_an_operator_generates_a_code_batch_and_downloads_it(client, staff):
    template = make_platform_coupon(by=staff, total_quantity=50, distribution="codes")
    url = reverse("admin:promotions_coupontemplate_changelist")
    asked = client.post(url, {"action": "generate_codes", "_selected_action": [template.pk]})
    assert asked.status_code == 200

    done = client.post(
        url,
        {
            "action": "generate_codes",
            "_selected_action": [template.pk],
            "apply": "1",
            "quantity": "20",
            "note": "Lecture hall A",
        },
    )

    batch = CodeBatch.objects.get()
    assert done.status_code == 302
    assert batch.quantity == 20 and batch.note == "Lecture hall A"
    first = batch.codes.order_by("id").first()
    coupon_claim_by_code(code=first.code, buyer=make_user())
    download = client.get(reverse("admin:promotions_codebatch_csv", args=[batch.pk]))
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == ["batch", "code", "coupon", "terms", "claimed", "claimed_at"]
    assert len(rows) == 21
    assert rows[1][1] == first.printed and rows[1][4] == "yes"
    assert {row[4] for row in rows[2:]} == {"no"}


def test_buyers_cannot_download_codes(client):
    operator = make_user(role=Role.OPERATOR)
    batch = code_batch_create(template=make_platform_coupon(by=operator), quantity=1, by=operator)
    client.force_login(make_user())

    page = client.get(reverse("admin:promotions_codebatch_csv", args=[batch.pk]))

    assert page.status_code in (302, 403)
