"""At the show (O2O): booths, exhibits and their print sheets.

Public: ``GET /o2o/booths/{code}`` and ``GET /o2o/exhibits/{code}`` answer what a printed QR
code opens (``code``: the 10-character short code at the end of its URL, read case-blind).
Sellers list exhibits at their own shop's booths under ``/seller/booths`` and
``/seller/exhibits`` (another shop's booth or exhibit is 404) and download a booth's print
sheet (PDF: a table card and a label per exhibit). Operators assign, list and withdraw
booths and download any booth's sheet under ``/operator/booths``. Amounts are integer fen
with a formatted ``*_display`` text.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field, Strict, StringConstraints

from designmall.api.auth import AUTHENTICATED, OPERATOR
from designmall.api.errors import with_errors
from designmall.api.schemas import (
    DesignerRef,
    Input,
    Page,
    PageQuery,
    PublicId,
    ShopRef,
    designer_ref,
    page_out,
    shop_ref,
    text,
)
from designmall.catalog.models import Shop
from designmall.catalog.services import shop_for_seller
from designmall.core.errors import NotFound, ValidationFailed
from designmall.core.money import format_fen
from designmall.events.models import Hall, Venue
from designmall.o2o import rules, selectors, services, sheets
from designmall.o2o.models import Booth, BoothStatus, Exhibit

router = Router(tags=["o2o"])
seller_router = Router(tags=["o2o"], auth=AUTHENTICATED)
operator_router = Router(tags=["o2o"], auth=OPERATOR)

ShortCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{10}$")]
KindValue = Literal["product", "lot", "shown"]
# ISO 8601 dates and times (JSON has no such types, so strict mode is lifted for them).
Day = Annotated[date, Strict(False)]
TimeOfDay = Annotated[time, Strict(False)]
PDF_RESPONSE = {
    "responses": {
        "200": {
            "description": "The print sheet (PDF).",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _money(name: str, fen: int | None) -> dict[str, Any]:
    return {f"{name}_fen": fen, f"{name}_display": format_fen(fen) if fen is not None else None}


class PlaceOut(Schema):
    venue_id: str
    venue_zh: str
    venue_en: str
    hall_id: str | None
    hall_zh: str | None
    hall_en: str | None


class ExhibitRefOut(Schema):
    public_id: str
    code: str
    url: str = Field(description="The short public URL its QR code carries.")
    kind: KindValue = Field(description="A catalog product, an auction lot or shown only.")
    title_zh: str
    title_en: str
    story_zh: str
    story_en: str
    product: str | None = Field(description="The product's public id (kind product).")
    lot: str | None = Field(description="The lot's public id (kind lot).")


class BoothOut(Schema):
    public_id: str
    code: str
    url: str = Field(description="The short public URL its QR code carries.")
    shop: ShopRef
    place: PlaceOut
    number: str
    opens_on: date
    closes_on: date
    opens_at: time = Field(description="Daily opening time, local.")
    closes_at: time = Field(description="Daily closing time, local (excluded).")
    status: Literal["active", "withdrawn"]
    open_now: bool
    exhibits: list[ExhibitRefOut]


class LotPriceOut(Schema):
    public_id: str
    phase: str = Field(description="scheduled, open or closed, by the clock.")
    price_fen: int | None
    price_display: str | None
    bid_count: int
    ends_at: datetime


class ExhibitOut(ExhibitRefOut):
    booth: str = Field(description="The booth's public id.")
    booth_code: str
    shop: ShopRef
    designer: DesignerRef | None
    images: list[str] = Field(description="Picture URLs, the cover first.")
    price_fen: int | None = Field(description="From-price now (a product) or the lot's price.")
    price_display: str | None
    available: int | None = Field(description="Units buyable now (a product); null otherwise.")
    buyable: bool
    lot_price: LotPriceOut | None = Field(description="The lot's live price (kind lot).")
    booth_open: bool


def _place(booth: Booth) -> dict[str, Any]:
    hall = booth.hall
    return {
        "venue_id": booth.venue.public_id,
        "venue_zh": booth.venue.name_zh,
        "venue_en": booth.venue.name_en,
        "hall_id": hall.public_id if hall else None,
        "hall_zh": hall.name_zh if hall else None,
        "hall_en": hall.name_en if hall else None,
    }


def exhibit_ref_out(exhibit: Exhibit) -> dict[str, Any]:
    return {
        "public_id": exhibit.public_id,
        "code": exhibit.code,
        "url": selectors.exhibit_url(exhibit),
        "kind": exhibit.kind,
        "title_zh": exhibit.title_zh_shown,
        "title_en": exhibit.title_en_shown,
        "story_zh": exhibit.story_zh,
        "story_en": exhibit.story_en,
        "product": exhibit.product.public_id if exhibit.product_id else None,
        "lot": exhibit.lot.public_id if exhibit.lot_id else None,
    }


def booth_out(booth: Booth, exhibits: list[Exhibit] | None = None) -> dict[str, Any]:
    if exhibits is None:
        exhibits = [e for e in booth.exhibits.all() if e.is_active]
    return {
        "public_id": booth.public_id,
        "code": booth.code,
        "url": selectors.booth_url(booth),
        "shop": shop_ref(booth.shop),
        "place": _place(booth),
        "number": booth.number,
        "opens_on": booth.opens_on,
        "closes_on": booth.closes_on,
        "opens_at": booth.opens_at,
        "closes_at": booth.closes_at,
        "status": booth.status,
        "open_now": selectors.booth_is_open(booth),
        "exhibits": [exhibit_ref_out(e) for e in exhibits],
    }


def exhibit_out(page: selectors.ExhibitPage) -> dict[str, Any]:
    exhibit, lot = page.exhibit, page.lot
    return {
        **exhibit_ref_out(exhibit),
        "booth": page.booth.public_id,
        "booth_code": page.booth.code,
        "shop": shop_ref(page.booth.shop),
        "designer": designer_ref(page.designer),
        "images": page.images,
        **_money("price", page.price_fen),
        "available": page.available,
        "buyable": page.buyable,
        "lot_price": None
        if lot is None
        else {
            "public_id": lot.lot.public_id,
            "phase": lot.phase,
            **_money("price", lot.price_fen),
            "bid_count": lot.bid_count,
            "ends_at": lot.ends_at,
        },
        "booth_open": page.booth_open,
    }


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- public: what a code opens ---------------------------------------------------------------


@router.get("/o2o/booths/{code}", response=with_errors({200: BoothOut}, 404, 422))
def booth_by_code(request: HttpRequest, code: Path[ShortCode]):
    """The booth a printed code names, with its exhibits; a withdrawn booth is 404."""
    return booth_out(selectors.booth_by_code(code))


@router.get("/o2o/exhibits/{code}", response=with_errors({200: ExhibitOut}, 404, 422))
def exhibit_by_code(request: HttpRequest, code: Path[ShortCode]):
    """The exhibit a printed code names: pictures, designer, price and stock now, and the
    lot's live price for an auction piece; a removed exhibit is 404."""
    user = getattr(request, "user", None)
    viewer = user if user is not None and user.is_authenticated else None
    exhibit = selectors.exhibit_by_code(code)
    return exhibit_out(selectors.exhibit_page(exhibit=exhibit, viewer=viewer))


# --- the seller's booths ----------------------------------------------------------------------


class ExhibitIn(Input):
    kind: KindValue
    product: PublicId | None = Field(default=None, description="For kind product.")
    lot: PublicId | None = Field(default=None, description="For kind lot.")
    title_zh: text(120) = Field(default="", description="Needed for kind shown.")
    title_en: text(160) = ""
    story_zh: text(rules.STORY_MAX_ZH) = ""
    story_en: text(rules.STORY_MAX_EN) = ""
    position: Annotated[int, Strict(), Field(ge=0, le=10_000)] = 0


class ExhibitUpdateIn(Input):
    title_zh: text(120) | None = None
    title_en: text(160) | None = None
    story_zh: text(rules.STORY_MAX_ZH) | None = None
    story_en: text(rules.STORY_MAX_EN) | None = None
    position: Annotated[int, Strict(), Field(ge=0, le=10_000)] | None = None


@seller_router.get("/seller/booths", response=with_errors({200: list[BoothOut]}, 401, 404))
def seller_booths(request: HttpRequest):
    """The caller's shop's active booths with their exhibits."""
    shop = shop_for_seller(user=request.auth)
    return [booth_out(b) for b in selectors.booths_of_shop(shop=shop)]


@seller_router.post(
    "/seller/booths/{pid:public_id}/exhibits",
    response=with_errors({201: ExhibitRefOut}, 400, 401, 404, 409, 422),
)
def seller_exhibit_create(request: HttpRequest, public_id: str, payload: ExhibitIn):
    """List an exhibit at one of the caller's booths: a live product of the shop, one of
    its lots, or a piece shown only (needs ``title_zh``). A product or lot once per booth
    (409 ``exhibit_exists``)."""
    booth = services.booth_for_seller(user=request.auth, public_id=public_id)
    exhibit = services.exhibit_create(booth=booth, by=request.auth, **payload.model_dump())
    return Status(201, exhibit_ref_out(exhibit))


@seller_router.patch(
    "/seller/exhibits/{pid:public_id}",
    response=with_errors({200: ExhibitRefOut}, 400, 401, 404, 422),
)
def seller_exhibit_update(request: HttpRequest, public_id: str, payload: ExhibitUpdateIn):
    """Change an exhibit's titles, stories or place in the list (fields left out stay)."""
    exhibit = services.exhibit_for_seller(user=request.auth, public_id=public_id)
    exhibit = services.exhibit_update(
        exhibit=exhibit, by=request.auth, **payload.model_dump(exclude_unset=True)
    )
    return exhibit_ref_out(exhibit)


@seller_router.delete(
    "/seller/exhibits/{pid:public_id}", response=with_errors({204: None}, 401, 404)
)
def seller_exhibit_remove(request: HttpRequest, public_id: str):
    """Take an exhibit off its booth: its code stops resolving."""
    exhibit = services.exhibit_for_seller(user=request.auth, public_id=public_id)
    services.exhibit_remove(exhibit=exhibit, by=request.auth)
    return HttpResponse(status=204)


@seller_router.get(
    "/seller/booths/{pid:public_id}/sheet.pdf",
    response=with_errors({}, 401, 404),
    openapi_extra=PDF_RESPONSE,
)
def seller_booth_sheet(request: HttpRequest, public_id: str):
    """The booth's print sheet: an A5 table card, then A4 pages of exhibit labels."""
    booth = services.booth_for_seller(user=request.auth, public_id=public_id)
    return _pdf(sheets.booth_sheet_pdf(booth), f"booth-{booth.number}.pdf")


# --- the operator's booths --------------------------------------------------------------------


class BoothIn(Input):
    shop: PublicId
    venue: PublicId
    hall: PublicId | None = None
    number: text(20, min_length=1)
    opens_on: Day
    closes_on: Day
    opens_at: TimeOfDay = Field(description="Daily opening time, local, e.g. 10:00.")
    closes_at: TimeOfDay = Field(description="Daily closing time, local, e.g. 18:00.")


class BoothsQuery(PageQuery):
    venue: PublicId | None = None
    status: Literal["active", "withdrawn"] | None = None


def _lookup(model: type, public_id: str | None, field: str):
    if public_id is None:
        return None
    found = model.objects.filter(public_id=public_id).first()
    if found is None:
        raise ValidationFailed(
            _("没有找到：%(field)s。") % {"field": field},
            code=f"unknown_{field}",
            details={"field": field},
        )
    return found


@operator_router.get("/operator/booths", response=with_errors({200: Page[BoothOut]}, 401, 403, 422))
def operator_booths(request: HttpRequest, query: Query[BoothsQuery]):
    """Every booth, by venue and number (filter by venue or status)."""
    booths = Booth.objects.select_related("shop", "venue", "hall").prefetch_related(
        "exhibits__product", "exhibits__lot"
    )
    if query.venue:
        booths = booths.filter(venue__public_id=query.venue)
    if query.status:
        booths = booths.filter(status=query.status)
    return page_out(
        booths.order_by("venue__position", "venue_id", "number", "id"), query, booth_out
    )


@operator_router.post(
    "/operator/booths", response=with_errors({201: BoothOut}, 400, 401, 403, 409, 422)
)
def operator_booth_assign(request: HttpRequest, payload: BoothIn):
    """Assign an approved shop a booth: 409 ``shop_not_approved`` or ``booth_number_taken``;
    422 for a hall of another venue or impossible hours."""
    booth = services.booth_assign(
        by=request.auth,
        shop=_lookup(Shop, payload.shop, "shop"),
        venue=_lookup(Venue, payload.venue, "venue"),
        hall=_lookup(Hall, payload.hall, "hall"),
        number=payload.number,
        opens_on=payload.opens_on,
        closes_on=payload.closes_on,
        opens_at=payload.opens_at,
        closes_at=payload.closes_at,
    )
    return Status(201, booth_out(booth, []))


def _booth(public_id: str) -> Booth:
    booth = (
        Booth.objects.select_related("shop", "venue", "hall").filter(public_id=public_id).first()
    )
    if booth is None:
        raise NotFound(_("没有找到这个展位。"), code="booth_not_found")
    return booth


@operator_router.post(
    "/operator/booths/{pid:public_id}/withdraw",
    response=with_errors({200: BoothOut}, 401, 403, 404),
)
def operator_booth_withdraw(request: HttpRequest, public_id: str):
    """Withdraw a booth: its codes stop resolving, its number is free. Idempotent."""
    booth = services.booth_withdraw(booth=_booth(public_id), by=request.auth)
    return booth_out(_booth(booth.public_id))


@operator_router.get(
    "/operator/booths/{pid:public_id}/sheet.pdf",
    response=with_errors({}, 401, 403, 404),
    openapi_extra=PDF_RESPONSE,
)
def operator_booth_sheet(request: HttpRequest, public_id: str):
    """Any booth's print sheet (as the seller's)."""
    booth = _booth(public_id)
    if booth.status != BoothStatus.ACTIVE:
        raise NotFound(_("没有找到这个展位。"), code="booth_not_found")
    return _pdf(sheets.booth_sheet_pdf(booth), f"booth-{booth.number}.pdf")


# --- the visitor's scans ------------------------------------------------------------------------


class ScanIn(Input):
    code: ShortCode = Field(description="The short code of the booth or exhibit scanned.")
    target: Literal["booth", "exhibit"]


class ScanOut(Schema):
    booth: str
    booth_code: str
    shop: ShopRef
    exhibit: str | None
    exhibit_code: str | None
    title_zh: str = Field(description="The exhibit's title, or the shop's name for a booth.")
    title_en: str
    scanned_at: datetime


class ScanRecordedOut(Schema):
    recorded: bool = Field(description="False for a repeat within a minute (one scan).")


class ClearedOut(Schema):
    cleared: int


def scan_out(scan) -> dict[str, Any]:
    booth, exhibit = scan.booth, scan.exhibit
    return {
        "booth": booth.public_id,
        "booth_code": booth.code,
        "shop": shop_ref(booth.shop),
        "exhibit": exhibit.public_id if exhibit else None,
        "exhibit_code": exhibit.code if exhibit else None,
        "title_zh": exhibit.title_zh_shown if exhibit else booth.shop.name_zh,
        "title_en": exhibit.title_en_shown if exhibit else booth.shop.name_en,
        "scanned_at": scan.scanned_at,
    }


@seller_router.post("/o2o/scans", response=with_errors({201: ScanRecordedOut}, 400, 401, 404, 422))
def scan_create(request: HttpRequest, payload: ScanIn):
    """Record that the caller scanned a booth's or exhibit's code (an app that read the QR
    code itself; the web pages record their own scans)."""
    if payload.target == "booth":
        booth, exhibit = selectors.booth_by_code(payload.code), None
    else:
        exhibit = selectors.exhibit_by_code(payload.code)
        booth = exhibit.booth
    scan = services.scan_record(booth=booth, exhibit=exhibit, user=request.auth, visitor_id="")
    return Status(201, {"recorded": scan is not None})


@seller_router.get("/o2o/my-scans", response=with_errors({200: Page[ScanOut]}, 401, 422))
def my_scans(request: HttpRequest, query: Query[PageQuery]):
    """The caller's own scan history, newest first."""
    scans = selectors.scans_of_visitor(user=request.auth, visitor_id=None)
    return page_out(scans.order_by("-scanned_at", "-id"), query, scan_out)


@seller_router.delete("/o2o/my-scans", response=with_errors({200: ClearedOut}, 401))
def my_scans_clear(request: HttpRequest):
    """Clear the caller's scan history."""
    return {"cleared": services.scans_clear(user=request.auth, visitor_id=None)}
