"""Checkout: the buyer's cart (or the lines given) becomes one order per shop under
one checkout, with its stock held and one payment for the total.

This is the hot path of a flash sale, so it is lean. One read prices the lines
and tells the stock on sale (``selectors.skus_with_stock``); a request that
read refuses (sold out, say: most buyers of a flash sale) writes nothing but its
idempotency record, with one statement and no transaction. A checkout that goes
ahead is one transaction of one statement per table: the payment, the
checkout, its idempotency key, its orders, lines and history, the audit rows,
and last the stock (one conditional update per SKU, and the holds): on
PostgreSQL one call of a database function sent together with the COMMIT
(``inventory.services.holds_take``), so the contended stock rows are locked
only while the database runs that one message and no Python runs meanwhile. The statements are built
once (``core.leansql``), not compiled per request. No network call is made: the
payment row is created here, the gateway is called later from the cashier.

Retries are safe with an ``Idempotency-Key``: the first result under a key,
a checkout or an error, is kept (``IdempotencyKey``) for at least
``IDEMPOTENCY_KEY_HOURS`` and returned again for the same request; the same key
with another request is refused. The key is not looked up first: the unique
(user, key) row decides. A checkout writes it inside its transaction, so two
concurrent requests with one key can never both make a checkout: the second
waits for the first, fails on the key, rolls back and returns the first's
result. A refusal records it only if the key is new (``ON CONFLICT DO
NOTHING``), else the recorded result is the answer: so a retry after the sale
sold out still gets its order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from designmall.accounts.models import User
from designmall.catalog.models import Sku
from designmall.core import clock, leansql, metrics
from designmall.core.errors import (
    Conflict,
    DomainError,
    ValidationFailed,
)
from designmall.core.ids import new_public_id
from designmall.core.models import AuditEvent
from designmall.inventory.services import holds_take
from designmall.orders import idempotency, rules
from designmall.orders.buyerlimits import buyer_limits_check
from designmall.orders.cart import check_limits, check_quantity
from designmall.orders.coupons import (
    CouponPlan,
    Suggestion,
    clean_coupon_ids,
    coupon_plan,
    coupons_suggest,
)
from designmall.orders.models import (
    CartLine,
    Checkout,
    IdempotencyKey,
    IdempotencyScope,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from designmall.orders.selectors import OUT_OF_STOCK, SKU_NOT_FOUND, PricedCart, lines_priced
from designmall.payments.services import payment_create
from designmall.promotions.services import coupons_lock

PAYABLE_TYPE = "checkout"
PICKUP_CODE_ATTEMPTS = 5

_PROBLEM_MESSAGES = {
    SKU_NOT_FOUND: gettext_noop("有商品不存在。"),
    "product_unavailable": gettext_noop("有商品已下架。"),
    "shop_unavailable": gettext_noop("有店铺已暂停营业。"),
    "sku_inactive": gettext_noop("有商品规格已停售。"),
}
# The address fields kept on an order, with their longest length.
ADDRESS_FIELDS = {
    "name": 40,
    "mobile": 20,
    "province": 30,
    "city": 30,
    "district": 30,
    "detail": 200,
    "postcode": 10,
}
ADDRESS_REQUIRED = ("name", "mobile", "province", "city", "detail")
_MOBILE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")
_POSTCODE_RE = re.compile(r"^[0-9A-Za-z \-]{3,10}$")


@dataclass(frozen=True)
class CheckoutExtra:
    """Something of another domain paid with the checkout's one payment (a pre-order's
    balance: ``presale.cart_balance``). The payment is then of ``payable_type``, whose
    handlers settle the checkout and the extra together.

    In the checkout's transaction, after the buyer's row is locked: ``prepare(checkout
    public id)`` locks and checks what it adds (raising ``DomainError`` to refuse the
    checkout) and returns its amount and the latest the payment may expire (or None);
    ``attach(payment)`` ties it to the payment made. ``fingerprint`` is what it adds to
    the request's idempotency fingerprint."""

    payable_type: str
    fingerprint: str
    prepare: Callable[[str], tuple[int, datetime | None]]
    attach: Callable[[Any], None]


class _PickupCodeTaken(Exception):
    """A drawn pickup code belongs to an open order already: the checkout is written again."""


# --- input -------------------------------------------------------------------------------


def _clean_lines(lines: Any) -> dict[str, int]:
    """``[(sku public id, quantity), ...]`` as SKU -> quantity (repeats summed)."""
    if not isinstance(lines, list | tuple):
        raise ValidationFailed(_("商品清单格式不正确。"), code="invalid_lines")
    quantities: dict[str, int] = {}
    for line in lines:
        if not isinstance(line, list | tuple) or len(line) != 2 or not isinstance(line[0], str):
            raise ValidationFailed(
                _("商品清单格式不正确。"), code="invalid_lines", details={"line": repr(line)[:100]}
            )
        sku, quantity = line
        quantities[sku] = quantities.get(sku, 0) + check_quantity(quantity)
    return quantities


def _clean_delivery(delivery: Any) -> str:
    try:
        return rules.Delivery(delivery).value
    except ValueError:
        raise ValidationFailed(
            _("请选择快递到家或展会现场自提。"),
            code="invalid_delivery",
            details={"delivery": repr(delivery)[:40]},
        ) from None


def clean_address(address: Any) -> dict[str, str]:
    """The delivery address as kept on the order; ``ValidationFailed`` ``invalid_address``
    (details: ``field``) when a required field is missing or a field is malformed."""

    def refuse(field: str) -> ValidationFailed:
        return ValidationFailed(
            _("收货地址不完整或格式不正确。"), code="invalid_address", details={"field": field}
        )

    if not isinstance(address, dict):
        raise refuse("address")
    clean = {}
    for field, max_length in ADDRESS_FIELDS.items():
        value = address.get(field, "")
        if not isinstance(value, str):
            raise refuse(field)
        value = " ".join(value.split())
        if len(value) > max_length:
            raise refuse(field)
        if value:
            clean[field] = value
    for field in ADDRESS_REQUIRED:
        if field not in clean:
            raise refuse(field)
    if not _MOBILE_RE.match(clean["mobile"]):
        raise refuse("mobile")
    if "postcode" in clean and not _POSTCODE_RE.match(clean["postcode"]):
        raise refuse("postcode")
    return clean


def request_fingerprint_of(**request: Any) -> str:
    """A fingerprint of a checkout request's arguments (when the caller gives none)."""
    return idempotency.fingerprint_of(**request)


def _recorded(buyer: User, key: str) -> IdempotencyKey | None:
    return idempotency.recorded(user=buyer, scope=IdempotencyScope.CHECKOUT, key=key)


# --- checkout ----------------------------------------------------------------------------


def checkout_create(
    *,
    buyer: User,
    lines: list[tuple[str, int]] | None = None,
    delivery: str,
    address: dict | None = None,
    idempotency_key: str | None = None,
    request_fingerprint: str | None = None,
    expected_total_fen: int | None = None,
    coupons: list[str] | None = None,
    extra: CheckoutExtra | None = None,
) -> Checkout:
    """Check out ``lines`` (``[(sku public id, quantity), ...]``; default: the buyer's
    cart, whose lines are then cleared) for ``delivery`` ``"address"`` (with
    ``address``: name, mobile, province, city, detail; district and postcode
    optional) or ``"pickup"`` at the venue (any address is ignored).

    Prices come from the catalog now. Given ``expected_total_fen`` (the total the
    buyer was shown), a different total is refused with ``Conflict``
    ``price_changed``, whose details carry the new prices. One order per shop,
    each with the shop's shipping fee (``ORDER_SHIPPING_FEE_FEN`` for address
    delivery below ``ORDER_FREE_SHIPPING_FROM_FEN`` of goods, pickup free) and,
    for pickup, an unguessable pickup code. The stock is held until
    ``STOCK_HOLD_MINUTES`` from now, and one pending payment covers the total.

    Refused: an empty cart (``cart_empty``), bad quantities (``invalid_quantity``)
    or beyond the limits (``quantity_over_limit``, ``too_many_lines``,
    ``order_quantity_over_limit``), unknown SKUs (``sku_not_found``), SKUs not on
    sale (``product_unavailable``, ``shop_unavailable``, ``sku_inactive``; details
    list each line), too little stock (``out_of_stock``), beyond the buyer's unpaid
    holds (``too_many_unpaid_checkouts``, ``too_many_units_held``) or a product's
    per-buyer limit (``per_buyer_limit_exceeded``): see ``buyerlimits``.

    ``coupons``: the public ids of the buyer's coupons to use (at most one platform
    coupon and one shop coupon per shop; refusals in ``orders.coupons``). Their discount
    is apportioned over the lines they cover and stored per line; the payment is the
    discounted total; they are locked for this checkout in its transaction, used when it
    is paid and given back when it expires or is cancelled. ``expected_total_fen`` is
    the total before coupons. Without coupons, nothing more is read or written.

    ``extra``: something else paid with the same payment (``CheckoutExtra``).

    With ``idempotency_key``: the same key and ``request_fingerprint`` (default: a
    hash of the arguments) returns the first result, also an error; the same key
    with another fingerprint is ``Conflict`` ``idempotency_key_reused``.
    """
    if idempotency_key is None:
        return _checkout_place(
            buyer=buyer,
            lines=lines,
            delivery=delivery,
            address=address,
            expected_total_fen=expected_total_fen,
            coupons=coupons,
            extra=extra,
        )
    key = idempotency.clean_key(idempotency_key)
    fingerprint = request_fingerprint or request_fingerprint_of(
        lines=lines,
        delivery=delivery,
        address=address,
        expected_total_fen=expected_total_fen,
        **({"coupons": coupons} if coupons else {}),
        **({"extra": extra.fingerprint} if extra else {}),
    )
    # Not looked up first: a retry is rare, and the unique key decides anyway (a
    # checkout fails on it and rolls back, a refusal finds it taken); see the module.
    try:
        return _checkout_place(
            buyer=buyer,
            lines=lines,
            delivery=delivery,
            address=address,
            expected_total_fen=expected_total_fen,
            key=key,
            fingerprint=fingerprint,
            coupons=coupons,
            extra=extra,
        )
    except idempotency.KeyTaken:
        return idempotency.replay(_recorded(buyer, key), fingerprint)
    except DomainError as error:
        return idempotency.remember_error(
            user=buyer,
            scope=IdempotencyScope.CHECKOUT,
            key=key,
            fingerprint=fingerprint,
            error=error,
        )


def checkout_coupons_suggest(
    *, buyer: User, lines: list[tuple[str, int]] | None = None, delivery: str
) -> Suggestion:
    """The buyer's coupons against ``lines`` (default: the cart) as the checkout would
    price them now, and the best combination to suggest (``orders.coupons``)."""
    delivery = _clean_delivery(delivery)
    quantities = _quantities(buyer, lines)
    if not quantities:
        raise ValidationFailed(_("购物车是空的。"), code="cart_empty")
    check_limits(quantities)
    return coupons_suggest(buyer=buyer, priced=lines_priced(quantities, delivery=delivery))


def _quantities(buyer: User, lines: Any) -> dict[str, int]:
    if lines is None:
        return dict(
            CartLine.objects.filter(cart__user=buyer)
            .order_by("-added_at", "-id")
            .values_list("sku__public_id", "quantity")
        )
    return _clean_lines(lines)


def _refuse_short_stock(priced: PricedCart) -> None:
    """Refuse at once what the stock read now cannot cover: in a flash sale most buyers
    come after the last unit, and writing their checkout only to roll it back at the
    conditional decrement is most of the database's work. (The decrement still decides.)"""
    short = next((line for line in priced.lines if line.problem == OUT_OF_STOCK), None)
    if short is not None:
        raise Conflict(
            _("库存不足：这个规格只剩 %(n)d 件。") % {"n": short.available},
            code=OUT_OF_STOCK,
            details={
                "sku": short.sku_public_id,
                "requested": short.quantity,
                "available": short.available,
            },
        )


def _refuse_problems(priced: PricedCart) -> None:
    problems = [line for line in priced.problems if line.problem != OUT_OF_STOCK]
    if not problems:
        return
    code = problems[0].problem
    raise Conflict(
        _(_PROBLEM_MESSAGES[code]) + _("请先从购物车中移除后再结算。"),
        code=code,
        details={"lines": [{"sku": p.sku_public_id, "problem": p.problem} for p in problems]},
    )


def _check_expected_total(priced: PricedCart, expected_total_fen: Any) -> None:
    if expected_total_fen is None or expected_total_fen == priced.total_fen:
        return
    raise Conflict(
        _("商品价格有变动，请确认新的金额后再支付。"),
        code="price_changed",
        details={"expected_total_fen": repr(expected_total_fen)[:40], **priced.as_dict()},
    )


def _subject(priced: PricedCart) -> str:
    first = priced.lines[0].sku.product.title
    count = sum(line.quantity for line in priced.lines)
    if count == 1:
        return first
    return _("%(title)s 等 %(count)s 件商品") % {"title": first, "count": count}


def order_line_build(
    *,
    order: Order,
    sku: Sku,
    unit_price_fen: int,
    quantity: int,
    discount_fen: int = 0,
    title_zh: str | None = None,
    title_en: str | None = None,
) -> OrderLine:
    """An unsaved order line of ``sku``: the one place lines are made, so every order (cart,
    lot, pre-sale, deal) keeps the product's title and the SKU's option label in both
    languages as they are now. ``title_zh``/``title_en`` replace the product's title (a
    lot's own title); the SKU's product is read unless ``title_zh`` is given."""
    if title_zh is None:
        title_zh, title_en = sku.product.title_zh, sku.product.title_en
    return OrderLine(
        order=order,
        sku=sku,
        product_title_zh=title_zh[:120],
        product_title_en=(title_en or "")[:120],
        sku_label_zh=sku.label_in("zh-hans")[:200],
        sku_label_en=sku.label_in("en")[:200] if sku.attributes_en else "",
        unit_price_fen=unit_price_fen,
        quantity=quantity,
        line_total_fen=unit_price_fen * quantity,
        discount_fen=discount_fen,
    )


def _as_prefetched(instance, relation: str, objects: list) -> None:
    """Keep ``objects`` as ``instance.<relation>.all()``, the way prefetch_related does."""
    queryset = getattr(instance, relation).all()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[relation] = queryset


def _orders_insert(orders: list[Order]) -> None:
    """Insert the orders inside a caller's transaction (a lot's checkout: ``lots``); pickup
    codes that collide with an open order's are drawn again, under a savepoint."""
    metrics.count_on_commit(metrics.ORDERS_CREATED, len(orders))
    if not any(order.pickup_code for order in orders):
        Order.objects.bulk_create(orders)
        return
    for attempt in range(PICKUP_CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                Order.objects.bulk_create(orders)
            return
        except IntegrityError:
            if attempt == PICKUP_CODE_ATTEMPTS - 1:
                raise
            for order in orders:
                order.pk = None
                order.pickup_code = rules.new_pickup_code()


def _audit_row(*, actor: User, action: str, target: Checkout, data: dict) -> AuditEvent:
    """The audit row ``core.audit.audit_record`` would write, unsaved, for a bulk insert."""
    return AuditEvent(
        at=clock.now(),
        actor=actor,
        action=action,
        target_type=target._meta.label_lower,
        target_id=target.public_id,
        to_state=target.status,
        data=data,
    )


def _checkout_place(
    *,
    buyer: User,
    lines: Iterable[tuple[str, int]] | None,
    delivery: Any,
    address: Any,
    expected_total_fen: Any,
    key: str = "",
    fingerprint: str = "",
    coupons: Any = None,
    extra: CheckoutExtra | None = None,
) -> Checkout:
    """Check the request and price it, then write it in one transaction.

    The checks read without locks, as they would inside the transaction (read
    committed): refusing before it opens costs a refused buyer no transaction,
    and keeps SQLite's write lock for the writes alone.
    """
    delivery = _clean_delivery(delivery)
    coupon_ids = clean_coupon_ids(coupons)
    address = clean_address(address) if delivery == rules.Delivery.ADDRESS else {}
    from_cart = lines is None
    quantities = _quantities(buyer, lines)
    if not quantities:
        raise ValidationFailed(_("购物车是空的。"), code="cart_empty")
    check_limits(quantities)
    priced = lines_priced(quantities, delivery=delivery, with_stock=True)
    _refuse_problems(priced)
    _refuse_short_stock(priced)
    _check_expected_total(priced, expected_total_fen)
    plan = coupon_plan(buyer=buyer, coupon_public_ids=coupon_ids, priced=priced)
    # A pickup code drawn may turn out taken by an open order (a rare collision): the
    # whole transaction is rolled back and written again with new codes, so no savepoint
    # is paid on every checkout for it.
    for attempt in range(PICKUP_CODE_ATTEMPTS):
        try:
            return _checkout_insert(
                buyer=buyer,
                priced=priced,
                address=address,
                from_cart=from_cart,
                key=key,
                fingerprint=fingerprint,
                plan=plan,
                extra=extra,
            )
        except _PickupCodeTaken as taken:
            if attempt == PICKUP_CODE_ATTEMPTS - 1:
                raise taken.__cause__ from None
    raise AssertionError("unreachable")


@transaction.atomic
def _checkout_insert(
    *,
    buyer: User,
    priced: PricedCart,
    address: dict[str, str],
    from_cart: bool,
    key: str,
    fingerprint: str,
    plan: CouponPlan,
    extra: CheckoutExtra | None = None,
) -> Checkout:
    delivery = priced.delivery
    now = clock.now()
    # First: it locks the buyer, so one buyer's checkouts are counted one at a time.
    buyer_limits_check(buyer=buyer, priced=priced, now=now)
    public_id = new_public_id("co")
    # Before the coupons, as a pre-order's balance payment locks its rows before its coupon.
    extra_fen, pay_by = extra.prepare(public_id) if extra is not None else (0, None)
    if plan.coupon_ids:
        # Held for this checkout, or the whole transaction rolls back (``Conflict``
        # ``coupon_unavailable``): of two checkouts racing for one coupon, one wins.
        coupons_lock(buyer=buyer, coupon_ids=plan.coupon_ids, checkout_ref=public_id)
    # The payment's audit row and the checkout's go in one statement, at the end.
    audit_rows: list[AuditEvent] = []
    payment = payment_create(
        buyer=buyer,
        amount_fen=priced.total_fen - plan.discount_fen + extra_fen,
        subject=_subject(priced),
        payable_type=extra.payable_type if extra is not None else PAYABLE_TYPE,
        payable_id=public_id,
        expires_at=pay_by,
        audit_rows=audit_rows,
    )
    if extra is not None:
        extra.attach(payment)
    checkout = Checkout(
        public_id=public_id,
        buyer=buyer,
        delivery=delivery,
        items_fen=priced.items_fen,
        shipping_fen=priced.shipping_fen,
        discount_fen=plan.discount_fen,
        total_fen=priced.total_fen - plan.discount_fen,
        payment=payment,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.STOCK_HOLD_MINUTES),
    )
    leansql.insert([checkout])
    if key:
        # Written early: a concurrent request with the same key waits here for this
        # transaction, then fails on the unique key and returns this one's result.
        # (No savepoint: the failure ends this transaction anyway.)
        try:
            leansql.insert(
                [
                    IdempotencyKey(
                        user=buyer,
                        scope=IdempotencyScope.CHECKOUT,
                        key=key,
                        fingerprint=fingerprint,
                        checkout=checkout,
                        created_at=now,
                    )
                ]
            )
        except IntegrityError:
            raise idempotency.KeyTaken from None

    pickup = delivery == rules.Delivery.PICKUP
    orders = [
        Order(
            public_id=new_public_id("o"),
            checkout=checkout,
            buyer=buyer,
            shop=part.shop,
            delivery=delivery,
            address=address,
            pickup_code=rules.new_pickup_code() if pickup else "",
            items_fen=part.items_fen,
            shipping_fen=part.shipping_fen,
            discount_fen=plan.order_discounts.get(part.shop.id, 0),
            platform_discount_fen=plan.platform_discounts.get(part.shop.id, 0),
            total_fen=part.total_fen - plan.order_discounts.get(part.shop.id, 0),
            commission_bp=part.shop.commission_bp,
            created_at=now,
        )
        for part in priced.shops
    ]
    try:
        leansql.insert(orders)
        metrics.count_on_commit(metrics.ORDERS_CREATED, len(orders))
    except IntegrityError as error:
        if not pickup:
            raise
        # The only unique value drawn here that can collide (public ids are 80 random bits).
        raise _PickupCodeTaken from error
    order_lines = [
        [
            order_line_build(
                order=order,
                sku=line.sku,
                unit_price_fen=line.unit_price_fen,
                quantity=line.quantity,
                discount_fen=plan.line_discounts.get(line.sku.id, 0),
            )
            for line in part.lines
        ]
        for order, part in zip(orders, priced.shops, strict=True)
    ]
    # What was written comes with the checkout, as if prefetched: its answer shows it
    # without reading it back.
    for order, lines in zip(orders, order_lines, strict=True):
        _as_prefetched(order, "lines", lines)
    _as_prefetched(checkout, "orders", orders)
    # Lines, history and audit refer to rows already written, not to each other: one
    # statement on PostgreSQL.
    leansql.insert_together(
        [line for lines in order_lines for line in lines],
        [
            OrderEvent(order=order, to_status=OrderStatus.PENDING_PAYMENT, by=buyer, at=now)
            for order in orders
        ],
        [
            *audit_rows,
            _audit_row(
                actor=buyer,
                action="checkout.created",
                target=checkout,
                data={
                    "orders": [order.public_id for order in orders],
                    "total_fen": checkout.total_fen,
                    "payment": payment.public_id,
                    **(
                        {"coupons": plan.coupon_public_ids, "discount_fen": plan.discount_fen}
                        if plan.coupon_ids
                        else {}
                    ),
                },
            ),
        ],
    )
    if from_cart:
        CartLine.objects.filter(
            cart__user=buyer, sku_id__in=[line.sku.id for line in priced.lines]
        ).delete()
    # Last, and on PostgreSQL sent with the COMMIT in one round trip: the contended stock
    # rows are locked only while the database runs that one message.
    holds_take(
        lines=[(line.sku.id, line.quantity) for line in priced.lines],
        owner_ref=checkout.owner_ref,
        expires_at=checkout.expires_at,
        commit=True,
    )
    return checkout


def idempotency_keys_delete_expired(*, now=None) -> int:
    """Forget Idempotency-Keys older than ``IDEMPOTENCY_KEY_HOURS``; returns how many."""
    before = (now or clock.now()) - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=before).delete()
    return deleted
