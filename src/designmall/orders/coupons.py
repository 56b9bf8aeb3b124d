"""Coupons at checkout: what the buyer's chosen coupons take off a priced cart, line by
line (分摊), and the best combination to suggest.

The arithmetic is ``promotions.coupon_math``'s; this module turns a ``PricedCart`` and
coupon public ids into its inputs and its answer into a ``CouponPlan`` the checkout
writes. Read only, without locks: the checkout's transaction then locks the coupons
(``promotions.services.coupons_lock``, one conditional update each), which decides
between two checkouts racing for one coupon.

Refusals (the API's error shape, a readable message on the page):

- ``invalid_coupons`` (422): not a list of coupon ids, or too many;
- ``coupon_used_twice`` (422): the same coupon twice;
- ``coupon_not_found`` (404): no such coupon of the buyer's (someone else's is not
  told apart from none);
- ``coupon_expired`` (409), ``coupon_unavailable`` (409): past its end, or used, held
  by another unpaid checkout or not yet valid;
- ``platform_coupons_do_not_stack``, ``shop_coupons_do_not_stack`` (422): more than one
  platform coupon, or two coupons of one shop;
- ``coupon_covers_nothing``, ``coupon_threshold_not_met``, ``coupon_saves_nothing``
  (422): it does not apply to these lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.errors import Conflict, NotFound, ValidationFailed
from designmall.orders.selectors import PricedCart
from designmall.promotions import coupon_math
from designmall.promotions.models import Coupon, CouponState
from designmall.promotions.selectors import (
    CartLine,
    coupons_for_cart,
    math_coupon,
    math_lines,
)

MAX_COUPONS = 20

_REFUSALS = {
    coupon_math.RefusalCode.NOTHING_COVERED: gettext_noop("这张优惠券不适用于所选商品。"),
    coupon_math.RefusalCode.THRESHOLD_NOT_MET: gettext_noop("未达到这张优惠券的使用门槛。"),
    coupon_math.RefusalCode.DUPLICATE: gettext_noop("同一张优惠券不能使用两次。"),
    coupon_math.RefusalCode.PLATFORM_NOT_STACKABLE: gettext_noop(
        "每次结算只能使用一张平台优惠券。"
    ),
    coupon_math.RefusalCode.SHOP_NOT_STACKABLE: gettext_noop("每家店铺只能使用一张店铺优惠券。"),
}


@dataclass
class CouponPlan:
    """What the chosen coupons do to a checkout (all zero without coupons)."""

    coupon_ids: list[int] = field(default_factory=list)  # primary keys, to lock
    coupon_public_ids: list[str] = field(default_factory=list)
    discount_fen: int = 0
    line_discounts: dict[int, int] = field(default_factory=dict)  # sku id -> fen
    order_discounts: dict[int, int] = field(default_factory=dict)  # shop id -> fen
    platform_discounts: dict[int, int] = field(default_factory=dict)  # shop id -> fen


def clean_coupon_ids(coupons: Any) -> list[str]:
    """The request's coupon public ids, in order; refuses a malformed list and repeats."""
    if coupons is None:
        return []
    if not isinstance(coupons, list | tuple) or len(coupons) > MAX_COUPONS:
        raise ValidationFailed(_("优惠券选择格式不正确。"), code="invalid_coupons")
    seen: set[str] = set()
    for coupon in coupons:
        if not isinstance(coupon, str) or not 0 < len(coupon) <= 40:
            raise ValidationFailed(_("优惠券选择格式不正确。"), code="invalid_coupons")
        if coupon in seen:
            raise ValidationFailed(
                _(_REFUSALS[coupon_math.RefusalCode.DUPLICATE]),
                code=coupon_math.RefusalCode.DUPLICATE.value,
                details={"coupon": coupon},
            )
        seen.add(coupon)
    return list(coupons)


def _cart_lines(priced: PricedCart) -> list[CartLine]:
    return [
        CartLine(key=line.sku.id, product_id=line.sku.product_id, amount_fen=line.line_total_fen)
        for line in priced.lines
        if line.sku is not None and line.line_total_fen > 0
    ]


def coupon_plan(*, buyer: User, coupon_public_ids: Sequence[str], priced: PricedCart) -> CouponPlan:
    """Apply the buyer's chosen coupons to ``priced`` (see the module for refusals)."""
    if not coupon_public_ids:
        return CouponPlan()
    now = clock.now()
    found = {
        coupon.public_id: coupon
        for coupon in Coupon.objects.select_related("template")
        .prefetch_related("template__categories", "template__products")
        .filter(buyer=buyer, public_id__in=list(coupon_public_ids))
    }
    chosen = []
    for public_id in coupon_public_ids:
        coupon = found.get(public_id)
        if coupon is None:
            raise NotFound(
                _("没有找到这张优惠券。"), code="coupon_not_found", details={"coupon": public_id}
            )
        if coupon.state == CouponState.EXPIRED or (
            coupon.state == CouponState.AVAILABLE and coupon.valid_until <= now
        ):
            raise Conflict(
                _("这张优惠券已过期。"), code="coupon_expired", details={"coupon": public_id}
            )
        if coupon.state != CouponState.AVAILABLE or coupon.valid_from > now:
            raise Conflict(
                _("这张优惠券已被使用、已过期或暂不可用。"),
                code="coupon_unavailable",
                details={"coupon": public_id},
            )
        chosen.append(coupon)
    by_pk = {coupon.pk: coupon for coupon in chosen}
    lines = math_lines((line.key, line.product_id, line.amount_fen) for line in _cart_lines(priced))
    try:
        outcome = coupon_math.apply([math_coupon(coupon) for coupon in chosen], lines)
    except coupon_math.CouponRefused as refused:
        raise ValidationFailed(
            _(_REFUSALS[refused.code]),
            code=refused.code.value,
            details={"coupon": by_pk[refused.coupon_id].public_id},
        ) from None
    for applied in outcome.applied:
        if applied.discount_fen <= 0:
            raise ValidationFailed(
                _("这张优惠券对所选商品没有优惠。"),
                code="coupon_saves_nothing",
                details={"coupon": by_pk[applied.coupon.id].public_id},
            )
    shop_of = {line.key: line.shop for line in lines}
    plan = CouponPlan(
        coupon_ids=[coupon.pk for coupon in chosen],
        coupon_public_ids=[coupon.public_id for coupon in chosen],
        discount_fen=outcome.discount_fen,
        line_discounts=outcome.line_discounts(),
    )
    for key, off in plan.line_discounts.items():
        shop = shop_of[key]
        plan.order_discounts[shop] = plan.order_discounts.get(shop, 0) + off
    for applied in outcome.applied:
        if applied.coupon.issuer == coupon_math.Issuer.PLATFORM:
            for key, off in applied.parts.items():
                shop = shop_of[key]
                plan.platform_discounts[shop] = plan.platform_discounts.get(shop, 0) + off
    return plan


@dataclass(frozen=True)
class Suggestion:
    """The buyer's usable coupons for a cart and the best combination of them."""

    usable: list  # promotions.selectors.Usable, soonest to expire first
    best: list[str]  # coupon public ids of the best combination
    best_discount_fen: int


def coupons_suggest(*, buyer: User, priced: PricedCart) -> Suggestion:
    """What the checkout suggests: the buyer's coupons against ``priced`` and the
    combination that saves most (``coupon_math.best``)."""
    found = coupons_for_cart(buyer=buyer, lines=_cart_lines(priced))
    by_pk = {usable.coupon.pk: usable.coupon for usable in found.usable}
    return Suggestion(
        usable=found.usable,
        best=[by_pk[applied.coupon.id].public_id for applied in found.best.applied],
        best_discount_fen=found.best.discount_fen,
    )
