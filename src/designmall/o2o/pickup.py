"""Pickup at the booth: a buyer who came from a booth today (scanned it or one of its
exhibits, by account or by this browser's ``dm_vid`` cookie) may pick that shop's items up
at that booth today instead of having them shipped.

It is the store's venue pickup (``delivery`` pickup, the order's pickup code) with the
booth recorded: the checkout is made by ``orders.checkout.checkout_create`` and, in the
same transaction, the shop's order becomes a ``Redeemable`` (kind order_pickup) at the
booth, one item per order line, redeemed with ``o2o.redemption`` (核销). Orders of other
shops in the same checkout stay ordinary venue pickups.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import ValidationFailed
from designmall.o2o import redemption_rules as rules
from designmall.o2o.models import Booth, BoothStatus, ScanVisit
from designmall.o2o.redemption_models import Redeemable, RedeemableItem, RedeemableKind
from designmall.orders import rules as order_rules
from designmall.orders.checkout import checkout_create, request_fingerprint_of
from designmall.orders.models import Checkout, Order, OrderStatus


def _today_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)


def pickup_booths(
    *, user: User | None, visitor_id: str | None, shop_ids: list[int] | set[int]
) -> list[Booth]:
    """The booths of ``shop_ids`` the visitor came from today (a scan of the booth or of
    one of its exhibits since local midnight, by account or by this browser) that can
    still hand things over today; the most recently scanned first."""
    now = clock.now()
    mine = Q(pk__in=[])
    if getattr(user, "pk", None):
        mine |= Q(user=user)
    if visitor_id:
        mine |= Q(visitor_id=visitor_id, user__isnull=True)
    scans = (
        ScanVisit.objects.filter(mine)
        .filter(
            booth__shop_id__in=list(shop_ids),
            booth__status=BoothStatus.ACTIVE,
            scanned_at__gte=_today_start(now),
            scanned_at__lte=now,
        )
        .select_related("booth__shop", "booth__venue", "booth__hall")
        .order_by("-scanned_at", "-id")
    )
    local = timezone.localtime(now)
    found: dict[int, Booth] = {}
    for scan in scans[:200]:
        booth = scan.booth
        if booth.pk in found:
            continue
        if rules.pickup_possible_today(
            local=local,
            opens_on=booth.opens_on,
            closes_on=booth.closes_on,
            opens_at=booth.opens_at,
            closes_at=booth.closes_at,
        ):
            found[booth.pk] = booth
    return list(found.values())


def _refuse_booth() -> ValidationFailed:
    return ValidationFailed(
        _("只能选择您今天扫码到访、且今天仍开放的展位自提。"),
        code="pickup_booth_unavailable",
        details={"field": "pickup_booth"},
    )


def booth_pickup_record(*, order: Order, booth: Booth) -> Redeemable:
    """The order becomes a booth pickup at ``booth`` (idempotent: once per order)."""
    found = Redeemable.objects.filter(order=order).first()
    if found is not None:
        return found
    redeemable = Redeemable.objects.create(
        kind=RedeemableKind.ORDER_PICKUP,
        code=order.pickup_code,
        holder_id=order.buyer_id,
        shop_id=order.shop_id,
        booth=booth,
        order=order,
        created_at=clock.now(),
    )
    RedeemableItem.objects.bulk_create(
        RedeemableItem(
            redeemable=redeemable,
            order_line=line,
            title_zh=" · ".join(filter(None, [line.product_title_zh, line.sku_label_zh]))[:200],
            title_en=" · ".join(filter(None, [line.product_title_en, line.sku_label_en]))[:200]
            if line.product_title_en
            else "",
            quantity=line.quantity,
            position=position,
        )
        for position, line in enumerate(order.lines.order_by("pk"), start=1)
    )
    audit_record(
        actor=order.buyer,
        action="booth_pickup.chosen",
        target=redeemable,
        data={"order": order.public_id, "booth": booth.public_id},
    )
    return redeemable


def booth_pickup_checkout(
    *,
    buyer: User,
    visitor_id: str | None,
    booth: str,
    lines: list[tuple[str, int]] | None = None,
    idempotency_key: str | None = None,
    expected_total_fen: int | None = None,
    coupons: list[str] | None = None,
) -> Checkout:
    """Check out for pickup with the shop's items picked up at ``booth`` (its public id),
    a booth the buyer came from today (``pickup_booths``; else ``ValidationFailed``
    ``pickup_booth_unavailable``, also when nothing of its shop is bought). Everything else
    is ``checkout_create``'s, with delivery pickup; a retry with the same Idempotency-Key
    returns the same checkout and booth."""
    chosen = Booth.objects.filter(public_id=str(booth or "")[:40]).first()
    if chosen is None or chosen not in pickup_booths(
        user=buyer, visitor_id=visitor_id, shop_ids=[chosen.shop_id]
    ):
        raise _refuse_booth()
    delivery = order_rules.Delivery.PICKUP.value
    fingerprint = request_fingerprint_of(
        lines=lines,
        delivery=delivery,
        address=None,
        expected_total_fen=expected_total_fen,
        pickup_booth=chosen.public_id,
        **({"coupons": coupons} if coupons else {}),
    )
    # One transaction: a checkout is never left without the booth the buyer chose.
    with transaction.atomic():
        checkout = checkout_create(
            buyer=buyer,
            lines=lines,
            delivery=delivery,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint if idempotency_key else None,
            expected_total_fen=expected_total_fen,
            coupons=coupons,
        )
        orders = [order for order in checkout.orders.all() if order.shop_id == chosen.shop_id]
        if not orders:
            raise _refuse_booth()
        for order in orders:
            booth_pickup_record(order=order, booth=chosen)
    return checkout


def pending_pickups(*, booth: Booth) -> QuerySet[Redeemable]:
    """The booth's pickups still to hand over (in part or in full), oldest first: paid
    orders not yet picked up in full."""
    return (
        Redeemable.objects.filter(
            booth=booth,
            kind=RedeemableKind.ORDER_PICKUP,
            closed_at__isnull=True,
            redeemed_at__isnull=True,
            order__status__in=[OrderStatus.PAID, OrderStatus.READY_FOR_PICKUP],
        )
        .select_related("order", "holder")
        .prefetch_related("items")
        .order_by("created_at", "id")
    )


def booth_pickup_of(order: Order) -> Redeemable | None:
    """The order's booth pickup, if the buyer chose one."""
    return Redeemable.objects.filter(order=order).select_related("booth__venue").first()


def cart_shop_ids(lines: Any) -> set[int]:
    """The shops of priced cart lines (``orders.selectors.PricedLine``)."""
    return {line.sku.product.shop_id for line in lines if line.sku is not None}
