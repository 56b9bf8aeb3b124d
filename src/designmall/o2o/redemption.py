"""核销: redeem a redeemable's units at the counter, reverse a redemption (冲正), settle a
booth pickup once nothing can undo it. The rules are in ``redemption_rules``; the rows in
``redemption_models``. Each function is one transaction with an audit row.

Who. A shop's redeemable (a booth pickup) is redeemed by the shop's seller or its active
booth staff (``ShopStaff``); one without a shop (a gift at the information desk) by venue
staff and operators. Anyone else is ``PermissionDenied`` ``not_your_counter``.

Concurrency. Every change locks the redeemable's row first (then the order, through
orders' services), so redemptions and reversals of one redeemable run one at a time: the
units left are read under the lock and never go below nothing (a CHECK keeps
``redeemed <= quantity`` as the last line).

Idempotency. A serial (流水号) makes one redemption: the same serial again for the same
redeemable and units is the first answer (``replayed`` True), for anything else
``Conflict`` ``serial_reused``. A refusal writes nothing, so a retry is decided anew.
Reversing a reversed redemption answers the first reversal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.catalog.models import Shop
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from designmall.o2o import redemption_rules as rules
from designmall.o2o.redemption_models import (
    Redeemable,
    RedeemableItem,
    RedeemableKind,
    Redemption,
    RedemptionLine,
    RedemptionReversal,
    ShopStaff,
)
from designmall.orders import rules as order_rules
from designmall.orders.models import OrderStatus
from designmall.orders.services import (
    order_handed_over,
    order_handing_over,
    order_handover_reversed,
    order_pickup_settle,
)

REASON_MAX = 200
# The order of a booth pickup can be handed over in these states only.
REDEEMABLE_ORDER_STATES = (OrderStatus.PAID, OrderStatus.READY_FOR_PICKUP)


def reversal_window() -> timedelta:
    return timedelta(minutes=settings.O2O_REDEMPTION_REVERSAL_MINUTES)


# --- who -------------------------------------------------------------------------------------


def is_shop_staff(user: User | None, shop_id: int) -> bool:
    """The shop's seller, or an active member of its booth staff."""
    if not getattr(user, "pk", None) or not user.is_active:
        return False
    return (
        Shop.objects.filter(pk=shop_id, owner=user).exists()
        or ShopStaff.objects.filter(shop_id=shop_id, user=user, is_active=True).exists()
    )


def staff_shop_ids(user: User | None) -> list[int]:
    """The shops whose booth counters ``user`` works at (as seller or staff)."""
    if not getattr(user, "pk", None) or not user.is_active:
        return []
    owned = set(Shop.objects.filter(owner=user).values_list("pk", flat=True))
    staffed = ShopStaff.objects.filter(user=user, is_active=True).values_list("shop_id", flat=True)
    return sorted(owned | set(staffed))


def is_desk_staff(user: User | None) -> bool:
    return bool(
        getattr(user, "pk", None)
        and user.is_active
        and (user.is_superuser or user.has_role(Role.VENUE_STAFF) or user.has_role(Role.OPERATOR))
    )


def may_redeem(user: User | None, redeemable: Redeemable) -> bool:
    if redeemable.shop_id is not None:
        return is_shop_staff(user, redeemable.shop_id)
    return is_desk_staff(user)


def _refuse_stranger(user: User | None, redeemable: Redeemable) -> None:
    if not may_redeem(user, redeemable):
        raise PermissionDenied(
            _("这不是本店（本柜台）的核销码，不能核销。"), code="not_your_counter"
        )


# --- finding ---------------------------------------------------------------------------------


def redeemable_by_code(*, user: User, code: str) -> Redeemable:
    """The open redeemable with this code (scanned or typed; case, spaces and dashes do not
    matter) that ``user`` may redeem. One that exists for another counter is refused
    (``not_your_counter``); none is ``NotFound`` ``redeemable_not_found``."""
    clean = order_rules.normalize_pickup_code(code)
    found = list(
        Redeemable.objects.filter(code=clean, closed_at__isnull=True)
        .select_related("booth__venue", "shop", "order", "holder")
        .order_by("-created_at", "-id")
        if clean
        else []
    )
    for redeemable in found:
        if may_redeem(user, redeemable):
            return redeemable
    if found:
        _refuse_stranger(user, found[0])
    raise NotFound(_("没有找到这个核销码，请核对后再试。"), code="redeemable_not_found")


def redeemable_for_staff(*, user: User, public_id: str) -> Redeemable:
    """A redeemable by its public id, for one who may redeem it (others: as by code)."""
    found = (
        Redeemable.objects.select_related("booth__venue", "shop", "order", "holder")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise NotFound(_("没有找到这个核销码，请核对后再试。"), code="redeemable_not_found")
    _refuse_stranger(user, found)
    return found


def items_of(redeemable: Redeemable) -> list[RedeemableItem]:
    return list(redeemable.items.order_by("position", "id"))


# --- redeeming -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redeemed:
    """A redemption's answer: the redemption, and whether it was made before (a retry)."""

    redemption: Redemption
    replayed: bool


def _clean_common(serial: Any, device: Any) -> tuple[str, str]:
    clean = rules.serial_clean(serial)
    if not clean:
        raise ValidationFailed(_("流水号须为 8–64 位字母、数字或 _.:-。"), code="invalid_serial")
    name = rules.device_clean(device)
    if not name:
        raise ValidationFailed(_("请注明核销设备。"), code="device_required")
    return clean, name


def _wanted(items: list[RedeemableItem], by_item: Any, units: Any) -> dict[int, int]:
    """The request as item position -> units."""
    remaining = {item.position: item.remaining for item in items}
    if by_item:
        if not isinstance(by_item, dict):
            raise ValidationFailed(_("核销数量格式不正确。"), code="invalid_quantity")
        wanted = {}
        for key, value in by_item.items():
            try:
                wanted[int(key)] = value
            except (TypeError, ValueError):
                raise ValidationFailed(
                    _("没有这个核销项目。"), code="unknown_item", details={"item": str(key)[:20]}
                ) from None
    else:
        if not rules.is_units(units):
            raise ValidationFailed(_("核销件数须为正整数。"), code="invalid_quantity")
        wanted = rules.allocate(remaining, units) or {}
        if not wanted:
            raise _over(remaining)
    refused = rules.problem(remaining, wanted)
    if refused == "over_redemption":
        raise _over(remaining)
    if refused == "unknown_item":
        raise ValidationFailed(_("没有这个核销项目。"), code="unknown_item")
    if refused:
        raise ValidationFailed(_("核销件数须为正整数。"), code=refused)
    return wanted


def _over(remaining: dict[int, int]) -> Conflict:
    left = sum(remaining.values())
    return Conflict(
        _("超出可核销数量：还可核销 %(n)d 件。") % {"n": left},
        code="over_redemption",
        details={"remaining": {str(k): v for k, v in remaining.items()}},
    )


def _same_request(redemption: Redemption, wanted_by_item: Any, units: Any) -> bool:
    if wanted_by_item:
        recorded = {
            line.item.position: line.quantity for line in redemption.lines.select_related("item")
        }
        try:
            asked = {int(k): v for k, v in dict(wanted_by_item).items()}
        except (TypeError, ValueError):
            return False
        return recorded == asked
    return units == redemption.quantity


def _refuse_closed(redeemable: Redeemable) -> None:
    if redeemable.closed_at is not None:
        raise Conflict(_("这个核销码已结束，不能再核销。"), code="redeemable_closed")
    order = redeemable.order
    if order is not None and order.status not in REDEEMABLE_ORDER_STATES:
        raise Conflict(
            _("订单当前状态为「%(status)s」，不能核销。") % {"status": order.get_status_display()},
            code="order_not_redeemable",
            details={"status": order.status},
        )


@transaction.atomic
def redeem(
    *,
    redeemable: Redeemable,
    by: User,
    serial: str,
    device: str,
    units: int | None = None,
    items: dict[Any, int] | None = None,
) -> Redeemed:
    """Hand over ``units`` (taken from the items in order) or ``items`` ({item number:
    units}) of ``redeemable``, by ``by`` on ``device`` under ``serial``. The last unit
    handed over picks a booth pickup's order up (``orders.services.order_handed_over``);
    units before it make a paid order ready for pickup.

    Refused: a bad serial or no device (``ValidationFailed``), another counter's
    (``not_your_counter``), more than is left (``Conflict`` ``over_redemption``), a closed
    redeemable or an order not waiting (``redeemable_closed``, ``order_not_redeemable``),
    the serial used for another request (``serial_reused``)."""
    serial, device = _clean_common(serial, device)
    locked = (
        Redeemable.objects.select_for_update(of=("self",))
        .select_related("order", "shop", "booth")
        .get(pk=redeemable.pk)
    )
    _refuse_stranger(by, locked)
    first = Redemption.objects.filter(serial=serial).first()
    if first is not None:
        if first.redeemable_id == locked.pk and _same_request(first, items, units):
            return Redeemed(first, replayed=True)
        raise Conflict(_("这个流水号已用于另一次核销。"), code="serial_reused")
    _refuse_closed(locked)
    found = items_of(locked)
    wanted = _wanted(found, items, units)
    now = clock.now()
    try:
        with transaction.atomic():
            redemption = Redemption.objects.create(
                redeemable=locked,
                serial=serial,
                staff=by,
                device=device,
                quantity=sum(wanted.values()),
                redeemed_at=now,
            )
    except IntegrityError:  # the same serial, just now, for another redeemable
        raise Conflict(_("这个流水号已用于另一次核销。"), code="serial_reused") from None
    by_position = {item.position: item for item in found}
    RedemptionLine.objects.bulk_create(
        RedemptionLine(redemption=redemption, item=by_position[pos], quantity=n)
        for pos, n in sorted(wanted.items())
    )
    for pos, n in wanted.items():
        item = by_position[pos]
        # Conditional, though the lock already decides: never beyond the quantity.
        updated = RedeemableItem.objects.filter(pk=item.pk, redeemed__lte=F("quantity") - n).update(
            redeemed=F("redeemed") + n
        )
        if updated != 1:
            raise _over({p: i.remaining for p, i in by_position.items()})
        item.redeemed += n
    left = {pos: item.remaining for pos, item in by_position.items()}
    audit_record(
        actor=by,
        action="redemption.made",
        target=locked,
        data={"serial": serial, "device": device, "units": redemption.quantity},
    )
    if rules.fully_redeemed(left):
        locked.redeemed_at = now
        locked.save(update_fields=["redeemed_at"])
        if locked.order is not None:
            order_handed_over(order=locked.order, by=by, data={"redemption": redemption.public_id})
    elif locked.order is not None:
        order_handing_over(order=locked.order, by=by)
    return Redeemed(redemption, replayed=False)


# --- reversing -------------------------------------------------------------------------------


@transaction.atomic
def redemption_reverse(
    *, serial: str, by: User, device: str, reason: str = ""
) -> RedemptionReversal:
    """冲正: undo the redemption made under ``serial`` within the reversal window
    (``O2O_REDEMPTION_REVERSAL_MINUTES``); its units are to collect again, and a booth
    pickup's order picked up by it waits for pickup again. Idempotent: a reversed one
    answers its reversal. Refused: unknown serial (``redemption_not_found``), another
    counter's, past the window (``Conflict`` ``reversal_window_closed``)."""
    serial, device = _clean_common(serial, device)
    found = Redemption.objects.filter(serial=serial).first()
    if found is None:
        raise NotFound(_("没有找到这个流水号的核销记录。"), code="redemption_not_found")
    locked = (
        Redeemable.objects.select_for_update(of=("self",))
        .select_related("order", "shop")
        .get(pk=found.redeemable_id)
    )
    _refuse_stranger(by, locked)
    done = RedemptionReversal.objects.filter(redemption=found).first()
    if done is not None:
        return done
    now = clock.now()
    if locked.closed_at is not None or not rules.reversal_open(
        redeemed_at=found.redeemed_at, now=now, window=reversal_window()
    ):
        raise Conflict(
            _("已超过冲正时限（核销后 %(n)d 分钟内可冲正）。")
            % {"n": settings.O2O_REDEMPTION_REVERSAL_MINUTES},
            code="reversal_window_closed",
        )
    reversal = RedemptionReversal.objects.create(
        redemption=found,
        staff=by,
        device=device,
        reason=" ".join(str(reason or "").split())[:REASON_MAX],
        reversed_at=now,
    )
    for line in found.lines.all():
        RedeemableItem.objects.filter(pk=line.item_id).update(
            redeemed=F("redeemed") - line.quantity
        )
    was_complete = locked.redeemed_at is not None
    if was_complete:
        locked.redeemed_at = None
        locked.save(update_fields=["redeemed_at"])
        order = locked.order
        if order is not None and order.status == OrderStatus.PICKED_UP:
            order_handover_reversed(order=order, by=by, reason=_("核销冲正"))
    audit_record(
        actor=by,
        action="redemption.reversed",
        target=locked,
        reason=reversal.reason,
        data={"serial": serial, "device": device, "units": found.quantity},
    )
    return reversal


# --- settling --------------------------------------------------------------------------------


def settle_due_ids(*, limit: int = 500) -> list[int]:
    """Redeemables handed over in full whose last redemption can no longer be reversed."""
    before = clock.now() - reversal_window()
    return list(
        Redeemable.objects.filter(
            redeemed_at__isnull=False, redeemed_at__lte=before, closed_at__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def redeemable_settle(*, redeemable_id: int) -> Redeemable:
    """Close a redeemable handed over in full once its reversal window has passed; a
    booth pickup's order is then complete and the seller paid (``order_pickup_settle``).
    Idempotent; anything not due is left as it is."""
    locked = (
        Redeemable.objects.select_for_update(of=("self",))
        .select_related("order")
        .get(pk=redeemable_id)
    )
    now = clock.now()
    if (
        locked.closed_at is not None
        or locked.redeemed_at is None
        or not rules.settle_due(
            last_redeemed_at=locked.redeemed_at, now=now, window=reversal_window()
        )
    ):
        return locked
    if locked.order is not None:
        order_pickup_settle(order=locked.order, reason=_("展位自提核销完成"))
    locked.closed_at = now
    locked.save(update_fields=["closed_at"])
    audit_record(actor=None, action="redemption.settled", target=locked)
    return locked


def gift_redeemable_create(*, code: str, holder: User, title_zh: str, title_en: str) -> Redeemable:
    """A gift to collect at the information desk (a passport reward): one unit, handed over
    by venue staff through the same 核销 flow as a booth pickup (serial, device, reversal)."""
    redeemable = Redeemable.objects.create(
        kind=RedeemableKind.GIFT,
        code=code,
        holder=holder,
        shop=None,
        booth=None,
        created_at=clock.now(),
    )
    RedeemableItem.objects.create(
        redeemable=redeemable, title_zh=title_zh, title_en=title_en, quantity=1, position=1
    )
    return redeemable


# --- booth staff -----------------------------------------------------------------------------


@transaction.atomic
def shop_staff_set(*, shop: Shop, user: User, active: bool, by: User | None) -> ShopStaff:
    """Add ``user`` to ``shop``'s booth staff (or take them off: ``active`` False; the row
    stays, as redemptions name them). Idempotent."""
    member, _created = ShopStaff.objects.get_or_create(
        shop=shop, user=user, defaults={"is_active": active, "created_at": clock.now()}
    )
    if member.is_active != active:
        member.is_active = active
        member.save(update_fields=["is_active"])
    audit_record(
        actor=by,
        action="booth_staff.added" if active else "booth_staff.removed",
        target=shop,
        data={"user": user.public_id},
    )
    return member


def shop_staff_add(*, shop: Shop, email: str, by: User) -> ShopStaff:
    """The shop's seller adds the account with ``email`` to its booth staff (``NotFound``
    ``account_not_found`` when there is none; the seller is staff already)."""
    found = User.objects.filter(email__iexact=str(email or "").strip()[:254], is_active=True)
    member = found.first()
    if member is None:
        raise NotFound(_("没有使用这个邮箱的账号。"), code="account_not_found")
    if member.pk == shop.owner_id:
        raise ValidationFailed(_("店主本人无需添加为员工。"), code="owner_is_staff")
    return shop_staff_set(shop=shop, user=member, active=True, by=by)


def shop_staff_of(shop: Shop) -> list[ShopStaff]:
    return list(
        ShopStaff.objects.filter(shop=shop, is_active=True).select_related("user").order_by("id")
    )
