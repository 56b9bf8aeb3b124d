"""Reads of the show: booths and exhibits by their short codes, a shop's booths, the
short URLs their QR codes carry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.auctions.selectors import LotView, lot_view
from designmall.catalog.models import Designer, Shop
from designmall.core import clock
from designmall.core.errors import NotFound
from designmall.inventory.selectors import available_by_sku
from designmall.o2o import rules
from designmall.o2o.models import Booth, BoothStatus, Exhibit, ScanVisit


def booth_url(booth: Booth) -> str:
    """The booth's short public URL (what its QR code carries)."""
    return settings.SITE_URL + reverse("storefront:show_booth", args=[booth.code])


def exhibit_url(exhibit: Exhibit) -> str:
    """The exhibit's short public URL (what its QR code carries)."""
    return settings.SITE_URL + reverse("storefront:show_exhibit", args=[exhibit.code])


def booth_is_open(booth: Booth) -> bool:
    """Whether the booth is open now by its days and daily hours (local time)."""
    return rules.booth_open(
        local=timezone.localtime(clock.now()),
        opens_on=booth.opens_on,
        closes_on=booth.closes_on,
        opens_at=booth.opens_at,
        closes_at=booth.closes_at,
    )


def _active_exhibits() -> QuerySet[Exhibit]:
    return Exhibit.objects.filter(is_active=True).select_related("product", "lot")


def booths_active() -> QuerySet[Booth]:
    return (
        Booth.objects.filter(status=BoothStatus.ACTIVE)
        .select_related("shop", "venue", "hall")
        .order_by("venue__position", "venue_id", "number", "id")
    )


def booths_of_shop(*, shop: Shop) -> QuerySet[Booth]:
    """The shop's active booths with their active exhibits."""
    return (
        booths_active()
        .filter(shop=shop)
        .prefetch_related(
            Prefetch("exhibits", queryset=_active_exhibits().order_by("position", "id"))
        )
    )


def booth_by_code(code: str) -> Booth:
    """An active booth of an approved shop by its short code; anything else is 404."""
    booth = (
        booths_active()
        .filter(code=rules.short_code_clean(code), shop__status="approved")
        .prefetch_related(
            Prefetch("exhibits", queryset=_active_exhibits().order_by("position", "id"))
        )
        .first()
    )
    if booth is None:
        raise NotFound(_("没有找到这个展位。"), code="booth_not_found")
    return booth


def exhibit_by_code(code: str) -> Exhibit:
    """An active exhibit at an active booth of an approved shop by its short code."""
    exhibit = (
        _active_exhibits()
        .select_related(
            "booth__shop__designer",
            "booth__venue",
            "booth__hall",
            "product__designer",
            "lot__designer",
        )
        .filter(
            code=rules.short_code_clean(code),
            booth__status=BoothStatus.ACTIVE,
            booth__shop__status="approved",
        )
        .first()
    )
    if exhibit is None:
        raise NotFound(_("没有找到这个展品。"), code="exhibit_not_found")
    return exhibit


def exhibit_by_public_id(public_id: str) -> Exhibit:
    """As ``exhibit_by_code``, by the exhibit's public id (the API's path)."""
    found = Exhibit.objects.filter(public_id=public_id).values_list("code", flat=True).first()
    return exhibit_by_code(found or "")


@dataclass(frozen=True)
class ExhibitPage:
    """What a scanned exhibit's page shows: the piece, its price and stock now, and for an
    auction piece the lot's live price (``lot``: the auctions' view of it)."""

    exhibit: Exhibit
    booth: Booth
    booth_open: bool
    images: list[str]  # image URLs, first is the cover
    designer: Designer | None
    price_fen: int | None
    available: int | None  # units that can be bought now (a product); None otherwise
    buyable: bool
    lot: LotView | None


def exhibit_page(*, exhibit: Exhibit, viewer: User | None = None) -> ExhibitPage:
    booth = exhibit.booth
    images: list[str] = []
    designer = booth.shop.designer
    price = available = None
    buyable = False
    lot = None
    if exhibit.product_id:
        product = exhibit.product
        designer = product.designer or designer
        images = [image.image.url for image in product.images.order_by("position", "id")[:6]]
        skus = list(product.skus.filter(is_active=True).values_list("pk", "price_fen"))
        stock = available_by_sku([pk for pk, _price in skus])
        available = sum(stock.values())
        price = min((p for _pk, p in skus), default=product.price_min_fen)
        buyable = product.is_sellable and available > 0
    elif exhibit.lot_id:
        designer = exhibit.lot.designer or designer
        images = [image.image.url for image in exhibit.lot.images.order_by("position", "id")[:6]]
        lot = lot_view(lot=exhibit.lot, viewer=viewer if getattr(viewer, "pk", None) else None)
        price = lot.price_fen
    return ExhibitPage(
        exhibit=exhibit,
        booth=booth,
        booth_open=booth_is_open(booth),
        images=images,
        designer=designer,
        price_fen=price,
        available=available,
        buyable=buyable,
        lot=lot,
    )


def scans_of_visitor(*, user: User | None, visitor_id: str | None) -> QuerySet[ScanVisit]:
    """The visitor's own scans, newest first: the account's, and this browser's anonymous
    ones."""
    mine = ScanVisit.objects.none()
    if getattr(user, "pk", None):
        mine = ScanVisit.objects.filter(user=user)
    if visitor_id:
        mine = mine | ScanVisit.objects.filter(visitor_id=visitor_id, user__isnull=True)
    return mine.select_related("booth__shop", "booth__venue", "exhibit__product", "exhibit__lot")


def attribution_window() -> timedelta:
    return timedelta(days=getattr(settings, "O2O_ATTRIBUTION_DAYS", 7))


def attribution_for(
    *, user: User, shop: Shop, at: datetime, window: timedelta | None = None
) -> ScanVisit | None:
    """The scan an order of ``shop`` by ``user`` placed at ``at`` is attributed to (last
    touch within the window, ``rules.last_touch``), or None for an online sale."""
    window = window or attribution_window()
    scans = {
        scan.pk: scan
        for scan in ScanVisit.objects.filter(
            user=user, booth__shop=shop, scanned_at__gte=at - window, scanned_at__lte=at
        ).select_related("booth", "exhibit")
    }
    touch = rules.last_touch(
        (
            rules.Touch(s.pk, s.scanned_at, shop.pk, s.booth_id, s.exhibit_id)
            for s in scans.values()
        ),
        shop=shop.pk,
        ordered_at=at,
        window=window,
    )
    return scans[touch.ref] if touch else None


def orders_to_attribute(*, limit: int = 500) -> list[int]:
    """Orders without a stored attribution yet, oldest first (the sweeper's work)."""
    from designmall.orders.models import Order

    return list(
        Order.objects.filter(attribution__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
