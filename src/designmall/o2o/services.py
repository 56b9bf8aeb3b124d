"""Booths and exhibits: an operator assigns booths to approved shops, a seller lists its
booth's exhibits. Each function is one transaction and writes an audit row.

Who. Only operators (``Role.OPERATOR`` or a superuser) assign, change and withdraw
booths; a seller sees and lists exhibits only at its own shop's booths (another shop's
booth or exhibit is 404, as if it did not exist).

Booths. The shop must be approved; the hall, when given, must be in the venue; the booth
number (``rules.booth_number_clean``) is taken once per venue among active booths
(``Conflict`` ``booth_number_taken``, backed by a partial unique index); the days and
daily hours must make sense (``ValidationFailed`` ``invalid_hours``).

Exhibits. A ``product`` exhibit is a live product of the booth's shop, a ``lot`` exhibit
an auction lot of the booth's shop, a ``shown`` exhibit needs its own Chinese title. A
product or lot is shown once per booth (``Conflict`` ``exhibit_exists``). Stories are
short (``rules.STORY_MAX_ZH`` / ``STORY_MAX_EN`` characters). Removing an exhibit keeps its
row (scans and orders may point at it) and its code stops resolving.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.auctions.models import Lot
from designmall.catalog.models import Product, ProductStatus, Shop, ShopStatus
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from designmall.events.models import Hall, Venue
from designmall.o2o import rules, selectors
from designmall.o2o.models import (
    Booth,
    BoothStatus,
    Exhibit,
    ExhibitKind,
    OrderAttribution,
    OrderSource,
    ScanVisit,
)
from designmall.orders.models import Order

TITLE_MAX_ZH = 120
TITLE_MAX_EN = 160


def is_operator(user: User | None) -> bool:
    return bool(
        user is not None
        and getattr(user, "pk", None)
        and user.is_active
        and (user.is_superuser or user.has_role(Role.OPERATOR))
    )


def _require_operator(user: User | None) -> None:
    if not is_operator(user):
        raise PermissionDenied(_("只有运营人员可以分配展位。"), code="operator_only")


def _booth_not_found() -> NotFound:
    return NotFound(_("没有找到这个展位。"), code="booth_not_found")


def _exhibit_not_found() -> NotFound:
    return NotFound(_("没有找到这个展品。"), code="exhibit_not_found")


def _text(value: Any, *, limit: int, field: str, required: bool = False) -> str:
    text = " ".join(str(value or "").split())
    if "\x00" in text or len(text) > limit or (required and not text):
        raise ValidationFailed(
            _("%(field)s须为 %(min)d–%(n)d 个字。")
            % {"field": field, "min": 1 if required else 0, "n": limit},
            code="invalid_text",
            details={"field": field, "max": limit},
        )
    return text


def _story(value: Any, *, limit: int, field: str) -> str:
    text = str(value or "").strip()
    if "\x00" in text or len(text) > limit:
        raise ValidationFailed(
            _("故事最多 %(n)d 个字。") % {"n": limit},
            code="story_too_long",
            details={"field": field, "max": limit},
        )
    return text


def _place(
    *,
    venue: Venue,
    hall: Hall | None,
    number: Any,
    opens_on: date,
    closes_on: date,
    opens_at: time,
    closes_at: time,
) -> str:
    """Check a booth's place and hours; returns the cleaned number."""
    if hall is not None and hall.venue_id != venue.pk:
        raise ValidationFailed(
            _("展厅不在这个场馆里。"), code="hall_not_in_venue", details={"field": "hall"}
        )
    clean = rules.booth_number_clean(number)
    if clean is None:
        raise ValidationFailed(
            _("展位号须为 1–20 个字母、数字或 -。"),
            code="invalid_booth_number",
            details={"field": "number"},
        )
    if not rules.hours_valid(
        opens_on=opens_on, closes_on=closes_on, opens_at=opens_at, closes_at=closes_at
    ):
        raise ValidationFailed(
            _("开放日期或每日时间无效：末日不能早于首日，关闭须晚于开放。"),
            code="invalid_hours",
        )
    return clean


def booth_check(
    *,
    shop: Shop,
    venue: Venue,
    hall: Hall | None,
    number: Any,
    opens_on: date,
    closes_on: date,
    opens_at: time,
    closes_at: time,
    booth: Booth | None = None,
) -> str:
    """Refuse a booth that cannot be (see the module's text) without writing anything, for
    forms; returns the cleaned number. ``booth``: the booth being changed."""
    if shop.status != ShopStatus.APPROVED:
        raise Conflict(
            _("只能为已开通的店铺分配展位。"), code="shop_not_approved", details={"field": "shop"}
        )
    number = _place(
        venue=venue,
        hall=hall,
        number=number,
        opens_on=opens_on,
        closes_on=closes_on,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    taken = Booth.objects.filter(venue=venue, number=number, status=BoothStatus.ACTIVE)
    if booth is not None:
        taken = taken.exclude(pk=booth.pk)
    if taken.exists():
        raise _number_taken(number)
    return number


def _number_taken(number: str) -> Conflict:
    return Conflict(
        _("这个场馆的展位号 %(number)s 已被占用。") % {"number": number},
        code="booth_number_taken",
        details={"field": "number"},
    )


def _save(obj: Booth | Exhibit, conflict: Conflict, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError:
        raise conflict from None


@transaction.atomic
def booth_assign(
    *,
    by: User,
    shop: Shop,
    venue: Venue,
    hall: Hall | None = None,
    number: str,
    opens_on: date,
    closes_on: date,
    opens_at: time,
    closes_at: time,
) -> Booth:
    """An operator gives an approved ``shop`` a booth (see the module's text)."""
    _require_operator(by)
    shop = Shop.objects.select_for_update().get(pk=shop.pk)
    number = booth_check(
        shop=shop,
        venue=venue,
        hall=hall,
        number=number,
        opens_on=opens_on,
        closes_on=closes_on,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    now = clock.now()
    booth = Booth(
        shop=shop,
        venue=venue,
        hall=hall,
        number=number,
        opens_on=opens_on,
        closes_on=closes_on,
        opens_at=opens_at,
        closes_at=closes_at,
        assigned_by=by,
        created_at=now,
        updated_at=now,
    )
    _save(booth, _number_taken(number))
    audit_record(
        actor=by,
        action="booth.assigned",
        target=booth,
        to_state=BoothStatus.ACTIVE,
        data={"shop": shop.public_id, "venue": venue.public_id, "number": number},
    )
    return booth


@transaction.atomic
def booth_update(
    *,
    booth: Booth,
    by: User,
    hall: Hall | None,
    number: str,
    opens_on: date,
    closes_on: date,
    opens_at: time,
    closes_at: time,
) -> Booth:
    """An operator moves an active booth within its venue or changes its hours."""
    _require_operator(by)
    booth = (
        Booth.objects.select_for_update(of=("self",))
        .select_related("venue", "shop")
        .get(pk=booth.pk)
    )
    if booth.status != BoothStatus.ACTIVE:
        raise Conflict(_("这个展位已撤展。"), code="booth_withdrawn")
    number = booth_check(
        shop=booth.shop,
        venue=booth.venue,
        hall=hall,
        number=number,
        opens_on=opens_on,
        closes_on=closes_on,
        opens_at=opens_at,
        closes_at=closes_at,
        booth=booth,
    )
    booth.hall, booth.number = hall, number
    booth.opens_on, booth.closes_on = opens_on, closes_on
    booth.opens_at, booth.closes_at = opens_at, closes_at
    booth.updated_at = clock.now()
    _save(booth, _number_taken(number))
    audit_record(actor=by, action="booth.updated", target=booth, data={"number": number})
    return booth


@transaction.atomic
def booth_withdraw(*, booth: Booth, by: User, reason: str = "") -> Booth:
    """An operator withdraws a booth: its code and its exhibits' codes stop resolving and
    its number is free again. Idempotent."""
    _require_operator(by)
    booth = Booth.objects.select_for_update().get(pk=booth.pk)
    if booth.status == BoothStatus.WITHDRAWN:
        return booth
    booth.status = BoothStatus.WITHDRAWN
    booth.updated_at = clock.now()
    booth.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=by,
        action="booth.withdrawn",
        target=booth,
        from_state=BoothStatus.ACTIVE,
        to_state=BoothStatus.WITHDRAWN,
        reason=" ".join((reason or "").split())[:500],
    )
    return booth


# --- the seller's side ---------------------------------------------------------------------


def booth_for_seller(*, user: User, public_id: str) -> Booth:
    """An active booth of one of ``user``'s shops; any other is 404."""
    booth = (
        Booth.objects.select_related("shop", "venue", "hall")
        .filter(public_id=public_id, shop__owner=user, status=BoothStatus.ACTIVE)
        .first()
    )
    if booth is None or not getattr(user, "pk", None):
        raise _booth_not_found()
    return booth


def exhibit_for_seller(*, user: User, public_id: str) -> Exhibit:
    """An active exhibit at an active booth of one of ``user``'s shops; any other is 404."""
    exhibit = (
        Exhibit.objects.select_related("booth__shop", "booth__venue", "product", "lot")
        .filter(
            public_id=public_id,
            is_active=True,
            booth__shop__owner=user,
            booth__status=BoothStatus.ACTIVE,
        )
        .first()
    )
    if exhibit is None or not getattr(user, "pk", None):
        raise _exhibit_not_found()
    return exhibit


def _source(
    *, booth: Booth, kind: str, product: str | None, lot: str | None
) -> tuple[Product | None, Lot | None]:
    if kind not in ExhibitKind.values:
        raise ValidationFailed(
            _("展品类型须为在售商品、拍品或仅展示。"),
            code="invalid_exhibit_kind",
            details={"field": "kind"},
        )
    if kind == ExhibitKind.PRODUCT:
        found = Product.objects.filter(
            public_id=product or "", shop_id=booth.shop_id, status=ProductStatus.LIVE
        ).first()
        if found is None:
            raise ValidationFailed(
                _("请选择本店在售的商品。"), code="unknown_product", details={"field": "product"}
            )
        return found, None
    if kind == ExhibitKind.LOT:
        found_lot = Lot.objects.filter(public_id=lot or "", shop_id=booth.shop_id).first()
        if found_lot is None:
            raise ValidationFailed(
                _("请选择本店的拍品。"), code="unknown_lot", details={"field": "lot"}
            )
        return None, found_lot
    return None, None


@transaction.atomic
def exhibit_create(
    *,
    booth: Booth,
    by: User,
    kind: str,
    product: str | None = None,
    lot: str | None = None,
    title_zh: str = "",
    title_en: str = "",
    story_zh: str = "",
    story_en: str = "",
    position: int = 0,
) -> Exhibit:
    """The seller lists an exhibit at its booth (``product`` / ``lot``: public ids)."""
    booth = booth_for_seller(user=by, public_id=booth.public_id)
    found_product, found_lot = _source(booth=booth, kind=kind, product=product, lot=lot)
    title_zh = _text(
        title_zh, limit=TITLE_MAX_ZH, field="title_zh", required=kind == ExhibitKind.SHOWN
    )
    now = clock.now()
    exhibit = Exhibit(
        booth=booth,
        kind=kind,
        product=found_product,
        lot=found_lot,
        title_zh=title_zh,
        title_en=_text(title_en, limit=TITLE_MAX_EN, field="title_en"),
        story_zh=_story(story_zh, limit=rules.STORY_MAX_ZH, field="story_zh"),
        story_en=_story(story_en, limit=rules.STORY_MAX_EN, field="story_en"),
        position=max(0, int(position or 0)),
        created_at=now,
        updated_at=now,
    )
    _save(
        exhibit,
        Conflict(_("这件作品已在本展位展出。"), code="exhibit_exists"),
    )
    audit_record(
        actor=by,
        action="exhibit.created",
        target=exhibit,
        data={"booth": booth.public_id, "kind": kind},
    )
    return exhibit


@transaction.atomic
def exhibit_update(
    *,
    exhibit: Exhibit,
    by: User,
    title_zh: str | None = None,
    title_en: str | None = None,
    story_zh: str | None = None,
    story_en: str | None = None,
    position: int | None = None,
) -> Exhibit:
    """The seller changes an exhibit's texts or place in the list (``None``: unchanged)."""
    exhibit = exhibit_for_seller(user=by, public_id=exhibit.public_id)
    if title_zh is not None:
        exhibit.title_zh = _text(
            title_zh,
            limit=TITLE_MAX_ZH,
            field="title_zh",
            required=exhibit.kind == ExhibitKind.SHOWN,
        )
    if title_en is not None:
        exhibit.title_en = _text(title_en, limit=TITLE_MAX_EN, field="title_en")
    if story_zh is not None:
        exhibit.story_zh = _story(story_zh, limit=rules.STORY_MAX_ZH, field="story_zh")
    if story_en is not None:
        exhibit.story_en = _story(story_en, limit=rules.STORY_MAX_EN, field="story_en")
    if position is not None:
        exhibit.position = max(0, int(position))
    exhibit.updated_at = clock.now()
    exhibit.save()
    audit_record(actor=by, action="exhibit.updated", target=exhibit)
    return exhibit


@transaction.atomic
def exhibit_remove(*, exhibit: Exhibit, by: User) -> Exhibit:
    """The seller takes an exhibit off its booth: its code stops resolving."""
    exhibit = exhibit_for_seller(user=by, public_id=exhibit.public_id)
    exhibit.is_active = False
    exhibit.updated_at = clock.now()
    exhibit.save(update_fields=["is_active", "updated_at"])
    audit_record(actor=by, action="exhibit.removed", target=exhibit)
    return exhibit


# --- scans ------------------------------------------------------------------------------------

VISITOR_ID_MAX = 40
# Opening the same page again within this long is one scan (a reload, a second tap).
SCAN_REPEAT_SECONDS = 60


def _visitor(visitor_id: str | None) -> str:
    text = (visitor_id or "").strip()
    return text if 16 <= len(text) <= VISITOR_ID_MAX and text.isascii() else ""


def scan_record(
    *, booth: Booth, exhibit: Exhibit | None, user: User | None, visitor_id: str | None
) -> ScanVisit | None:
    """Record that a visitor opened a booth's or exhibit's code: the logged-in ``user``, or
    else the browser's cookie id. A repeat of the same page by the same visitor within
    ``SCAN_REPEAT_SECONDS`` is not a new scan (returns None); so is a visitor we cannot
    tell (no account, no cookie)."""
    user = user if getattr(user, "pk", None) else None
    visitor_id = _visitor(visitor_id)
    if user is None and not visitor_id:
        return None
    now = clock.now()
    recent = ScanVisit.objects.filter(
        booth=booth,
        exhibit=exhibit,
        scanned_at__gt=now - timedelta(seconds=SCAN_REPEAT_SECONDS),
    )
    recent = recent.filter(user=user) if user else recent.filter(visitor_id=visitor_id)
    if recent.exists():
        return None
    return ScanVisit.objects.create(
        booth=booth, exhibit=exhibit, user=user, visitor_id=visitor_id, scanned_at=now
    )


@transaction.atomic
def scans_merge(*, user: User, visitor_id: str | None) -> int:
    """At login: the browser's anonymous scans become the account's. Returns how many."""
    visitor_id = _visitor(visitor_id)
    if not visitor_id or not getattr(user, "pk", None):
        return 0
    return ScanVisit.objects.filter(visitor_id=visitor_id, user__isnull=True).update(user=user)


@transaction.atomic
def scans_clear(*, user: User | None, visitor_id: str | None) -> int:
    """The visitor clears their own scan history (the account's and this browser's
    anonymous scans); returns how many scans were deleted."""
    visitor_id = _visitor(visitor_id)
    mine = ScanVisit.objects.none()
    if getattr(user, "pk", None):
        mine = ScanVisit.objects.filter(user=user)
    if visitor_id:
        mine = mine | ScanVisit.objects.filter(visitor_id=visitor_id, user__isnull=True)
    deleted, _rows = ScanVisit.objects.filter(pk__in=mine.values("pk")).delete()
    return deleted


# --- attribution ------------------------------------------------------------------------------


def order_attribute(*, order: Order) -> OrderAttribution:
    """Store where ``order`` came from (see ``OrderAttribution``): the buyer's last scan of
    the order's shop within the window before the order was placed, else online. Decided
    at the order's own time, so a late run gives the same answer; idempotent (once per
    order, the first answer stands)."""
    found = OrderAttribution.objects.filter(order=order).first()
    if found is not None:
        return found
    window = selectors.attribution_window()
    scan = selectors.attribution_for(
        user=order.buyer, shop=order.shop, at=order.created_at, window=window
    )
    try:
        with transaction.atomic():
            return OrderAttribution.objects.create(
                order=order,
                source=OrderSource.OFFLINE if scan else OrderSource.ONLINE,
                booth=scan.booth if scan else None,
                exhibit=scan.exhibit if scan else None,
                scanned_at=scan.scanned_at if scan else None,
                window_days=window.days,
                attributed_at=clock.now(),
            )
    except IntegrityError:  # another worker stored it meanwhile
        return OrderAttribution.objects.get(order=order)
