"""Issuing coupons: operators issue platform coupons, sellers their own shop's; the
amounts, validity and limits are checked before anything is saved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.accounts.roles import Role
from designmall.catalog.models import ShopStatus
from designmall.core import clock
from designmall.core.audit import audit_trail
from designmall.core.errors import Conflict, PermissionDenied, ValidationFailed
from designmall.promotions.models import CouponTemplate, Issuer
from designmall.promotions.services import platform_coupon_create, shop_coupon_create
from tests.factories import make_category, make_product, make_shop, make_user

from .conftest import coupon_values, make_platform_coupon, make_shop_coupon

pytestmark = pytest.mark.django_db


def invalid_field(call) -> str:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.details["field"]


def test_an_operator_issues_a_platform_coupon_with_all_of_it_remaining():
    template = make_platform_coupon(total_quantity=500)

    assert template.issuer == Issuer.PLATFORM
    assert template.shop is None
    assert template.remaining == 500
    assert template.public_id.startswith("cpt_")
    assert audit_trail(template).filter(action="coupon_template.create").exists()


def test_only_operators_issue_platform_coupons():
    with pytest.raises(PermissionDenied):
        platform_coupon_create(by=make_user(role=Role.SELLER), **coupon_values())


def test_a_seller_issues_a_coupon_of_their_own_shop_which_covers_that_shop():
    shop = make_shop()

    template = make_shop_coupon(shop=shop, scope="all")

    assert template.issuer == Issuer.SHOP
    assert template.shop == shop
    assert template.scope == "shop"


def test_a_seller_cannot_issue_coupons_for_another_shop_or_a_shop_not_open():
    shop = make_shop()
    with pytest.raises(PermissionDenied):
        shop_coupon_create(by=make_user(role=Role.SELLER), shop=shop, **coupon_values())
    pending = make_shop(status=ShopStatus.PENDING)
    with pytest.raises(Conflict):
        shop_coupon_create(by=pending.owner, shop=pending, **coupon_values())


def test_a_shop_coupon_lists_only_products_of_its_shop():
    shop = make_shop()
    mine, theirs = make_product(shop=shop), make_product()

    field = invalid_field(
        lambda: make_shop_coupon(shop=shop, scope="products", products=[mine, theirs])
    )

    assert field == "products"
    assert list(make_shop_coupon(shop=shop, scope="products", products=[mine]).products.all()) == [
        mine
    ]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "spend_off", "threshold_fen": 0}, "threshold_fen"),
        ({"kind": "spend_off", "threshold_fen": 2_000, "off_fen": 2_000}, "off_fen"),
        ({"kind": "amount_off", "threshold_fen": 0, "off_fen": 0}, "off_fen"),
        ({"kind": "percent_off", "percent_off": 100, "cap_fen": 5_000}, "percent_off"),
        ({"kind": "percent_off", "percent_off": 15, "cap_fen": 0}, "cap_fen"),
        ({"off_fen": -1}, "off_fen"),
        ({"total_quantity": 0}, "total_quantity"),
        ({"per_buyer_limit": 0}, "per_buyer_limit"),
        ({"validity": "days_from_claim", "valid_days": 0}, "valid_days"),
        ({"valid_from": None}, "valid_until"),
        ({"scope": "shop"}, "shop"),
        ({"scope": "categories"}, "categories"),
        ({"scope": "products"}, "products"),
        ({"name_zh": "  "}, "name_zh"),
    ],
)
def test_coupons_that_cannot_work_are_refused_naming_the_field(values, field):
    assert invalid_field(lambda: make_platform_coupon(**values)) == field
    assert not CouponTemplate.objects.exists()


def test_claims_may_not_end_after_a_fixed_window_coupon_stops_being_valid():
    now = clock.now()
    field = invalid_field(
        lambda: make_platform_coupon(
            claim_ends_at=now + timedelta(days=8), valid_until=now + timedelta(days=7)
        )
    )
    assert field == "claim_ends_at"


def test_a_platform_coupon_scoped_to_categories_keeps_them():
    chairs = make_category()

    template = make_platform_coupon(scope="categories", categories=[chairs])

    assert list(template.categories.all()) == [chairs]
