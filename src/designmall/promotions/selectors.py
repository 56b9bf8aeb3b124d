"""Reads of coupons: what a buyer may claim on a product or shop page, the buyer's own
coupons (with the state the clock gives them), and which of them apply to a cart."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.catalog.models import Category, Product, Shop
from designmall.core import clock
from designmall.core.errors import NotFound
from designmall.core.money import format_fen
from designmall.promotions import coupon_math
from designmall.promotions.models import (
    CodeBatch,
    Coupon,
    CouponKind,
    CouponState,
    CouponTemplate,
    Distribution,
    Issuer,
    ScopeKind,
    TemplateStatus,
)

# --- from models to the pure module ---------------------------------------------------------


def category_ancestors() -> dict[int, frozenset[int]]:
    """Each category's id -> itself and its ancestors (the table is small)."""
    parents = dict(Category.objects.values_list("id", "parent_id"))
    out = {}
    for cid in parents:
        chain, seen = [], set()
        node = cid
        while node is not None and node not in seen:
            seen.add(node)
            chain.append(node)
            node = parents.get(node)
        out[cid] = frozenset(chain)
    return out


def math_coupon(coupon: Coupon, template: CouponTemplate | None = None) -> coupon_math.Coupon:
    """The pure module's view of a claimed coupon (its template's categories and products
    prefetched by the caller, or read here)."""
    template = template or coupon.template
    scope = coupon_math.Scope(
        kind=template.scope,
        shop=template.shop_id if template.scope == ScopeKind.SHOP else None,
        categories=(
            frozenset(c.pk for c in template.categories.all())
            if template.scope == ScopeKind.CATEGORIES
            else frozenset()
        ),
        products=(
            frozenset(p.pk for p in template.products.all())
            if template.scope == ScopeKind.PRODUCTS
            else frozenset()
        ),
    )
    return coupon_math.Coupon(
        id=coupon.pk,
        issuer=template.issuer,
        kind=template.kind,
        threshold_fen=template.threshold_fen,
        off_fen=template.off_fen if template.kind != CouponKind.PERCENT_OFF else 0,
        percent=template.percent_off if template.kind == CouponKind.PERCENT_OFF else 0,
        cap_fen=template.cap_fen if template.kind == CouponKind.PERCENT_OFF else 0,
        shop=template.shop_id if template.issuer == Issuer.SHOP else None,
        scope=scope,
    )


def math_lines(lines: Iterable[tuple[object, int, int]]) -> list[coupon_math.Line]:
    """``(key, product_id, amount_fen)`` triples as the pure module's lines (with the
    product's shop and category chain)."""
    lines = list(lines)
    products = {
        p["id"]: p
        for p in Product.objects.filter(id__in={pid for _k, pid, _a in lines}).values(
            "id", "shop_id", "category_id"
        )
    }
    missing = {pid for _k, pid, _a in lines} - set(products)
    if missing:
        raise NotFound(_("商品不存在。"), code="product_not_found")
    chains = category_ancestors()
    return [
        coupon_math.Line(
            key=key,
            shop=products[pid]["shop_id"],
            product=pid,
            amount_fen=amount,
            categories=chains.get(products[pid]["category_id"], frozenset()),
        )
        for key, pid, amount in lines
    ]


def terms_display(template: CouponTemplate) -> str:
    """The coupon in the words a shopper reads, in the active language."""
    if template.kind == CouponKind.SPEND_OFF:
        return _("满%(threshold)s减%(off)s") % {
            "threshold": format_fen(template.threshold_fen),
            "off": format_fen(template.off_fen),
        }
    if template.kind == CouponKind.AMOUNT_OFF:
        text = _("立减%(off)s") % {"off": format_fen(template.off_fen)}
    else:
        text = _("%(percent)d%% 折扣，最高减%(cap)s") % {
            "percent": template.percent_off,
            "cap": format_fen(template.cap_fen),
        }
    if template.threshold_fen:
        text += _("（满%(threshold)s可用）") % {"threshold": format_fen(template.threshold_fen)}
    return text


def scope_display(template: CouponTemplate) -> str:
    """Where the coupon applies, in the active language (its categories and products read
    here unless prefetched)."""
    if template.scope == ScopeKind.ALL:
        return _("全场通用")
    if template.scope == ScopeKind.SHOP:
        return _("限「%(shop)s」店铺商品") % {"shop": template.shop.name if template.shop else ""}
    if template.scope == ScopeKind.CATEGORIES:
        names = "、".join(c.name for c in template.categories.all())
        if template.issuer == Issuer.SHOP and template.shop is not None:
            return _("限「%(shop)s」的%(names)s分类商品") % {
                "shop": template.shop.name,
                "names": names,
            }
        return _("限%(names)s分类商品") % {"names": names}
    count = len(template.products.all())
    return _("限指定的 %(n)d 件商品") % {"n": count}


def saving_display(template: CouponTemplate) -> str:
    """What the coupon really saves, said plainly: the most it takes off and the least
    the covered goods must cost for that."""
    if template.kind == CouponKind.SPEND_OFF:
        rate = template.off_fen * 100 // template.threshold_fen
        return _(
            "买满 %(threshold)s 省 %(off)s（约 %(rate)d%%）；不满门槛不能用，超出门槛不会多减。"
        ) % {
            "threshold": format_fen(template.threshold_fen),
            "off": format_fen(template.off_fen),
            "rate": max(rate, 1),
        }
    if template.kind == CouponKind.AMOUNT_OFF:
        if template.threshold_fen:
            return _("买满 %(threshold)s 省 %(off)s。") % {
                "threshold": format_fen(template.threshold_fen),
                "off": format_fen(template.off_fen),
            }
        return _("直接省 %(off)s（商品金额低于此数时最多减到 ¥0.01）。") % {
            "off": format_fen(template.off_fen)
        }
    full_at = -(-template.cap_fen * 100 // template.percent_off)
    return _("省商品金额的 %(percent)d%%，最多省 %(cap)s（买到 %(full)s 时封顶）。") % {
        "percent": template.percent_off,
        "cap": format_fen(template.cap_fen),
        "full": format_fen(full_at),
    }


def coupon_state(coupon: Coupon, now: datetime | None = None) -> str:
    """The state the clock gives a coupon: an available one past its end is expired."""
    now = now or clock.now()
    if coupon.state == CouponState.AVAILABLE and coupon.valid_until <= now:
        return CouponState.EXPIRED
    return coupon.state


def template_by_public_id(public_id: str) -> CouponTemplate:
    """A coupon template buyers may see (not stopped, handed out publicly)."""
    found = (
        CouponTemplate.objects.select_related("shop")
        .filter(public_id=public_id, distribution=Distribution.PUBLIC)
        .exclude(status=TemplateStatus.STOPPED)
        .first()
    )
    if found is None:
        raise NotFound(_("优惠券不存在。"), code="coupon_not_found")
    return found


def _claimable_now(now: datetime) -> QuerySet[CouponTemplate]:
    return CouponTemplate.objects.select_related("shop").filter(
        status=TemplateStatus.ACTIVE,
        distribution=Distribution.PUBLIC,
        claim_starts_at__lte=now,
        claim_ends_at__gt=now,
    )


def templates_claimable() -> QuerySet[CouponTemplate]:
    """Every coupon a buyer may claim now (the coupon centre, 领券中心), newest first."""
    return _claimable_now(clock.now()).order_by("-created_at", "-id")


def templates_claimable_for_product(product: Product) -> QuerySet[CouponTemplate]:
    """Coupons a buyer may claim now that cover ``product`` (sold out ones included: the
    page says 已领完), the shop's first, then the platform's, then the newest."""
    return templates_claimable_covering(
        product_id=product.pk, shop_id=product.shop_id, category_id=product.category_id
    )


def templates_claimable_covering(
    *, product_id: int, shop_id: int, category_id: int | None
) -> QuerySet[CouponTemplate]:
    """``templates_claimable_for_product`` from the product's ids (a cached product page
    keeps ids, not the product)."""
    now = clock.now()
    categories = category_ancestors().get(category_id, frozenset())
    shop_ok = Q(issuer=Issuer.PLATFORM) | Q(shop_id=shop_id)
    covers = (
        Q(scope=ScopeKind.ALL, issuer=Issuer.PLATFORM)
        | Q(scope=ScopeKind.SHOP, shop_id=shop_id)
        | Q(scope=ScopeKind.CATEGORIES, categories__in=categories)
        | Q(scope=ScopeKind.PRODUCTS, products=product_id)
    )
    ids = _claimable_now(now).filter(shop_ok & covers).values("id")
    return (
        CouponTemplate.objects.select_related("shop")
        .filter(id__in=ids)
        .order_by("-issuer", "-created_at", "-id")
    )


def templates_claimable_for_shop(shop: Shop) -> QuerySet[CouponTemplate]:
    """Coupons a buyer may claim now for ``shop``: its own, and platform coupons scoped to it."""
    return _claimable_now(clock.now()).filter(shop=shop).order_by("-issuer", "-created_at", "-id")


def claims_by_buyer(buyer: User | None, templates: Iterable[CouponTemplate]) -> dict[int, int]:
    """Template id -> how many times ``buyer`` has claimed it."""
    templates = list(templates)
    if buyer is None or not templates:
        return {}
    rows = (
        Coupon.objects.filter(buyer=buyer, template__in=[t.pk for t in templates])
        .values("template_id")
        .annotate(n=Count("id"))
    )
    return {row["template_id"]: row["n"] for row in rows}


def coupons_of_buyer(*, buyer: User, state: str | None = None) -> QuerySet[Coupon]:
    """The buyer's coupons, soonest to expire first; ``state`` filters by the state the
    clock gives them (``available`` excludes those past their end, ``expired`` includes
    them)."""
    now = clock.now()
    found = Coupon.objects.select_related("template", "template__shop").filter(buyer=buyer)
    if state == CouponState.AVAILABLE:
        found = found.filter(state=CouponState.AVAILABLE, valid_until__gt=now)
    elif state == CouponState.EXPIRED:
        found = found.filter(
            Q(state=CouponState.EXPIRED) | Q(state=CouponState.AVAILABLE, valid_until__lte=now)
        )
    elif state:
        found = found.filter(state=state)
    return found.order_by("valid_until", "id")


@dataclass(frozen=True)
class CartLine:
    """A line as checkout sees it: ``key`` names it back to the caller."""

    key: object
    product_id: int
    amount_fen: int  # unit price × quantity, before any discount


@dataclass(frozen=True)
class Usable:
    coupon: Coupon
    discount_fen: int  # alone, on these lines (0 with ``refusal``)
    refusal: str  # "" or a ``coupon_math.RefusalCode`` value


@dataclass(frozen=True)
class CartCoupons:
    usable: list[Usable]  # every coupon the buyer could use now, soonest to expire first
    best: coupon_math.Outcome  # the combination that saves most


def coupons_for_cart(*, buyer: User, lines: Iterable[CartLine]) -> CartCoupons:
    """The buyer's coupons usable now (available, within their window) against ``lines``:
    what each saves alone (or why it cannot apply), and the best combination."""
    now = clock.now()
    lines = list(lines)
    math = math_lines((line.key, line.product_id, line.amount_fen) for line in lines)
    held = list(
        coupons_of_buyer(buyer=buyer, state=CouponState.AVAILABLE)
        .filter(valid_from__lte=now)
        .prefetch_related("template__categories", "template__products")
    )
    terms = {coupon.pk: math_coupon(coupon) for coupon in held}
    usable = []
    for coupon in held:
        try:
            outcome = coupon_math.apply([terms[coupon.pk]], math)
            usable.append(Usable(coupon, outcome.discount_fen, ""))
        except coupon_math.CouponRefused as refused:
            usable.append(Usable(coupon, 0, refused.code.value))
    best = coupon_math.best([terms[coupon.pk] for coupon in held], math)
    return CartCoupons(usable=usable, best=best)


def _csv_cell(value: object) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def code_batches_csv(batches: Iterable[CodeBatch]) -> str:
    """The batches' codes, one a row, as printed (for the print shop or the booth)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["batch", "code", "coupon", "terms", "claimed", "claimed_at"])
    for batch in batches:
        template = batch.template
        for code in batch.codes.order_by("id"):
            writer.writerow(
                [
                    batch.public_id,
                    code.printed,
                    _csv_cell(template.name_zh),
                    _csv_cell(terms_display(template)),
                    "yes" if code.claimed_by_id else "no",
                    code.claimed_at.isoformat() if code.claimed_at else "",
                ]
            )
    return out.getvalue()


def code_batches_of(template: CouponTemplate) -> QuerySet[CodeBatch]:
    """The coupon's redemption-code batches, newest first, each with ``claimed`` (how many
    of its codes were redeemed)."""
    return (
        CodeBatch.objects.filter(template=template)
        .annotate(claimed=Count("codes", filter=Q(codes__claimed_by__isnull=False)))
        .order_by("-created_at", "-id")
    )


def shop_templates(shop: Shop, *, status: str | None = None) -> QuerySet[CouponTemplate]:
    """A shop's own coupons (the seller center), newest first."""
    found = CouponTemplate.objects.select_related("shop").filter(shop=shop, issuer=Issuer.SHOP)
    if status:
        found = found.filter(status=status)
    return found.order_by("-created_at", "-id")


def shop_template(shop: Shop, public_id: str) -> CouponTemplate:
    """One of the shop's own coupons (another shop's is not told apart from none)."""
    found = shop_templates(shop).filter(public_id=public_id).first()
    if found is None:
        raise NotFound(_("优惠券不存在。"), code="coupon_not_found")
    return found


def shop_code_batch(shop: Shop, public_id: str) -> CodeBatch:
    """One of the shop's own coupons' code batches."""
    found = (
        CodeBatch.objects.select_related("template", "template__shop")
        .filter(public_id=public_id, template__shop=shop, template__issuer=Issuer.SHOP)
        .first()
    )
    if found is None:
        raise NotFound(_("兑换码批次不存在。"), code="code_batch_not_found")
    return found


# --- the claimable coupons kept for product and shop pages ----------------------------------

CLAIMABLE_INDEX_KEY = "promotions:claimable:v1"
CLAIMABLE_INDEX_MAX = 500


def _claimable_index_seconds() -> int:
    return int(getattr(settings, "COUPON_CLAIMABLE_CACHE_SECONDS", 30))


def claimable_index() -> dict:
    """Every coupon claimable now (with its shop, categories and products) and the
    category chains, kept in the shared cache for ``COUPON_CLAIMABLE_CACHE_SECONDS``: a
    product or shop page picks its coupons from it without a statement. What is left of
    each (``remaining``) may be that many seconds old; claiming decides. Dropped when a
    coupon is issued or its status changes (``claimable_index_drop``)."""
    found = cache.get(CLAIMABLE_INDEX_KEY)
    if found is None:
        templates = list(
            templates_claimable().prefetch_related("categories", "products")[:CLAIMABLE_INDEX_MAX]
        )
        found = {"templates": templates, "ancestors": category_ancestors()}
        seconds = _claimable_index_seconds()
        if seconds > 0:
            cache.set(CLAIMABLE_INDEX_KEY, found, seconds)
    return found


def claimable_index_drop() -> None:
    cache.delete(CLAIMABLE_INDEX_KEY)


def _still_claimable(template: CouponTemplate, now: datetime) -> bool:
    return template.claim_starts_at <= now < template.claim_ends_at


def claimable_covering(
    *, product_id: int, shop_id: int, category_id: int | None
) -> list[CouponTemplate]:
    """``templates_claimable_covering`` from the kept index: the shop's first, then the
    platform's, newest first."""
    index = claimable_index()
    now = clock.now()
    chain = index["ancestors"].get(category_id, frozenset())
    out = []
    for template in index["templates"]:
        if not _still_claimable(template, now):
            continue
        if template.issuer == Issuer.SHOP and template.shop_id != shop_id:
            continue
        scope = template.scope
        if (
            (scope == ScopeKind.ALL and template.issuer == Issuer.PLATFORM)
            or (scope == ScopeKind.SHOP and template.shop_id == shop_id)
            or (
                scope == ScopeKind.CATEGORIES
                and any(c.pk in chain for c in template.categories.all())
            )
            or (
                scope == ScopeKind.PRODUCTS
                and any(p.pk == product_id for p in template.products.all())
            )
        ):
            out.append(template)
    out.sort(key=lambda t: (t.issuer != Issuer.SHOP, -t.created_at.timestamp(), -t.pk))
    return out


def claimable_for_shop_id(shop_id: int) -> list[CouponTemplate]:
    """``templates_claimable_for_shop`` from the kept index."""
    now = clock.now()
    found = [
        t
        for t in claimable_index()["templates"]
        if t.shop_id == shop_id and _still_claimable(t, now)
    ]
    found.sort(key=lambda t: (t.issuer != Issuer.SHOP, -t.created_at.timestamp(), -t.pk))
    return found
