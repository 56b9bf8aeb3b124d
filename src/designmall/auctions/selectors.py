"""Auction reads for pages, the API, the live layer and the sweepers.

What the public sees of a lot is its price, bid count, end (with extensions), whether
the reserve is met (never the reserve itself), and the leader as an anonymised handle:
a short code fixed per lot and bidder (``bidder_code``), so watchers can follow the
duel without learning who bids; nobody's maximum is shown but one's own. Lots of
unpublished sales are not found, except by operators.

A lot's phase (scheduled, open, closed) comes from the clock, so a lot past its end reads
as closed, with its provisional outcome, before the sweeper makes it permanent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.auctions import engine
from designmall.auctions.models import (
    AuctionSale,
    Bid,
    BidStep,
    Deposit,
    DepositStatus,
    Lot,
    LotCheckout,
    LotStatus,
    OfferStatus,
    SecondChanceOffer,
    Watch,
)
from designmall.auctions.snapshot import lot_ended, lot_replay, lot_state
from designmall.core import clock
from designmall.core.errors import NotFound
from designmall.orders.models import CheckoutStatus

_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CLOSING_SOON = timedelta(hours=1)


class Phase:
    SCHEDULED = engine.LotPhase.SCHEDULED.value
    OPEN = engine.LotPhase.OPEN.value
    CLOSED = engine.LotPhase.CLOSED.value


# --- handles --------------------------------------------------------------------------------


def bidder_code(lot_id: int, user_id: int) -> str:
    """A bidder's anonymous code on one lot: four characters, the same on every read, not
    linkable across lots (a keyed hash of lot and bidder)."""
    digest = salted_hmac("designmall.auctions.bidder_code", f"{lot_id}:{user_id}").digest()
    number = int.from_bytes(digest[:3], "big")
    return "".join(_CODE_ALPHABET[(number >> shift) & 31] for shift in (15, 10, 5, 0))


def handle_label(code: str | None) -> str:
    """How a handle is shown: "竞拍者 7K2Q"."""
    return _("竞拍者 %(code)s") % {"code": code} if code else ""


def leader_code(lot: Lot) -> str | None:
    return bidder_code(lot.pk, lot.leader_id) if lot.leader_id else None


# --- finding sales and lots ------------------------------------------------------------------


def can_see_unpublished(user: User | None) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_superuser or user.has_role(Role.OPERATOR))
    )


def _not_found_lot() -> NotFound:
    return NotFound(_("没有找到这件拍品。"), code="lot_not_found")


def sales_published() -> QuerySet[AuctionSale]:
    """Published sales, newest first, each with its number of lots (``lots_n``) and the span
    its lots really take: ``opens_at`` (the first lot opens) and ``closes_at`` (the last one
    closes, extensions included); both ``None`` for a sale without lots."""
    return AuctionSale.objects.filter(is_published=True).annotate(
        lots_n=Count("lots"), opens_at=Min("lots__starts_at"), closes_at=Max("lots__ends_at")
    )


def sale_by_public_id(public_id: str, *, viewer: User | None = None) -> AuctionSale:
    sales = AuctionSale.objects.all()
    if not can_see_unpublished(viewer):
        sales = sales.filter(is_published=True)
    sale = sales.filter(public_id=public_id).first()
    if sale is None:
        raise NotFound(_("没有找到这个拍卖专场。"), code="sale_not_found")
    return sale


def _lots() -> QuerySet[Lot]:
    return Lot.objects.select_related("sale", "designer", "shop", "increment_table")


def lot_by_public_id(public_id: str, *, viewer: User | None = None) -> Lot:
    """The lot (with sale, designer, shop and increment table); 404 if its sale is not
    published, unless ``viewer`` is an operator."""
    lot = next(iter(_lots().filter(public_id=public_id)), None)  # unique: no ORDER BY
    if lot is None or not (lot.sale.is_published or can_see_unpublished(viewer)):
        raise _not_found_lot()
    return lot


def lot_ref(public_id: str) -> Lot:
    """Just the lot's key, for a service that reads what it needs itself (bidding:
    ``services.bid_place`` checks the sale is published); 404 if there is no such lot."""
    lot = next(iter(Lot.objects.filter(public_id=public_id).only("id", "public_id")), None)
    if lot is None:
        raise _not_found_lot()
    return lot


def lot_phase(lot: Lot, now: datetime | None = None) -> str:
    """``engine.phase`` from the snapshot columns: closed once ended (``lot_ended``:
    settled, closed by the engine (a buy-now) or past the (possibly extended) end);
    scheduled before the start."""
    now = now or clock.now()
    if lot_ended(lot, now):
        return Phase.CLOSED
    if now < lot.starts_at:
        return Phase.SCHEDULED
    return Phase.OPEN


def lots_listed(
    *,
    which: str,
    sale: AuctionSale | None = None,
    now: datetime | None = None,
    closing_within: timedelta = CLOSING_SOON,
) -> QuerySet[Lot]:
    """Lots of published sales for a list: ``upcoming`` (by start), ``live`` (by end),
    ``closing_soon`` (live and ending within ``closing_within``, by end) or ``results``
    (closed, latest first)."""
    now = now or clock.now()
    lots = _lots().filter(sale__is_published=True)
    if sale is not None:
        lots = lots.filter(sale=sale)
    running = Q(status=LotStatus.ACTIVE, outcome="")
    if which == "upcoming":
        return lots.filter(running, starts_at__gt=now).order_by("starts_at", "number", "id")
    if which in ("live", "closing_soon"):
        live = lots.filter(running, starts_at__lte=now, ends_at__gt=now)
        if which == "closing_soon":
            live = live.filter(ends_at__lte=now + closing_within)
        return live.order_by("ends_at", "number", "id")
    if which == "results":
        closed = ~running | Q(ends_at__lte=now)
        return lots.filter(closed).order_by("-ends_at", "-id")
    raise ValueError(f"no lot list called {which!r}")


# --- one lot --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LotView:
    """A lot as one viewer sees it now. Amounts in fen; ``None`` where not applicable."""

    lot: Lot
    phase: str
    status: str
    price_fen: int | None
    minimum_bid_fen: int | None
    bid_count: int
    leader_code: str | None
    starts_at: datetime
    ends_at: datetime
    extended: bool
    has_reserve: bool
    reserve_met: bool
    buy_now_fen: int | None  # only while a buy-now would be accepted
    deposit_fen: int
    version: int
    # The result, once closed (provisional until the sweeper settles the lot).
    outcome: str
    sold: bool
    hammer_fen: int | None
    winner_code: str | None
    # The viewer's side.
    viewer_code: str | None = None
    viewer_leading: bool = False
    viewer_max_fen: int | None = None
    viewer_has_deposit: bool = False
    viewer_watching: bool = False
    viewer_is_seller: bool = False
    viewer_is_winner: bool = False

    @property
    def leader_label(self) -> str:
        return handle_label(self.leader_code)

    @property
    def can_bid(self) -> bool:
        return (
            self.phase == Phase.OPEN
            and not self.viewer_is_seller
            and (self.deposit_fen == 0 or self.viewer_has_deposit)
        )


def _viewer_max(lot: Lot, user: User) -> int | None:
    if lot.leader_id == user.pk:
        return lot.leader_max_fen
    if lot.runner_up_id == user.pk:
        return lot.runner_up_max_fen
    found = Bid.objects.filter(lot=lot, bidder=user, accepted=True, retracted=False).aggregate(
        m=Max("max_fen")
    )["m"]
    return found


def lot_view(*, lot: Lot, viewer: User | None = None, now: datetime | None = None) -> LotView:
    """What a viewer sees of ``lot`` now (reads the lot's committed snapshot)."""
    now = now or clock.now()
    state = lot_state(lot)
    phase = lot_phase(lot, now)
    closed = None
    if lot.status == LotStatus.ACTIVE and phase == Phase.CLOSED:
        closed, _events = engine.close(state, now)  # what the sweeper will make permanent
    outcome = closed.outcome if closed is not None else state.outcome
    sold = bool(outcome and outcome.sold)
    winner_id = outcome.winner_id if sold else None
    view = {
        "lot": lot,
        "phase": phase,
        "status": lot.status,
        "price_fen": lot.price_fen,
        "minimum_bid_fen": state.minimum_bid_fen if phase != Phase.CLOSED else None,
        "bid_count": lot.bid_count,
        "leader_code": leader_code(lot),
        "starts_at": lot.starts_at,
        "ends_at": lot.ends_at,
        "extended": lot.extended,
        "has_reserve": lot.reserve_fen is not None,
        "reserve_met": state.reserve_met,
        "buy_now_fen": lot.buy_now_fen if engine.buy_now_available(state, now) else None,
        "deposit_fen": lot.deposit_fen,
        "version": lot.version,
        "outcome": outcome.reason.value if outcome else "",
        "sold": sold,
        "hammer_fen": outcome.price_fen if sold else None,
        "winner_code": bidder_code(lot.pk, winner_id) if winner_id else None,
    }
    if viewer is not None and viewer.is_authenticated:
        view.update(
            viewer_code=bidder_code(lot.pk, viewer.pk),
            viewer_leading=lot.leader_id == viewer.pk and phase != Phase.CLOSED,
            viewer_max_fen=_viewer_max(lot, viewer),
            viewer_has_deposit=lot.deposit_fen == 0
            or deposit_covering(lot=lot, bidder=viewer) is not None,
            viewer_watching=Watch.objects.filter(lot=lot, user=viewer).exists(),
            viewer_is_seller=lot.shop.owner_id == viewer.pk,
            viewer_is_winner=winner_id == viewer.pk,
        )
    return LotView(**view)


@dataclass(frozen=True)
class LogLine:
    code: str
    amount_fen: int
    automatic: bool
    at: datetime
    is_you: bool = False

    @property
    def label(self) -> str:
        return handle_label(self.code)


def lot_bid_log(*, lot: Lot, viewer: User | None = None, limit: int = 50) -> list[LogLine]:
    """The public bid log, newest first: handle, amount, whether the system bid by proxy."""
    me = viewer.pk if viewer is not None and viewer.is_authenticated else None
    steps = BidStep.objects.filter(lot=lot).order_by("-position")[:limit]
    return [
        LogLine(
            code=bidder_code(lot.pk, step.bidder_id),
            amount_fen=step.amount_fen,
            automatic=step.automatic,
            at=step.at,
            is_you=step.bidder_id == me,
        )
        for step in steps
    ]


def lot_timeline(lot: Lot) -> QuerySet[Bid]:
    """Every bid on the lot for operators: accepted and refused, retractions, in order."""
    return (
        Bid.objects.filter(lot=lot)
        .select_related("bidder", "retracted_by")
        .order_by("placed_at", "sequence", "id")
    )


def lot_verify(lot: Lot) -> list[str]:
    """How the stored snapshot differs from ``engine.replay`` of the counted bids (the
    domain's invariant); empty when it does not."""
    lot = Lot.objects.select_related("increment_table").get(pk=lot.pk)
    stored, replayed = lot_state(lot), lot_replay(lot)
    problems = []
    for name in ("ends_at", "price_fen", "leader", "runner_up", "bid_count"):
        if getattr(stored, name) != getattr(replayed, name):
            problems.append(
                f"{name}: stored {getattr(stored, name)!r}, replay {getattr(replayed, name)!r}"
            )
    if replayed.outcome is not None and stored.outcome != replayed.outcome:
        problems.append(f"outcome: stored {stored.outcome!r}, replay {replayed.outcome!r}")
    steps = list(
        BidStep.objects.filter(lot=lot)
        .order_by("position")
        .values_list("bidder_id", "amount_fen", "automatic", "bid_sequence", "at")
    )
    expected = [(s.bidder_id, s.amount_fen, s.automatic, s.bid_id, s.at) for s in replayed.steps]
    if steps != expected:
        problems.append(f"bid log: {len(steps)} stored lines differ from the replay's")
    if lot.step_count != len(steps):
        problems.append(f"step_count {lot.step_count} != {len(steps)} lines")
    return problems


# --- deposits -------------------------------------------------------------------------------


def deposit_covering(*, lot: Lot, bidder: User) -> Deposit | None:
    """The deposit that lets ``bidder`` bid on ``lot``: a paid one for the lot, or one for
    its sale of at least the lot's amount (still held, or counted toward a lot won in the
    sale: it keeps qualifying its holder for the rest of the sale)."""
    return deposit_covering_for(
        lot_id=lot.pk, sale_id=lot.sale_id, deposit_fen=lot.deposit_fen, bidder=bidder
    )


def deposit_covering_for(
    *, lot_id: int, sale_id: int, deposit_fen: int, bidder: User
) -> Deposit | None:
    return (
        Deposit.objects.filter(bidder=bidder)
        .filter(
            Q(lot_id=lot_id, status=DepositStatus.PAID)
            | Q(
                sale_id=sale_id,
                amount_fen__gte=deposit_fen,
                status__in=[DepositStatus.PAID, DepositStatus.APPLIED],
            )
        )
        .order_by("id")
        .first()
    )


def deposits_of_bidder(*, user: User) -> QuerySet[Deposit]:
    return Deposit.objects.filter(bidder=user).select_related("lot", "sale", "payment")


def deposit_for_bidder(*, user: User, public_id: str) -> Deposit:
    deposit = deposits_of_bidder(user=user).filter(public_id=public_id).first()
    if deposit is None:
        raise NotFound(_("没有找到这笔保证金。"), code="deposit_not_found")
    return deposit


# --- a bidder's lots ------------------------------------------------------------------------


@dataclass(frozen=True)
class MyLot:
    """A lot the user bid on, as they see it: their best maximum and where they stand."""

    lot: Lot
    my_max_fen: int
    my_bids: int
    standing: str  # leading | outbid | won | lost | offered | defaulted | paid
    last_bid_at: datetime


def _standing(lot: Lot, user: User, now: datetime) -> str:
    phase = lot_phase(lot, now)
    if phase != Phase.CLOSED:
        return "leading" if lot.leader_id == user.pk else "outbid"
    if lot.status == LotStatus.PAID:
        return "paid" if lot.buyer_id == user.pk else "lost"
    if lot.status == LotStatus.SECOND_CHANCE:
        offer = SecondChanceOffer.objects.filter(lot=lot).first()
        if offer and offer.bidder_id == user.pk and offer.status == OfferStatus.OPEN:
            return "offered"
    if lot.status == LotStatus.ACTIVE:
        closed, _events = engine.close(lot_state(lot), now)
        winner = closed.outcome.winner_id if closed.outcome else None
    else:
        winner = lot.winner_id
    if winner == user.pk:
        return (
            "won" if lot.status in (LotStatus.ACTIVE, LotStatus.AWAITING_PAYMENT) else ("defaulted")
        )
    return "lost"


def lots_bid_on(*, user: User, now: datetime | None = None) -> list[MyLot]:
    """ "My bids": every lot the user placed an accepted bid on, most recent first."""
    now = now or clock.now()
    rows = (
        Bid.objects.filter(bidder=user, accepted=True, retracted=False)
        .values("lot_id")
        .annotate(my_max=Max("max_fen"), n=Count("id"), last=Max("placed_at"))
        .order_by("-last")
    )
    rows = list(rows)
    lots = _lots().in_bulk([row["lot_id"] for row in rows])
    return [
        MyLot(
            lot=lots[row["lot_id"]],
            my_max_fen=row["my_max"],
            my_bids=row["n"],
            standing=_standing(lots[row["lot_id"]], user, now),
            last_bid_at=row["last"],
        )
        for row in rows
    ]


def lots_watched(*, user: User) -> QuerySet[Lot]:
    return _lots().filter(watches__user=user).order_by("ends_at", "id")


# --- paying for a lot won -----------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseTerms:
    """What the buyer of a lot won owes and by when (shipping is added at checkout)."""

    lot: Lot
    kind: str  # winner | second_chance
    price_fen: int
    deposit_credit_fen: int
    pay_by: datetime
    checkouts: list[LotCheckout] = field(default_factory=list)

    @property
    def balance_fen(self) -> int:
        return self.price_fen - self.deposit_credit_fen

    @property
    def pending_checkout(self) -> LotCheckout | None:
        now = clock.now()
        for lc in self.checkouts:
            if (
                lc.checkout.status == CheckoutStatus.PENDING_PAYMENT
                and now < lc.checkout.expires_at
            ):
                return lc
        return None


def deposit_credit_fen(deposit: Deposit | None, price_fen: int) -> int:
    """How much of ``deposit`` counts toward ``price_fen``: all of it, leaving at least one
    fen to pay (deposits are kept below the start price, so that never bites)."""
    if deposit is None:
        return 0
    return max(0, min(deposit.amount_fen - deposit.applied_fen, price_fen - 1))


def purchase_terms(*, lot: Lot, user: User, now: datetime | None = None) -> PurchaseTerms | None:
    """The terms if ``user`` may pay for ``lot`` now (its winner within the payment window,
    or the runner-up holding an open second-chance offer); ``None`` otherwise. Call it on a
    settled lot (``settlement.lot_finalize``)."""
    now = now or clock.now()
    checkouts = list(
        LotCheckout.objects.filter(lot=lot, buyer=user)
        .select_related("checkout")
        .order_by("-created_at", "-id")
    )
    if (
        lot.status == LotStatus.AWAITING_PAYMENT
        and lot.winner_id == user.pk
        and lot.payment_due_at is not None
        and now < lot.payment_due_at
    ):
        deposit = (
            Deposit.objects.filter(credited_lot=lot, bidder=user, status=DepositStatus.PAID)
            .order_by("id")
            .first()
        )
        return PurchaseTerms(
            lot=lot,
            kind="winner",
            price_fen=lot.hammer_fen,
            deposit_credit_fen=deposit_credit_fen(deposit, lot.hammer_fen),
            pay_by=lot.payment_due_at,
            checkouts=checkouts,
        )
    if lot.status == LotStatus.SECOND_CHANCE:
        offer = SecondChanceOffer.objects.filter(lot=lot, bidder=user).first()
        if offer and offer.status == OfferStatus.OPEN and now < offer.expires_at:
            return PurchaseTerms(
                lot=lot,
                kind="second_chance",
                price_fen=offer.amount_fen,
                deposit_credit_fen=0,
                pay_by=offer.expires_at,
                checkouts=checkouts,
            )
    return None


def second_chance_for(*, user: User, public_id: str) -> SecondChanceOffer:
    offer = (
        SecondChanceOffer.objects.filter(public_id=public_id, bidder=user)
        .select_related("lot")
        .first()
    )
    if offer is None:
        raise NotFound(_("没有找到这个优先购买机会。"), code="offer_not_found")
    return offer


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaleSummary:
    lots: int
    sold: int
    unsold: int
    open: int
    total_hammer_fen: int
    first_end: datetime | None
    opens_at: datetime | None  # the first lot opens
    closes_at: datetime | None  # the last lot closes (extensions included)


def sale_summary(sale: AuctionSale) -> SaleSummary:
    """Counts and the hammer total of a sale's settled lots."""
    row = Lot.objects.filter(sale=sale).aggregate(
        lots=Count("id"),
        sold=Count("id", filter=Q(status__in=[LotStatus.AWAITING_PAYMENT, LotStatus.PAID])),
        unsold=Count("id", filter=Q(status=LotStatus.UNSOLD)),
        open=Count("id", filter=Q(status=LotStatus.ACTIVE)),
        first_end=Min("ends_at"),
        opens_at=Min("starts_at"),
        closes_at=Max("ends_at"),
    )
    hammer = Lot.objects.filter(
        sale=sale, status__in=[LotStatus.AWAITING_PAYMENT, LotStatus.PAID]
    ).aggregate(total=Sum("hammer_fen"))["total"]
    return SaleSummary(total_hammer_fen=int(hammer or 0), **row)


# --- for the sweepers -----------------------------------------------------------------------


def lots_to_finalize(*, now: datetime, limit: int = 500) -> list[int]:
    """Active lots the clock (or a buy-now) has closed."""
    return list(
        Lot.objects.filter(status=LotStatus.ACTIVE)
        .filter(Q(ends_at__lte=now) | ~Q(outcome=""))
        .order_by("ends_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def lots_payment_overdue(*, now: datetime, limit: int = 500) -> list[int]:
    return list(
        Lot.objects.filter(status=LotStatus.AWAITING_PAYMENT, payment_due_at__lte=now)
        .order_by("payment_due_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def offers_to_lapse(*, now: datetime, limit: int = 500) -> list[int]:
    return list(
        SecondChanceOffer.objects.filter(status=OfferStatus.OPEN, expires_at__lte=now)
        .order_by("expires_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def deposits_to_settle(*, limit: int = 500) -> list[int]:
    """Held deposits that nothing needs any more (their lot settled, or every lot of their
    sale), and releases whose refund failed (to be made again)."""
    lot_done = Q(lot__isnull=False) & ~Q(lot__status=LotStatus.ACTIVE)
    active_sales = Lot.objects.filter(status=LotStatus.ACTIVE).values("sale_id")
    sale_done = Q(sale__isnull=False) & ~Q(sale_id__in=active_sales)
    held = Q(status=DepositStatus.PAID, credited_lot__isnull=True) & (lot_done | sale_done)
    failed = Q(status=DepositStatus.RELEASING, release_refund__status="failed")
    return list(
        Deposit.objects.filter(held | failed).order_by("id").values_list("id", flat=True)[:limit]
    )
