"""What the show's dashboards read in the demo: the week's past days at the booths (scans by
visitors with accounts and without), orders placed after a scan (offline-sourced) and
without one (online), a partial refund, each order's stored attribution, and tickets of the
sessions that have begun checked in at their venue's gate.

Orders go through the real services (checkout, the sandbox cashier's signed notification,
the refund) with the clock moved back to when they happened, so their money is in the
ledger; the scans before them are recorded by ``o2o.services.scan_record`` at that time
too, and ``order_attribute`` decides where each order came from. The bulk of the scans and
the check-ins are bulk rows, each one the services would have written (a check-in's first
scan accepted at its list's gate, one per ticket). Only with the sandbox gateway, like the
demo's other orders.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta

from django.utils import timezone

from designmall.accounts.models import User
from designmall.core import clock
from designmall.demo.accounts import DEMO_EMAIL_DOMAIN, SELLER_EMAIL
from designmall.demo.orders import ADDRESS, orders_possible
from designmall.events.models import (
    CheckIn,
    CheckinList,
    Scan,
    ScanDirection,
    ScanOutcome,
    ScanSource,
    Session,
    Ticket,
)
from designmall.events.week import WeekDates
from designmall.inventory.models import StockLevel
from designmall.o2o import services as o2o
from designmall.o2o.models import Booth, BoothStatus, Exhibit, OrderAttribution, ScanVisit
from designmall.orders.checkout import checkout_create
from designmall.orders.models import Order
from designmall.orders.services import order_refund
from designmall.payments.gateways import sandbox
from designmall.payments.models import Refund
from designmall.payments.services import notification_receive, refund_execute

# Scans per booth and past day (the demo seller's booth draws a crowd).
SCANS_PER_BOOTH_DAY = (3, 18)
SELLER_BOOTH_SCANS_PER_DAY = (25, 40)
ANONYMOUS_SHARE = 0.3
OFFLINE_ORDERS = 14  # a visitor scans a booth, then buys one of its exhibits
OFFLINE_ORDERS_AT_THE_SELLERS_BOOTH = 4
ONLINE_ORDERS = 8
CHECKED_IN_SHARE = (0.6, 0.95)  # of a begun session's tickets


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    """Run with the clock at ``moment``, then put it back exactly (frozen or not)."""
    delta = moment - clock.now()
    clock.advance(delta)
    try:
        yield
    finally:
        clock.advance(-delta)


def _moments(rng: random.Random, week: WeekDates, now: datetime, n: int) -> list[datetime]:
    """``n`` moments in the booths' hours (10:00-19:00 local) on the week's days so far."""
    local_now = timezone.localtime(now)
    days = [d for d in week.dates if d <= local_now.date()]
    moments = []
    while days and len(moments) < n:
        day = rng.choice(days)
        moment = timezone.make_aware(datetime.combine(day, time(10))) + timedelta(
            minutes=rng.randrange(9 * 60)
        )
        if moment < now - timedelta(hours=2):  # room for an order after the scan
            moments.append(moment)
    return sorted(moments)


def _visitors() -> list[User]:
    """The demo's shop owners walk the show too (the demo buyer keeps its own orders)."""
    return list(
        User.objects.filter(
            email__startswith="shop", email__endswith=f"@{DEMO_EMAIL_DOMAIN}", is_active=True
        ).order_by("id")
    )


def _scans_write(
    rng: random.Random, booths: list[Booth], visitors: list[User], week: WeekDates, now: datetime
) -> int:
    exhibits: dict[int, list[Exhibit]] = {}
    for exhibit in Exhibit.objects.filter(booth__in=booths, is_active=True).order_by("id"):
        exhibits.setdefault(exhibit.booth_id, []).append(exhibit)
    rows = []
    for n, booth in enumerate(booths):
        days = [d for d in week.dates if d <= timezone.localtime(now).date()]
        per_day = SELLER_BOOTH_SCANS_PER_DAY if n == 0 else SCANS_PER_BOOTH_DAY
        count = sum(rng.randint(*per_day) for _day in days)
        for moment in _moments(rng, week, now, count):
            anonymous = rng.random() < ANONYMOUS_SHARE or not visitors
            shown = exhibits.get(booth.pk, [])
            rows.append(
                ScanVisit(
                    booth=booth,
                    exhibit=rng.choice(shown) if shown and rng.random() < 0.7 else None,
                    user=None if anonymous else rng.choice(visitors),
                    visitor_id=f"demo{rng.getrandbits(96):024x}" if anonymous else "",
                    scanned_at=moment,
                )
            )
    ScanVisit.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _in_stock(exhibit: Exhibit):
    if exhibit.product_id is None or not exhibit.product.is_sellable:
        return None
    skus = exhibit.product.skus.filter(is_active=True).order_by("id")
    level = StockLevel.objects.filter(sku__in=skus, available__gt=0).select_related("sku").first()
    return level.sku if level else None


def _buy(buyer: User, sku, moment: datetime) -> Order:
    with _at(moment):
        checkout = checkout_create(
            buyer=buyer, lines=[(sku.public_id, 1)], delivery="address", address=ADDRESS
        )
    with _at(moment + timedelta(minutes=3)):
        checkout.refresh_from_db()
        paid = sandbox.sandbox_pay(payment=checkout.payment)
        notification_receive(params=paid.notification)
    return checkout.orders.select_related("shop", "buyer").get()


def _orders_write(
    rng: random.Random, booths: list[Booth], visitors: list[User], week: WeekDates, now: datetime
) -> list[Order]:
    buyable = [
        (booth, exhibit)
        for booth in booths
        for exhibit in booth.exhibits.filter(is_active=True, product__isnull=False)
        .select_related("product")
        .order_by("id")
    ]
    if not buyable or not visitors:
        return []
    at_the_sellers = [pair for pair in buyable if pair[0].pk == booths[0].pk]
    others = [pair for pair in buyable if pair[0].pk != booths[0].pk]
    picks = at_the_sellers[:1] * OFFLINE_ORDERS_AT_THE_SELLERS_BOOTH if at_the_sellers else []
    picks += rng.sample(others, k=min(len(others), OFFLINE_ORDERS - len(picks)))
    orders = []
    moments = _moments(rng, week, now, len(picks) + ONLINE_ORDERS)
    rng.shuffle(moments)
    for (booth, exhibit), moment in zip(picks, moments, strict=False):
        buyer = rng.choice([v for v in visitors if v.pk != booth.shop.owner_id])
        sku = _in_stock(exhibit)
        if sku is None:
            continue
        with _at(moment):
            o2o.scan_record(booth=booth, exhibit=exhibit, user=buyer, visitor_id=None)
        orders.append(_buy(buyer, sku, moment + timedelta(minutes=rng.randint(5, 90))))
    for moment in moments[len(picks) :]:  # online: the buyer never scanned that shop
        booth, exhibit = rng.choice(others or buyable)
        scanned = set(
            ScanVisit.objects.filter(booth__shop=booth.shop).values_list("user_id", flat=True)
        )
        buyers = [v for v in visitors if v.pk not in scanned and v.pk != booth.shop.owner_id]
        sku = _in_stock(exhibit)
        if sku is None or not buyers:
            continue
        orders.append(_buy(rng.choice(buyers), sku, moment))
    return orders


def _refund_one(orders: list[Order], now: datetime) -> int:
    """The seller refunds part of one offline-sourced order (a price difference)."""
    for order in orders:
        attribution = OrderAttribution.objects.filter(order=order).first()
        if attribution is None or attribution.source != "offline" or order.total_fen < 2_000:
            continue
        with _at(min(now - timedelta(minutes=30), order.paid_at + timedelta(hours=3))):
            refund = order_refund(
                order=order,
                amount_fen=order.total_fen // 5,
                reason="现场活动价差额退款",
                by=order.shop.owner,
            )
            refund_execute(refund=Refund.objects.get(pk=refund.pk))
        return 1
    return 0


def _checkins_write(rng: random.Random, now: datetime) -> int:
    """Tickets of the sessions that have begun, checked in at their list's gate."""
    lists: dict[int, CheckinList] = {}
    for checkin_list in CheckinList.objects.prefetch_related("sessions").order_by("id"):
        for session in checkin_list.sessions.all():
            lists.setdefault(session.pk, checkin_list)
    staff = {
        row["pk"]: row["staff"] for row in CheckinList.objects.values("pk", "staff").order_by()
    }
    scans, checkins = [], []
    begun = Session.objects.filter(starts_at__lte=now, pk__in=list(lists)).order_by("id")
    tickets: dict[int, list[Ticket]] = {}
    # Tickets another demo module has checked in already (the award's voters) keep theirs.
    entered_already = Ticket.objects.filter(checkin__isnull=False)
    for ticket in (
        Ticket.objects.filter(session__in=begun, revoked_at__isnull=True)
        .exclude(pk__in=entered_already)
        .order_by("id")
    ):
        tickets.setdefault(ticket.session_id, []).append(ticket)
    for session in begun:
        door = lists[session.pk]
        share = rng.uniform(*CHECKED_IN_SHARE)
        for ticket in tickets.get(session.pk, []):
            if rng.random() > share:
                continue
            entered = session.starts_at - timedelta(minutes=rng.randint(-20, 40))
            entered = min(entered, now - timedelta(minutes=1))
            scan = Scan(
                scan_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                checkin_list=door,
                ticket=ticket,
                code=ticket.public_id,
                user_id=staff.get(door.pk),
                gate=door.gate,
                direction=ScanDirection.ENTRY,
                source=ScanSource.ONLINE,
                scanned_at=entered,
                received_at=entered,
                device_outcome=ScanOutcome.ACCEPTED,
                outcome=ScanOutcome.ACCEPTED,
            )
            scans.append(scan)
            checkins.append((ticket, session, door, entered, scan))
    Scan.objects.bulk_create(scans, batch_size=1000)
    CheckIn.objects.bulk_create(
        (
            CheckIn(
                ticket=ticket,
                session_id=session.pk,
                first_scan=scan,
                checkin_list=door,
                entered_at=entered,
                gate=door.gate,
                inside=True,
                last_scan=scan,
                entries=1,
                exits=0,
                updated_at=entered,
            )
            for ticket, session, door, entered, scan in checkins
        ),
        batch_size=1000,
    )
    return len(checkins)


def o2o_dash_write(*, now: datetime, seed: int, week: WeekDates) -> dict[str, int]:
    """Scans, attributed orders and check-ins for the dashboards; returns the rows written."""
    rng = random.Random(f"{seed}:o2o_dash")
    booths = list(
        Booth.objects.filter(status=BoothStatus.ACTIVE).select_related("shop__owner").order_by("id")
    )
    sellers = [b for b in booths if b.shop.owner.email == SELLER_EMAIL]
    booths = sellers + [b for b in booths if b not in sellers]
    visitors = _visitors()
    counts = {"booth scans": 0, "show orders": 0, "check-ins": 0}
    if booths:
        counts["booth scans"] = _scans_write(rng, booths, visitors, week, now)
        if orders_possible():
            orders = _orders_write(rng, booths, visitors, week, now)
            counts["show orders"] = len(orders)
            for order in Order.objects.filter(attribution__isnull=True).select_related(
                "buyer", "shop"
            ):
                o2o.order_attribute(order=order)
            _refund_one(orders, now)
    counts["check-ins"] = _checkins_write(rng, now)
    return counts


def o2o_dash_wipe() -> None:
    """Delete the scans and the orders' attributions (before the booths they point at);
    the check-ins go with the programme, the orders with the demo's orders."""
    OrderAttribution.objects.all().delete()
    ScanVisit.objects.all().delete()
