"""The demo week's coupons: platform coupons (one for everything, a new-buyer one, one for
lighting), shop coupons of the demo seller's shop and of a few other open shops, and a
redemption-code batch (兑换码) of the lecture coupon, handed out at talks; the demo buyer
has claimed some of them and redeemed one code.

Every date is relative to the moment of building (``now``): claimable since yesterday,
valid until the end of the design week (or N days from claiming). Written through
``promotions.services``, as an operator and the sellers would.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from designmall.accounts.models import User
from designmall.catalog.models import Category, Shop, ShopStatus
from designmall.demo.accounts import OPERATOR_EMAIL, SELLER_EMAIL
from designmall.demo.programme import BUYER_EMAIL
from designmall.promotions.models import CodeBatch, Coupon, CouponTemplate, RedemptionCode
from designmall.promotions.services import (
    code_batch_create,
    coupon_claim,
    coupon_claim_by_code,
    platform_coupon_create,
    shop_coupon_create,
)

WEEK_LEFT = timedelta(days=8)  # the design week's days to come, and a day's grace
CODE_BATCH = 60
OTHER_SHOPS = 6


def coupons_wipe() -> None:
    """Delete every coupon, code and template (before the shops and the demo accounts)."""
    RedemptionCode.objects.all().delete()
    CodeBatch.objects.all().delete()
    Coupon.objects.all().delete()
    CouponTemplate.objects.all().delete()


def _window(now: datetime, **values) -> dict:
    start = now - timedelta(days=1)
    end = now + WEEK_LEFT
    window = {"claim_starts_at": start, "claim_ends_at": end}
    if values.get("validity") == "days_from_claim":
        return window | values
    return window | {"validity": "fixed", "valid_from": start, "valid_until": end} | values


def coupons_write(*, now: datetime) -> dict[str, int]:
    operator = User.objects.get(email=OPERATOR_EMAIL)
    buyer = User.objects.get(email=BUYER_EMAIL)
    platform = [
        platform_coupon_create(
            by=operator,
            **_window(
                now,
                name_zh="设计周满减券",
                name_en="Design Week coupon",
                kind="spend_off",
                threshold_fen=30_000,
                off_fen=4_000,
                total_quantity=5_000,
                per_buyer_limit=2,
            ),
        ),
        platform_coupon_create(
            by=operator,
            **_window(
                now,
                name_zh="新人立减券",
                name_en="Welcome coupon",
                kind="amount_off",
                off_fen=1_000,
                threshold_fen=5_000,
                validity="days_from_claim",
                valid_days=7,
                total_quantity=10_000,
            ),
        ),
    ]
    lighting = Category.objects.filter(slug="lighting").first()
    if lighting is not None:
        platform.append(
            platform_coupon_create(
                by=operator,
                **_window(
                    now,
                    name_zh="灯具九折券",
                    name_en="Lighting 10% off",
                    kind="percent_off",
                    percent_off=10,
                    cap_fen=5_000,
                    scope="categories",
                    categories=[lighting],
                    total_quantity=800,
                ),
            )
        )
    lecture = platform_coupon_create(
        by=operator,
        **_window(
            now,
            name_zh="设计周讲座兑换券",
            name_en="Design Week talk coupon",
            kind="spend_off",
            threshold_fen=10_000,
            off_fen=2_000,
            validity="days_from_claim",
            valid_days=14,
            distribution="codes",
            total_quantity=1_000,
        ),
    )
    batch = code_batch_create(
        template=lecture, quantity=CODE_BATCH, by=operator, note="设计周主题讲座现场发放"
    )

    shop_coupons = []
    seller_shop = Shop.objects.filter(owner__email=SELLER_EMAIL, status=ShopStatus.APPROVED).first()
    if seller_shop is not None:
        shop_coupons += [
            shop_coupon_create(
                by=seller_shop.owner,
                shop=seller_shop,
                **_window(
                    now,
                    name_zh="店铺满减券",
                    name_en="Shop coupon",
                    kind="spend_off",
                    threshold_fen=50_000,
                    off_fen=6_000,
                    total_quantity=300,
                ),
            ),
            shop_coupon_create(
                by=seller_shop.owner,
                shop=seller_shop,
                **_window(
                    now,
                    name_zh="店铺九五折",
                    name_en="5% off the shop",
                    kind="percent_off",
                    percent_off=5,
                    cap_fen=3_000,
                    validity="days_from_claim",
                    valid_days=3,
                    total_quantity=200,
                ),
            ),
        ]
    others = (
        Shop.objects.filter(status=ShopStatus.APPROVED)
        .exclude(pk=getattr(seller_shop, "pk", None))
        .select_related("owner")
        .order_by("id")[:OTHER_SHOPS]
    )
    for shop in others:
        shop_coupons.append(
            shop_coupon_create(
                by=shop.owner,
                shop=shop,
                **_window(
                    now,
                    name_zh="设计周店铺券",
                    name_en="Design Week shop coupon",
                    kind="spend_off",
                    threshold_fen=20_000,
                    off_fen=2_000,
                    total_quantity=100,
                ),
            )
        )

    claimed = [coupon_claim(template=template, buyer=buyer) for template in platform[:2]]
    claimed += [coupon_claim(template=template, buyer=buyer) for template in shop_coupons[:1]]
    first_code = batch.codes.order_by("id").first()
    claimed.append(coupon_claim_by_code(code=first_code.code, buyer=buyer))
    return {
        "coupon templates": len(platform) + 1 + len(shop_coupons),
        "redemption codes": CODE_BATCH,
        "coupons claimed": len(claimed),
    }
