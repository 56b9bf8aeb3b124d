"""Coupon services: creating coupons, claiming them (领券), redemption codes (兑换码) and
the expiry sweep. Each function is one transaction.

Concurrency
-----------
- **Total quantity.** A claim (or a code batch) takes from ``CouponTemplate.remaining``
  with one conditional ``UPDATE ... SET remaining = remaining - n WHERE remaining >= n``;
  a CHECK keeps it from going below zero. Never read-then-write.
- **Per-buyer limit.** A buyer's claims of one template are numbered 1..limit, and
  ``(template, buyer, seq)`` is unique: two claims racing for the same number cannot
  both commit; the loser (it waits for the winner's commit, then hits the constraint)
  counts again and takes the next number or is refused. Numbers are never reused, so the
  limit is on claims, not on coupons still held.
- **Order.** The buyer's own number first, the template's hot row last, so the row every
  claimant needs is locked only for the end of the transaction.
- **Codes.** A code is claimed by one conditional ``UPDATE`` (``claimed_by IS NULL``);
  codes were taken from the template's quantity when their batch was made.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.catalog.models import Shop
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from designmall.core.money import MAX_FEN
from designmall.promotions.models import (
    ClaimSource,
    CodeBatch,
    Coupon,
    CouponKind,
    CouponState,
    CouponTemplate,
    Distribution,
    Issuer,
    RedemptionCode,
    ScopeKind,
    TemplateStatus,
    ValidityKind,
)
from designmall.promotions.selectors import claimable_index_drop

MAX_QUANTITY = 10_000_000
MAX_PER_BUYER = 100
MAX_VALID_DAYS = 366
MAX_BATCH = 10_000
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 16  # 80 random bits
_CODE_READS_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def _invalid(message: str, field: str) -> ValidationFailed:
    """A refused value: code ``invalid_<field>`` (never the framework's ``invalid``)."""
    return ValidationFailed(message, code=f"invalid_{field}", details={"field": field})


def _is_operator(user: User) -> bool:
    return user.is_superuser or user.has_role(Role.OPERATOR)


# --- creating coupons -----------------------------------------------------------------------


def _check_terms(values: dict) -> None:
    """The amounts of a coupon of its kind, checked through the pure module's rules."""
    kind = values["kind"]
    for name in ("threshold_fen", "off_fen", "cap_fen"):
        amount = values.get(name, 0)
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_FEN:
            raise _invalid(_("金额须为不小于 0 的整数（分）。"), name)
    if kind == CouponKind.SPEND_OFF:
        if values["threshold_fen"] <= 0:
            raise _invalid(_("满减券须设置使用门槛。"), "threshold_fen")
        if not 0 < values["off_fen"] < values["threshold_fen"]:
            raise _invalid(_("满减券的减免金额须大于 0 且小于使用门槛。"), "off_fen")
    elif kind == CouponKind.AMOUNT_OFF:
        if values["off_fen"] <= 0:
            raise _invalid(_("减免金额须大于 0。"), "off_fen")
    elif kind == CouponKind.PERCENT_OFF:
        if not 1 <= values.get("percent_off", 0) <= 99:
            raise _invalid(_("折扣百分比须在 1 到 99 之间。"), "percent_off")
        if values["cap_fen"] <= 0:
            raise _invalid(_("折扣券须设置最高减免金额。"), "cap_fen")
    else:
        raise _invalid(_("未知的优惠券类型。"), "kind")


def _check_validity(values: dict) -> None:
    if values["claim_ends_at"] <= values["claim_starts_at"]:
        raise _invalid(_("停止领取时间须晚于开始领取时间。"), "claim_ends_at")
    if values["validity"] == ValidityKind.FIXED:
        start, end = values.get("valid_from"), values.get("valid_until")
        if start is None or end is None:
            raise _invalid(_("固定有效期须填写生效和失效时间。"), "valid_until")
        if end <= start:
            raise _invalid(_("失效时间须晚于生效时间。"), "valid_until")
        if values["claim_ends_at"] > end:
            raise _invalid(_("停止领取时间不能晚于失效时间。"), "claim_ends_at")
        values["valid_days"] = None
    elif values["validity"] == ValidityKind.DAYS_FROM_CLAIM:
        days = values.get("valid_days")
        if not isinstance(days, int) or not 1 <= days <= MAX_VALID_DAYS:
            raise _invalid(_("领取后有效天数须在 1 到 366 之间。"), "valid_days")
        values["valid_from"] = values["valid_until"] = None
    else:
        raise _invalid(_("未知的有效期类型。"), "validity")


def _check_quantities(values: dict) -> None:
    total = values["total_quantity"]
    if not isinstance(total, int) or not 1 <= total <= MAX_QUANTITY:
        raise _invalid(_("发行总量须在 1 到 10,000,000 之间。"), "total_quantity")
    limit = values.get("per_buyer_limit", 1)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PER_BUYER:
        raise _invalid(_("每人限领须在 1 到 100 之间。"), "per_buyer_limit")


def _check_scope(values: dict, categories: list, products: list) -> None:
    scope = values["scope"]
    shop = values.get("shop")
    if scope not in ScopeKind.values:
        raise _invalid(_("未知的适用范围。"), "scope")
    if scope == ScopeKind.SHOP and shop is None:
        raise _invalid(_("指定店铺的优惠券须选择店铺。"), "shop")
    if scope != ScopeKind.SHOP and values["issuer"] == Issuer.PLATFORM:
        values["shop"] = None  # a platform coupon names a shop only to be scoped to it
    if scope == ScopeKind.CATEGORIES and not categories:
        raise _invalid(_("指定分类的优惠券须至少选择一个分类。"), "categories")
    if scope == ScopeKind.PRODUCTS:
        if not products:
            raise _invalid(_("指定商品的优惠券须至少选择一件商品。"), "products")
        if shop is not None and values["issuer"] == Issuer.SHOP:
            others = [p for p in products if p.shop_id != shop.pk]
            if others:
                raise _invalid(_("店铺券只能指定本店的商品。"), "products")


TEMPLATE_FIELDS = (
    "name_zh",
    "name_en",
    "kind",
    "threshold_fen",
    "off_fen",
    "percent_off",
    "cap_fen",
    "scope",
    "validity",
    "valid_from",
    "valid_until",
    "valid_days",
    "claim_starts_at",
    "claim_ends_at",
    "distribution",
    "total_quantity",
    "per_buyer_limit",
)


def template_check(**values) -> dict:
    """Check a coupon template's values (``ValidationFailed`` with ``details.field`` naming
    the culprit); returns them completed (defaults, fields the validity kind clears)."""
    values = {
        "name_en": "",
        "threshold_fen": 0,
        "off_fen": 0,
        "percent_off": 0,
        "cap_fen": 0,
        "scope": ScopeKind.ALL,
        "validity": ValidityKind.FIXED,
        "distribution": Distribution.PUBLIC,
        "per_buyer_limit": 1,
        **values,
    }
    categories = list(values.pop("categories", None) or [])
    products = list(values.pop("products", None) or [])
    name = (values.get("name_zh") or "").strip()
    if not name or len(name) > 60:
        raise _invalid(_("请填写中文名称（最多 60 字）。"), "name_zh")
    values["name_zh"] = name
    values["name_en"] = (values.get("name_en") or "").strip()[:80]
    if values["distribution"] not in Distribution.values:
        raise _invalid(_("未知的发放方式。"), "distribution")
    _check_terms(values)
    _check_validity(values)
    _check_quantities(values)
    _check_scope(values, categories, products)
    values["categories"] = categories
    values["products"] = products
    return values


def _template_create(*, by: User, issuer: Issuer, shop: Shop | None, values: dict):
    values = template_check(issuer=issuer, shop=shop, **values)
    categories = values.pop("categories")
    products = values.pop("products")
    fields = {name: values[name] for name in TEMPLATE_FIELDS}
    with transaction.atomic():
        template = CouponTemplate.objects.create(
            issuer=issuer,
            shop=values["shop"],
            remaining=fields["total_quantity"],
            status=TemplateStatus.ACTIVE,
            created_by=by,
            created_at=clock.now(),
            **fields,
        )
        if values["scope"] == ScopeKind.CATEGORIES:
            template.categories.set(categories)
        if values["scope"] == ScopeKind.PRODUCTS:
            template.products.set(products)
        audit_record(
            actor=by, action="coupon_template.create", target=template, to_state=template.status
        )
        transaction.on_commit(claimable_index_drop)
    return template


def platform_coupon_create(*, by: User, shop: Shop | None = None, **values) -> CouponTemplate:
    """An operator issues a platform coupon (the platform pays for it). ``shop`` only with
    ``scope="shop"``; ``categories``/``products`` with those scopes."""
    if not _is_operator(by):
        raise PermissionDenied(_("只有运营人员可以发行平台券。"), code="not_operator")
    return _template_create(by=by, issuer=Issuer.PLATFORM, shop=shop, values=values)


def shop_coupon_create(*, by: User, shop: Shop, **values) -> CouponTemplate:
    """A seller issues a coupon of their own open shop (the shop pays for it). It covers the
    shop's lines only: the whole shop, some categories or some of its products."""
    if shop.owner_id != by.pk or not by.is_active:
        raise PermissionDenied(_("只能为自己的店铺发行优惠券。"), code="not_shop_owner")
    if not shop.is_open:
        raise Conflict(_("店铺尚未开通，不能发行优惠券。"), code="shop_not_open")
    if values.get("scope", ScopeKind.SHOP) == ScopeKind.ALL:
        values["scope"] = ScopeKind.SHOP
    values.setdefault("scope", ScopeKind.SHOP)
    return _template_create(by=by, issuer=Issuer.SHOP, shop=shop, values=values)


_STATUS_MOVES = {
    TemplateStatus.ACTIVE: {TemplateStatus.PAUSED, TemplateStatus.STOPPED},
    TemplateStatus.PAUSED: {TemplateStatus.ACTIVE, TemplateStatus.STOPPED},
    TemplateStatus.STOPPED: set(),
}


def template_set_status(*, template: CouponTemplate, status: str, by: User) -> CouponTemplate:
    """Pause, resume or stop handing a coupon out (claims and codes). Coupons already claimed
    stay valid. Stopped is final."""
    if not (_is_operator(by) or (template.shop_id and template.shop.owner_id == by.pk)):
        raise PermissionDenied(_("无权修改这张优惠券。"), code="forbidden")
    if template.issuer == Issuer.PLATFORM and not _is_operator(by):
        raise PermissionDenied(_("无权修改这张优惠券。"), code="forbidden")
    with transaction.atomic():
        current = TemplateStatus(
            CouponTemplate.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=template.pk)
        )
        target = TemplateStatus(status)
        if target == current:
            return template
        if target not in _STATUS_MOVES[current]:
            raise Conflict(
                _("优惠券当前状态不能执行此操作。"),
                code="invalid_transition",
                details={"from": current.value, "to": target.value},
            )
        CouponTemplate.objects.filter(pk=template.pk).update(status=target)
        audit_record(
            actor=by,
            action="coupon_template.status",
            target=template,
            from_state=current,
            to_state=target,
        )
        transaction.on_commit(claimable_index_drop)
    template.status = target
    return template


# --- claiming -------------------------------------------------------------------------------


def _validity_for(template: CouponTemplate, now: datetime) -> tuple[datetime, datetime]:
    if template.validity == ValidityKind.DAYS_FROM_CLAIM:
        return now, now + timedelta(days=template.valid_days)
    return template.valid_from, template.valid_until


def _check_claimable(template: CouponTemplate, now: datetime) -> None:
    if template.status != TemplateStatus.ACTIVE:
        raise Conflict(_("这张优惠券已暂停或停止发放。"), code="coupon_not_active")
    if now < template.claim_starts_at:
        raise Conflict(
            _("这张优惠券还未开始领取。"),
            code="claim_not_started",
            details={"claim_starts_at": template.claim_starts_at.isoformat()},
        )
    if now >= template.claim_ends_at:
        raise Conflict(_("这张优惠券的领取时间已结束。"), code="claim_ended")


def _take_number(template: CouponTemplate, buyer: User, *, source: str, now: datetime) -> Coupon:
    """Insert the buyer's next claim of ``template`` under its unique number, or refuse
    ``claim_limit_reached``."""
    valid_from, valid_until = _validity_for(template, now)
    while True:
        taken = (
            Coupon.objects.filter(template=template, buyer=buyer).aggregate(n=Max("seq"))["n"] or 0
        )
        if taken >= template.per_buyer_limit:
            raise Conflict(
                _("您已达到这张优惠券的领取上限。"),
                code="claim_limit_reached",
                details={"limit": template.per_buyer_limit},
            )
        try:
            with transaction.atomic():
                return Coupon.objects.create(
                    template=template,
                    buyer=buyer,
                    seq=taken + 1,
                    source=source,
                    claimed_at=now,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    state=CouponState.AVAILABLE,
                )
        except IntegrityError:
            if not Coupon.objects.filter(template=template, buyer=buyer, seq=taken + 1).exists():
                raise  # not a racing claim: a real fault, not to be retried
            # A concurrent claim took this number (we waited for its commit): count again.


def _take_from_template(template: CouponTemplate, quantity: int) -> None:
    taken = CouponTemplate.objects.filter(
        pk=template.pk, remaining__gte=quantity, status=TemplateStatus.ACTIVE
    ).update(remaining=F("remaining") - quantity)
    if taken != 1:
        status = CouponTemplate.objects.values_list("status", flat=True).get(pk=template.pk)
        if status != TemplateStatus.ACTIVE:
            raise Conflict(_("这张优惠券已暂停或停止发放。"), code="coupon_not_active")
        raise Conflict(_("这张优惠券已被领完。"), code="coupon_sold_out")


def coupon_claim(*, template: CouponTemplate, buyer: User) -> Coupon:
    """The buyer claims one coupon of a publicly handed out ``template`` (领券).

    Refused: ``coupon_codes_only`` (handed out by codes only), ``coupon_not_active``,
    ``claim_not_started``, ``claim_ended``, ``claim_limit_reached``, ``coupon_sold_out``
    (all ``Conflict``)."""
    if template.distribution != Distribution.PUBLIC:
        raise Conflict(_("这张优惠券只能通过兑换码领取。"), code="coupon_codes_only")
    now = clock.now()
    _check_claimable(template, now)
    with transaction.atomic():
        coupon = _take_number(template, buyer, source=ClaimSource.CLAIM, now=now)
        _take_from_template(template, 1)  # the hot row, last
    return coupon


def normalize_code(text: str) -> str:
    """A code as typed (any case, dashes and spaces, I/L for 1, O for 0) in stored form;
    ``ValidationFailed`` ``code_malformed`` when it cannot be one."""
    cleaned = "".join((text or "").split()).replace("-", "").upper().translate(_CODE_READS_AS)
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        raise ValidationFailed(
            _("兑换码格式不正确，应为 16 位字母和数字。"),
            code="code_malformed",
            details={"field": "code"},
        )
    return cleaned


def _new_code() -> str:
    number = int.from_bytes(secrets.token_bytes(10), "big")
    return "".join(CODE_ALPHABET[(number >> shift) & 31] for shift in range(75, -1, -5))


def code_batch_create(
    *, template: CouponTemplate, quantity: int, by: User, note: str = ""
) -> CodeBatch:
    """Generate ``quantity`` one-time redemption codes for ``template``, taken from its
    remaining count at once (refused ``coupon_sold_out`` when not that many are left).
    An operator for any coupon; a seller for their own shop's."""
    if not (
        _is_operator(by) or (template.issuer == Issuer.SHOP and template.shop.owner_id == by.pk)
    ):
        raise PermissionDenied(_("无权为这张优惠券生成兑换码。"), code="forbidden")
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not 1 <= quantity <= MAX_BATCH
    ):
        raise _invalid(_("每批兑换码数量须在 1 到 10,000 之间。"), "quantity")
    if template.status != TemplateStatus.ACTIVE:
        raise Conflict(_("这张优惠券已暂停或停止发放。"), code="coupon_not_active")
    codes: set[str] = set()
    while len(codes) < quantity:
        codes.add(_new_code())
    with transaction.atomic():
        _take_from_template(template, quantity)
        batch = CodeBatch.objects.create(
            template=template,
            quantity=quantity,
            note=(note or "").strip()[:200],
            created_by=by,
            created_at=clock.now(),
        )
        RedemptionCode.objects.bulk_create(
            [RedemptionCode(batch=batch, code=code) for code in sorted(codes)], batch_size=1000
        )
        audit_record(
            actor=by,
            action="coupon_template.codes",
            target=template,
            data={"batch": batch.public_id, "quantity": quantity},
        )
    return batch


def coupon_claim_by_code(*, code: str, buyer: User) -> Coupon:
    """The buyer redeems a printed code (兑换码) for a coupon. Each code gives one coupon,
    once; the coupon's claim window, status and per-buyer limit apply (a refused
    redemption leaves the code unclaimed).

    Refused: ``code_malformed`` (422), ``code_unknown`` (404), ``code_already_claimed``,
    ``coupon_not_active``, ``claim_not_started``, ``claim_ended``, ``claim_limit_reached``
    (409)."""
    normalized = normalize_code(code)
    found = (
        RedemptionCode.objects.select_related("batch__template")
        .filter(code=normalized)
        .only("pk", "batch__template")
        .first()
    )
    if found is None:
        raise NotFound(_("兑换码不存在。"), code="code_unknown")
    template = found.batch.template
    now = clock.now()
    _check_claimable(template, now)
    with transaction.atomic():
        won = RedemptionCode.objects.filter(pk=found.pk, claimed_by__isnull=True).update(
            claimed_by=buyer, claimed_at=now
        )
        if won != 1:
            raise Conflict(_("这个兑换码已被使用。"), code="code_already_claimed")
        coupon = _take_number(template, buyer, source=ClaimSource.CODE, now=now)
        RedemptionCode.objects.filter(pk=found.pk).update(coupon=coupon)
    return coupon


def coupon_grant(*, template: CouponTemplate, buyer: User) -> Coupon:
    """Give the buyer one coupon of ``template`` as a reward (a design-week passport route
    completed), however the template is otherwise handed out (public or codes only). Its
    status, claim window, per-buyer limit and remaining quantity apply as to a claim, with
    the same refusals (``Conflict``). Joins the caller's transaction when there is one."""
    now = clock.now()
    _check_claimable(template, now)
    with transaction.atomic():
        coupon = _take_number(template, buyer, source=ClaimSource.CLAIM, now=now)
        _take_from_template(template, 1)  # the hot row, last
    return coupon


# --- expiry ---------------------------------------------------------------------------------


def coupons_expire(*, now: datetime | None = None) -> int:
    """Mark available coupons past their ``valid_until`` expired (they already count as
    expired: this only makes it permanent). Idempotent; returns how many it marked.
    Locked coupons are left to their checkout, which gives them back or uses them."""
    now = now or clock.now()
    return Coupon.objects.filter(state=CouponState.AVAILABLE, valid_until__lte=now).update(
        state=CouponState.EXPIRED
    )


# --- holding coupons for a checkout ---------------------------------------------------------
# The checkout (a later increment) calls these inside its own transaction: lock when the
# unpaid checkout is made, use when it is paid, release when it expires or is cancelled.


def _check_checkout_ref(checkout_ref: str) -> str:
    if not checkout_ref or len(checkout_ref) > 64:
        raise ValueError("checkout_ref must be 1..64 characters")
    return checkout_ref


def coupons_lock(*, buyer: User, coupon_ids: Iterable[int], checkout_ref: str) -> int:
    """Hold the buyer's coupons for the unpaid checkout ``checkout_ref``.

    Runs in the caller's transaction (without a savepoint): one conditional ``UPDATE`` per
    coupon, in id order, from ``available`` and valid now to ``locked``. A coupon that is
    not the buyer's, already used or held by another checkout, expired or not yet valid
    raises ``Conflict`` ``coupon_unavailable`` (``details.coupon``: its public id) and the
    whole transaction must roll back. Of two checkouts racing for one coupon, one wins.
    Whether the coupons may be combined is the pure module's to say (``coupon_math``).
    Returns how many were locked."""
    checkout_ref = _check_checkout_ref(checkout_ref)
    now = clock.now()
    ids = sorted(set(coupon_ids))
    with transaction.atomic(savepoint=False):
        for pk in ids:
            locked = Coupon.objects.filter(
                pk=pk,
                buyer=buyer,
                state=CouponState.AVAILABLE,
                valid_from__lte=now,
                valid_until__gt=now,
            ).update(state=CouponState.LOCKED, checkout_ref=checkout_ref, locked_at=now)
            if locked != 1:
                public_id = Coupon.objects.filter(pk=pk).values_list("public_id", flat=True)
                raise Conflict(
                    _("这张优惠券已被使用、已过期或暂不可用。"),
                    code="coupon_unavailable",
                    details={"coupon": public_id.first()},
                )
    return len(ids)


def coupons_use(*, checkout_ref: str) -> int:
    """The checkout was paid: its held coupons are used (once; again changes nothing).
    Returns how many this call marked."""
    checkout_ref = _check_checkout_ref(checkout_ref)
    return Coupon.objects.filter(state=CouponState.LOCKED, checkout_ref=checkout_ref).update(
        state=CouponState.USED, used_at=clock.now()
    )


def coupons_release(*, checkout_ref: str) -> int:
    """The unpaid checkout expired or was cancelled: its held coupons go back to the buyer,
    or are expired if their time ran out meanwhile. Exactly once: conditional updates from
    ``locked`` for this checkout only, so a second (or concurrent) call finds nothing.
    Returns how many went back as available."""
    checkout_ref = _check_checkout_ref(checkout_ref)
    now = clock.now()
    held = Coupon.objects.filter(state=CouponState.LOCKED, checkout_ref=checkout_ref)
    with transaction.atomic():
        given_back = held.filter(valid_until__gt=now).update(
            state=CouponState.AVAILABLE, checkout_ref="", locked_at=None
        )
        held.filter(valid_until__lte=now).update(state=CouponState.EXPIRED)
    return given_back
