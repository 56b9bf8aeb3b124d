"""The show's dashboards' data (what the charts draw): ``GET /operator/show/dashboard`` for
operators (every booth of the show), ``GET /seller/show/dashboard`` for a seller (its own
shop's booths, orders, pre-sales and lots only). ``start`` and ``end`` (ISO dates, both
included) default to the design week's; a range backwards or longer than 62 days is 422
``invalid_range``. What each figure counts is written in ``o2o.dashboard``. Amounts are
integer fen with a formatted ``*_display`` text; names come in both languages.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import BaseModel, Field, Strict

from designmall.api.auth import AUTHENTICATED, OPERATOR
from designmall.api.errors import with_errors
from designmall.api.schemas import ShopRef, shop_ref
from designmall.catalog.models import Shop
from designmall.catalog.services import shop_for_seller
from designmall.core.errors import ValidationFailed
from designmall.core.money import format_fen
from designmall.o2o import dashboard

operator_router = Router(tags=["o2o"], auth=OPERATOR)
seller_router = Router(tags=["o2o"], auth=AUTHENTICATED)

# ISO 8601 dates (JSON has no date type, so strict mode is lifted for them).
Day = Annotated[date, Strict(False)]


class RangeQuery(BaseModel):
    start: Day | None = Field(None, description="First day (ISO date); the week's by default.")
    end: Day | None = Field(None, description="Last day, included; the week's by default.")


class VenueHourOut(Schema):
    hour: int = Field(description="Local hour of the day, 0-23.")
    checked_in: int


class VenueCheckinsOut(Schema):
    public_id: str
    name_zh: str
    name_en: str
    checked_in: int
    hours: list[VenueHourOut]


class BoothFiguresOut(Schema):
    public_id: str
    number: str
    venue_zh: str
    venue_en: str
    shop: ShopRef
    scans: int
    visitors: int = Field(description="Distinct accounts and anonymous browsers that scanned.")
    orders: int = Field(description="Paid orders attributed to the booth.")
    buyers: int
    sales_fen: int
    sales_display: str
    conversion_percent: float | None = Field(description="Buyers per 100 scanning visitors.")


class SourceSalesOut(Schema):
    orders: int
    gross_fen: int
    gross_display: str
    refunds_fen: int
    refunds_display: str
    net_fen: int
    net_display: str


class DaySalesOut(Schema):
    day: date
    offline: SourceSalesOut
    online: SourceSalesOut
    pending: SourceSalesOut = Field(description="Paid orders not attributed yet.")
    net_fen: int
    net_display: str


class CampaignDepositsOut(Schema):
    public_id: str
    title_zh: str
    title_en: str
    shop: ShopRef
    deposits: int
    deposits_fen: int
    deposits_display: str
    balances_paid: int


class SaleTotalsOut(Schema):
    public_id: str
    title_zh: str
    title_en: str
    lots: int
    knocked_down: int
    hammer_fen: int
    hammer_display: str
    paid: int
    paid_fen: int
    paid_display: str


class ExhibitFiguresOut(Schema):
    public_id: str
    code: str
    title_zh: str
    title_en: str
    booth_id: str
    scans: int
    orders: int
    sales_fen: int
    sales_display: str


class DashboardOut(Schema):
    start: date
    end: date
    shop: ShopRef | None = Field(description="The seller's shop; null for the whole show.")
    checkins: list[VenueCheckinsOut]
    booths: list[BoothFiguresOut]
    sales: list[DaySalesOut]
    presales: list[CampaignDepositsOut]
    auctions: list[SaleTotalsOut]
    top_exhibits: list[ExhibitFiguresOut]
    attribution_pending: int = Field(description="Paid orders in the range not attributed yet.")


def _money(name: str, fen: int) -> dict[str, Any]:
    return {f"{name}_fen": fen, f"{name}_display": format_fen(fen)}


def _scope(query: RangeQuery, shop: Shop | None) -> dashboard.Scope:
    try:
        return dashboard.scope_of(start=query.start, end=query.end, shop=shop)
    except ValueError:
        raise ValidationFailed(
            _("日期范围无效：结束不早于开始，最多 %(n)d 天。") % {"n": dashboard.MAX_DAYS},
            code="invalid_range",
            details={"max_days": dashboard.MAX_DAYS},
        ) from None


def _source(day: dashboard.DaySales, source: str) -> dict[str, Any]:
    return {
        "orders": day.orders[source],
        **_money("gross", day.gross_fen[source]),
        **_money("refunds", day.refunds_fen[source]),
        **_money("net", day.net_fen(source)),
    }


def dashboard_out(scope: dashboard.Scope) -> dict[str, Any]:
    board = dashboard.dashboard(scope)
    grid = board.checkins
    return {
        "start": scope.start,
        "end": scope.end,
        "shop": shop_ref(scope.shop) if scope.shop else None,
        "checkins": [
            {
                "public_id": v.public_id,
                "name_zh": v.name_zh,
                "name_en": v.name_en,
                "checked_in": grid.venue_total(v),
                "hours": [
                    {"hour": h, "checked_in": grid.count(v, h)}
                    for h in grid.hours
                    if grid.count(v, h)
                ],
            }
            for v in grid.venues
        ],
        "booths": [
            {
                "public_id": f.booth.public_id,
                "number": f.booth.number,
                "venue_zh": f.booth.venue.name_zh,
                "venue_en": f.booth.venue.name_en,
                "shop": shop_ref(f.booth.shop),
                "scans": f.scans,
                "visitors": f.visitors,
                "orders": f.orders,
                "buyers": f.buyers,
                **_money("sales", f.sales_fen),
                "conversion_percent": f.conversion_percent,
            }
            for f in board.booths
        ],
        "sales": [
            {
                "day": d.day,
                **{s: _source(d, s) for s in dashboard.SOURCES},
                **_money("net", d.net_total_fen),
            }
            for d in board.sales
        ],
        "presales": [
            {
                "public_id": f.campaign.public_id,
                "title_zh": f.campaign.title_zh,
                "title_en": f.campaign.title_en,
                "shop": shop_ref(f.campaign.shop),
                "deposits": f.deposits,
                **_money("deposits", f.deposits_fen),
                "balances_paid": f.balances_paid,
            }
            for f in board.presales
        ],
        "auctions": [
            {
                "public_id": f.sale.public_id,
                "title_zh": f.sale.title_zh,
                "title_en": f.sale.title_en,
                "lots": f.lots,
                "knocked_down": f.knocked_down,
                **_money("hammer", f.hammer_fen),
                "paid": f.paid,
                **_money("paid", f.paid_fen),
            }
            for f in board.auctions
        ],
        "top_exhibits": [
            {
                "public_id": f.exhibit.public_id,
                "code": f.exhibit.code,
                "title_zh": f.exhibit.title_zh_shown,
                "title_en": f.exhibit.title_en_shown,
                "booth_id": f.exhibit.booth.public_id,
                "scans": f.scans,
                "orders": f.orders,
                **_money("sales", f.sales_fen),
            }
            for f in board.exhibits
        ],
        "attribution_pending": dashboard.attribution_pending(scope),
    }


@operator_router.get(
    "/operator/show/dashboard", response=with_errors({200: DashboardOut}, 401, 403, 422)
)
def operator_show_dashboard(request: HttpRequest, query: Query[RangeQuery]):
    """The whole show's figures: check-ins per venue and hour, each booth's scans and
    conversion, online vs offline-sourced sales per day, pre-sale deposits, auction totals,
    the top exhibits."""
    return dashboard_out(_scope(query, None))


@seller_router.get(
    "/seller/show/dashboard", response=with_errors({200: DashboardOut}, 401, 404, 422)
)
def seller_show_dashboard(request: HttpRequest, query: Query[RangeQuery]):
    """The same figures for the caller's own shop: its booths, its orders (online and
    offline-sourced), its pre-sales and lots, the venues its booths are in."""
    return dashboard_out(_scope(query, shop_for_seller(user=request.auth)))
