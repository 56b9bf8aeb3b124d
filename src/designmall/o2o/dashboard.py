"""The show's figures for the dashboards (reads only): computed each time from the rows that
record what happened (orders and their stored attribution, the ledger's refunds, booth
scans, ticket check-ins, pre-orders, auction lots), never from totals kept a second time.

A ``Scope`` is a range of the show's local days (``TIME_ZONE``) and, for a seller, its shop:
a seller's figures are its own booths', orders', pre-sales' and lots' only.

What each figure counts:

- check-ins: tickets that entered (``events.CheckIn``, one per ticket: re-entries do not
  count again), by the venue of the ticket's session and the local hour of the first entry.
  A seller sees the venues its booths are in.
- scans: ``ScanVisit`` rows (a reload within a minute is not a new scan), by booth;
  visitors are distinct accounts plus distinct anonymous browsers.
- sales: orders paid in the range, by the local day they were paid and where they came
  from (the order's stored ``OrderAttribution``: ``offline`` from a booth or ``online``;
  ``pending`` until the attribution sweeper has run). ``gross`` is what the buyers paid
  (``Order.total_fen``); refunds are the ledger's refund transactions that name an order,
  by the day the money went back, whatever day the order was paid.
- conversion: per booth, the paid orders attributed to it in the range and their distinct
  buyers, over the distinct visitors who scanned it in the range.
- pre-sale deposits: per campaign, the pre-orders whose deposit (定金, or the whole price of
  a full-payment pre-sale) was paid in the range.
- auctions: per sale, its lots scheduled to end in the range; hammer totals of those
  knocked down, and what was paid for those settled.
- top exhibits: the exhibits with the most attributed sales, then scans, in the range.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from designmall.auctions.models import AuctionSale, Lot, LotStatus
from designmall.catalog.models import Shop
from designmall.events.models import CheckIn, Venue
from designmall.events.week import week_dates
from designmall.ledger.models import LedgerRef, Posting
from designmall.ledger.services import Kind
from designmall.o2o.models import Booth, BoothStatus, Exhibit, ScanVisit
from designmall.orders.models import Order
from designmall.presale.models import Campaign, Preorder

# Where an order came from; ``pending``: not attributed yet (the sweeper runs every minute).
OFFLINE, ONLINE, PENDING = "offline", "online", "pending"
SOURCES = (OFFLINE, ONLINE, PENDING)
REFUND_KINDS = (Kind.REFUND_FROM_ESCROW, Kind.REFUND_FROM_SELLER)
# The longest range one dashboard shows (the per-day chart stays readable).
MAX_DAYS = 62
TOP_EXHIBITS = 10


@dataclass(frozen=True)
class Scope:
    """Local days ``start``..``end`` (both included) of the show, of one ``shop`` or all."""

    start: date
    end: date
    shop: Shop | None = None

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first moment after the range."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


def scope_default(*, shop: Shop | None = None) -> Scope:
    """The design week's dates (``events.week``)."""
    week = week_dates()
    return Scope(start=week.starts_on, end=week.ends_on, shop=shop)


def scope_of(*, start: date | None, end: date | None, shop: Shop | None = None) -> Scope:
    """A scope from asked dates, each defaulting to the week's; ``ValueError`` when the end
    is before the start or the range is longer than ``MAX_DAYS``."""
    week = scope_default(shop=shop)
    start, end = start or week.start, end or week.end
    if end < start:
        raise ValueError("end before start")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValueError("range too long")
    return Scope(start=start, end=end, shop=shop)


# --- booths -----------------------------------------------------------------------------------


def booths_in_scope(scope: Scope) -> list[Booth]:
    """The booths the figures are about: the shop's (even withdrawn ones, their scans and
    sales happened), or every active booth of the show."""
    booths = Booth.objects.select_related("shop", "venue", "hall")
    if scope.shop is not None:
        booths = booths.filter(shop=scope.shop)
    else:
        booths = booths.filter(status=BoothStatus.ACTIVE)
    return list(booths.order_by("venue__position", "venue_id", "number", "id"))


# --- check-ins --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinGrid:
    """Tickets that entered, per venue (``venues``, in the show's order) and local hour."""

    venues: list[Venue]
    hours: list[int]  # the hours with an entry, ascending
    counts: dict[tuple[int, int], int]  # (venue pk, hour) -> tickets

    def count(self, venue: Venue, hour: int) -> int:
        return self.counts.get((venue.pk, hour), 0)

    def venue_total(self, venue: Venue) -> int:
        return sum(n for (v, _h), n in self.counts.items() if v == venue.pk)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def checkins_by_venue_hour(scope: Scope) -> CheckinGrid:
    venues = Venue.objects.order_by("position", "id")
    checkins = CheckIn.objects.filter(entered_at__gte=scope.since, entered_at__lt=scope.until)
    if scope.shop is not None:
        venue_ids = Booth.objects.filter(shop=scope.shop).values("venue_id")
        venues = venues.filter(pk__in=venue_ids)
        checkins = checkins.filter(session__hall__venue__in=venue_ids)
    rows = (
        checkins.annotate(
            hour=ExtractHour("entered_at", tzinfo=timezone.get_current_timezone()),
        )
        .values("session__hall__venue_id", "hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[int, int], int] = {}
    for row in rows:
        key = (row["session__hall__venue_id"], row["hour"])
        counts[key] = counts.get(key, 0) + row["n"]
    return CheckinGrid(
        venues=list(venues), hours=sorted({hour for _v, hour in counts}), counts=counts
    )


# --- booths: scans and conversion -------------------------------------------------------------


@dataclass(frozen=True)
class BoothFigures:
    booth: Booth
    scans: int
    visitors: int  # distinct accounts + distinct anonymous browsers that scanned it
    orders: int  # paid orders attributed to it
    buyers: int  # their distinct buyers
    sales_fen: int  # what those orders' buyers paid

    @property
    def conversion_percent(self) -> float | None:
        """Buyers per 100 visitors who scanned the booth (None without visitors)."""
        if not self.visitors:
            return None
        return round(100 * self.buyers / self.visitors, 1)


def _scans(scope: Scope):
    scans = ScanVisit.objects.filter(scanned_at__gte=scope.since, scanned_at__lt=scope.until)
    if scope.shop is not None:
        scans = scans.filter(booth__shop=scope.shop)
    return scans


def _paid_orders(scope: Scope):
    orders = Order.objects.filter(paid_at__gte=scope.since, paid_at__lt=scope.until)
    if scope.shop is not None:
        orders = orders.filter(shop=scope.shop)
    return orders


def booth_figures(scope: Scope) -> list[BoothFigures]:
    """Each booth's scans, visitors and attributed sales, most scanned first."""
    scans = {
        row["booth_id"]: row
        for row in _scans(scope)
        .values("booth_id")
        .annotate(
            n=Count("pk"),
            accounts=Count("user_id", distinct=True),
            browsers=Count("visitor_id", distinct=True, filter=Q(user__isnull=True)),
        )
        .order_by()
    }
    sold = {
        row["attribution__booth_id"]: row
        for row in _paid_orders(scope)
        .filter(attribution__source=OFFLINE)
        .values("attribution__booth_id")
        .annotate(n=Count("pk"), buyers=Count("buyer_id", distinct=True), fen=Sum("total_fen"))
        .order_by()
    }
    figures = []
    for booth in booths_in_scope(scope):
        s, o = scans.get(booth.pk, {}), sold.get(booth.pk, {})
        figures.append(
            BoothFigures(
                booth=booth,
                scans=s.get("n", 0),
                visitors=s.get("accounts", 0) + s.get("browsers", 0),
                orders=o.get("n", 0),
                buyers=o.get("buyers", 0),
                sales_fen=o.get("fen") or 0,
            )
        )
    figures.sort(key=lambda f: (-f.scans, -f.sales_fen))
    return figures


# --- sales per day ----------------------------------------------------------------------------


@dataclass
class DaySales:
    """One local day's paid orders and refunds, split by where the orders came from."""

    day: date
    orders: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    gross_fen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    refunds_fen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))

    def net_fen(self, source: str) -> int:
        return self.gross_fen[source] - self.refunds_fen[source]

    @property
    def net_total_fen(self) -> int:
        return sum(self.net_fen(s) for s in SOURCES)


def _refunds(scope: Scope) -> list[tuple[date, str, int]]:
    """Each ledger refund of an order in the range: (local day, the order's source, fen).
    The amount is what went back through the gateway (its account's credit)."""
    refs = LedgerRef.objects.filter(
        ref_type="order",
        transaction__kind__in=REFUND_KINDS,
        transaction__created_at__gte=scope.since,
        transaction__created_at__lt=scope.until,
    ).values_list("transaction_id", "transaction__created_at", "ref_id")
    refs = list(refs)
    if not refs:
        return []
    amounts: dict[int, int] = defaultdict(int)
    for tx, amount in Posting.objects.filter(
        transaction_id__in=[tx for tx, _at, _ref in refs], account__code__startswith="gateway:"
    ).values_list("transaction_id", "amount"):
        amounts[tx] -= amount  # the gateway is credited: a negative posting
    orders = Order.objects.filter(public_id__in={ref for _tx, _at, ref in refs})
    if scope.shop is not None:
        orders = orders.filter(shop=scope.shop)
    sources = {
        public_id: source or PENDING
        for public_id, source in orders.values_list("public_id", "attribution__source")
    }
    return [
        (timezone.localtime(at).date(), sources[ref], amounts[tx])
        for tx, at, ref in refs
        if ref in sources
    ]


def sales_by_day(scope: Scope) -> list[DaySales]:
    """Every day of the range (empty ones too), oldest first."""
    days = {day: DaySales(day=day) for day in scope.days}
    paid = (
        _paid_orders(scope)
        .annotate(day=TruncDate("paid_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "attribution__source")
        .annotate(n=Count("pk"), fen=Sum("total_fen"))
        .order_by()
    )
    for row in paid:
        line, source = days[row["day"]], row["attribution__source"] or PENDING
        line.orders[source] += row["n"]
        line.gross_fen[source] += row["fen"] or 0
    for day, source, fen in _refunds(scope):
        days[day].refunds_fen[source] += fen
    return list(days.values())


# --- pre-sales and auctions -------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignDeposits:
    campaign: Campaign
    deposits: int  # pre-orders whose deposit was paid in the range
    deposits_fen: int
    balances_paid: int  # of those, the ones whose balance is paid too


def presale_deposits(scope: Scope) -> list[CampaignDeposits]:
    preorders = Preorder.objects.filter(
        deposit_paid_at__gte=scope.since, deposit_paid_at__lt=scope.until
    )
    if scope.shop is not None:
        preorders = preorders.filter(campaign__shop=scope.shop)
    rows = {
        row["campaign_id"]: row
        for row in preorders.values("campaign_id")
        .annotate(
            n=Count("pk"),
            fen=Sum("deposit_fen"),
            balances=Count("pk", filter=Q(balance_paid_at__isnull=False)),
        )
        .order_by()
    }
    campaigns = Campaign.objects.filter(pk__in=rows).select_related("shop").order_by("id")
    figures = [
        CampaignDeposits(
            campaign=c,
            deposits=rows[c.pk]["n"],
            deposits_fen=rows[c.pk]["fen"] or 0,
            balances_paid=rows[c.pk]["balances"],
        )
        for c in campaigns
    ]
    figures.sort(key=lambda f: -f.deposits_fen)
    return figures


@dataclass(frozen=True)
class SaleTotals:
    sale: AuctionSale
    lots: int  # lots scheduled to end in the range
    knocked_down: int  # of them, with a hammer price
    hammer_fen: int
    paid: int  # settled: the buyer paid
    paid_fen: int


SOLD_STATUSES = (LotStatus.AWAITING_PAYMENT, LotStatus.SECOND_CHANCE, LotStatus.PAID)


def auction_totals(scope: Scope) -> list[SaleTotals]:
    lots = Lot.objects.filter(scheduled_end_at__gte=scope.since, scheduled_end_at__lt=scope.until)
    if scope.shop is not None:
        lots = lots.filter(shop=scope.shop)
    rows = {
        row["sale_id"]: row
        for row in lots.values("sale_id")
        .annotate(
            n=Count("pk"),
            knocked=Count("pk", filter=Q(hammer_fen__isnull=False)),
            hammer=Sum("hammer_fen"),
            paid=Count("pk", filter=Q(status=LotStatus.PAID)),
            paid_fen=Sum("sold_fen", filter=Q(status=LotStatus.PAID)),
        )
        .order_by()
    }
    sales = AuctionSale.objects.filter(pk__in=rows).order_by("ends_at", "id")
    return [
        SaleTotals(
            sale=s,
            lots=rows[s.pk]["n"],
            knocked_down=rows[s.pk]["knocked"],
            hammer_fen=rows[s.pk]["hammer"] or 0,
            paid=rows[s.pk]["paid"],
            paid_fen=rows[s.pk]["paid_fen"] or 0,
        )
        for s in sales
    ]


# --- exhibits ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExhibitFigures:
    exhibit: Exhibit
    scans: int
    orders: int
    sales_fen: int


def top_exhibits(scope: Scope, *, limit: int = TOP_EXHIBITS) -> list[ExhibitFigures]:
    """The exhibits with the most attributed sales, then the most scans."""
    scans = dict(
        _scans(scope)
        .filter(exhibit__isnull=False)
        .values("exhibit_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("exhibit_id", "n")
    )
    sold = {
        row["attribution__exhibit_id"]: row
        for row in _paid_orders(scope)
        .filter(attribution__source=OFFLINE, attribution__exhibit__isnull=False)
        .values("attribution__exhibit_id")
        .annotate(n=Count("pk"), fen=Sum("total_fen"))
        .order_by()
    }
    ranked = sorted(
        set(scans) | set(sold),
        key=lambda pk: (-(sold.get(pk, {}).get("fen") or 0), -scans.get(pk, 0), pk),
    )[:limit]
    exhibits = Exhibit.objects.select_related("booth__shop", "booth__venue", "product", "lot")
    found = exhibits.in_bulk(ranked)
    return [
        ExhibitFigures(
            exhibit=found[pk],
            scans=scans.get(pk, 0),
            orders=sold.get(pk, {}).get("n", 0),
            sales_fen=sold.get(pk, {}).get("fen") or 0,
        )
        for pk in ranked
    ]


# --- all of it --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    checkins: CheckinGrid
    booths: list[BoothFigures]
    sales: list[DaySales]
    presales: list[CampaignDeposits]
    auctions: list[SaleTotals]
    exhibits: list[ExhibitFigures]


def dashboard(scope: Scope) -> Dashboard:
    """Every figure of the dashboard of ``scope``."""
    return Dashboard(
        scope=scope,
        checkins=checkins_by_venue_hour(scope),
        booths=booth_figures(scope),
        sales=sales_by_day(scope),
        presales=presale_deposits(scope),
        auctions=auction_totals(scope),
        exhibits=top_exhibits(scope),
    )


def attribution_pending(scope: Scope) -> int:
    """Paid orders in the range still waiting for their attribution."""
    return _paid_orders(scope).filter(attribution__isnull=True).count()
