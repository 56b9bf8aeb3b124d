"""Set-ups and checks the cross-node tests run against the cluster's own primary, through
Django in a subprocess (``tests.cluster.support.on_cluster``): each takes and returns JSON.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

# --- people -------------------------------------------------------------------------------


def buyers(*, prefix: str, count: int) -> list[str]:
    """``count`` new buyers, each with an API token; their raw tokens."""
    from designmall.accounts.models import ApiToken, User
    from designmall.accounts.services import TOKEN_PREFIX
    from designmall.core import clock

    now = clock.now()
    users = User.objects.bulk_create(
        User(email=f"{prefix}-{n}@cluster.designmall.cn", password="!", date_joined=now)
        for n in range(count)
    )
    raws = [TOKEN_PREFIX + secrets.token_urlsafe(32) for _ in users]
    ApiToken.objects.bulk_create(
        ApiToken(
            user=user,
            name="cluster",
            key_hash=hashlib.sha256(raw.encode()).hexdigest(),
            prefix=raw[:10],
            created_at=now,
            last_used_at=now,
        )
        for user, raw in zip(users, raws, strict=True)
    )
    return raws


def _users(tokens: list[str]):
    from designmall.accounts.models import ApiToken

    by_prefix = dict(
        ApiToken.objects.filter(prefix__in=[t[:10] for t in tokens])
        .select_related("user")
        .values_list("prefix", "user")
    )
    from designmall.accounts.models import User

    users = User.objects.in_bulk(list(by_prefix.values()))
    return [users[by_prefix[token[:10]]] for token in tokens]


# --- the store ----------------------------------------------------------------------------


def sku(*, name: str, stock: int) -> dict:
    from bench.store import _shop_with_skus

    (made,) = _shop_with_skus(name, skus=1, stock=stock)
    return {"sku": made.public_id, "product": made.product.public_id}


def deal(*, name: str, quantity: int) -> dict:
    """A flash deal of ``quantity`` units (all the SKU's stock), selling now, one per buyer."""
    from bench.store import _shop_with_skus

    from designmall.core import clock
    from designmall.promotions.deals import deal_schedule_unchecked

    (made,) = _shop_with_skus(name, skus=1, stock=quantity)
    now = clock.now()
    scheduled = deal_schedule_unchecked(
        by=None,
        sku=made,
        price_fen=9_900,
        quantity=quantity,
        starts_at=now - timedelta(seconds=1),
        ends_at=now + timedelta(hours=1),
    )
    return {"deal": scheduled.public_id, "sku": made.public_id}


def stock_of(*, sku: str, deal: str | None = None) -> dict:
    """The SKU's counters, its orders (and the deal's live tickets), and what the stock
    books find wrong anywhere."""
    from django.db.models import Count

    from designmall.catalog.models import Sku
    from designmall.inventory.models import StockLevel
    from designmall.inventory.selectors import stock_verify
    from designmall.orders.models import OrderLine

    level = StockLevel.objects.get(sku__public_id=sku)
    items = OrderLine.objects.filter(sku=Sku.objects.get(public_id=sku))
    answer = {
        "available": level.available,
        "held": level.held,
        "sold": level.sold,
        "received": level.received,
        "orders": items.values("order_id").distinct().count(),
        "units_ordered": sum(items.values_list("quantity", flat=True)),
        "books": stock_verify(),
    }
    if deal is not None:
        from designmall.promotions.models import LIVE_TICKET, DealTicket

        live = DealTicket.objects.filter(LIVE_TICKET, deal__public_id=deal)
        answer["deal_tickets"] = live.count()
        answer["most_per_buyer"] = max(
            live.values("buyer_id").annotate(n=Count("id")).values_list("n", flat=True),
            default=0,
        )
    return answer


def checkouts_of(*, idempotency_key: str) -> dict:
    from designmall.orders.models import Checkout, IdempotencyKey

    keys = IdempotencyKey.objects.filter(key=idempotency_key)
    return {
        "keys": keys.count(),
        "checkouts": list(
            Checkout.objects.filter(
                id__in=keys.exclude(checkout=None).values("checkout_id")
            ).values_list("public_id", flat=True)
        ),
    }


# --- auctions -----------------------------------------------------------------------------


def lot(*, title: str, tokens: list[str], amounts: int) -> dict:
    """A lot open for two hours, its deposit paid by each bidder; the first ``amounts``
    amounts of its increment grid."""
    from bench.auctions import _deposits_paid, _grid, _hot_lot

    made = _hot_lot(title)
    _deposits_paid(made, _users(tokens))
    return {"lot": made.public_id, "version": made.version, "grid": _grid(made, amounts)}


def lot_replayed(*, lot: str) -> dict:
    """The lot's stored state beside the replay of its accepted bids (the pure engine)."""
    from bench.auctions import _replay_agrees

    from designmall.auctions.models import Lot

    found = Lot.objects.get(public_id=lot)
    differences = _replay_agrees(found)
    found.refresh_from_db()
    return {
        "differences": differences,
        "bid_count": found.bid_count,
        "price_fen": found.price_fen,
    }


# --- the design week ------------------------------------------------------------------------


def session(*, title: str, capacity: int) -> dict:
    """A free session, reservations open, starting in two days."""
    from bench.events import _session

    made = _session(title, capacity=capacity, starts_in=timedelta(days=2))
    return {"session": made.public_id}


def seats_of(*, session: str) -> dict:
    from designmall.events.models import Reservation, ReservationStatus, Session, Ticket
    from designmall.events.selectors import session_verify

    found = Session.objects.get(public_id=session)
    reservations = Reservation.objects.filter(session=found)
    return {
        "confirmed": found.confirmed,
        "held": found.held,
        "reservations": reservations.count(),
        "confirmed_reservations": reservations.filter(status=ReservationStatus.CONFIRMED).count(),
        "tickets": Ticket.objects.filter(session=found).count(),
        "problems": session_verify([found.pk]),
    }


def two_gates(*, title: str, tickets: int) -> dict:
    """A session whose doors open soon, ``tickets`` tickets issued, and two check-in lists
    (east and west gate), each with its own staff member holding an API token; the
    tickets' signed QR texts."""
    from bench.events import _session, _tickets_issued

    from designmall.accounts.models import User
    from designmall.accounts.roles import Role
    from designmall.accounts.services import api_token_create, user_grant_role
    from designmall.events import checkin, signing

    made = _session(title, capacity=tickets, starts_in=timedelta(minutes=10))
    visitors = User.objects.bulk_create(
        User(email=f"{title}-visitor-{n}@cluster.designmall.cn", password="!")
        for n in range(tickets)
    )
    issued = _tickets_issued(made, [v.pk for v in visitors])
    gates = []
    for gate in ("东门", "西门"):
        staff = User.objects.create_user(
            email=f"{title}-{secrets.token_hex(3)}@cluster.designmall.cn", password="!"
        )
        user_grant_role(user=staff, role=Role.VENUE_STAFF)
        _token, raw = api_token_create(user=staff, name="gate scanner")
        door = checkin.checkin_list_create(
            name=f"{title}{gate}", gate=gate, sessions=[made], staff=[staff]
        )
        gates.append({"list": door.public_id, "token": raw})
    key = signing.event_key_current()
    return {
        "session": made.public_id,
        "gates": gates,
        "codes": [signing.ticket_payload(ticket, key=key) for ticket in issued],
    }


def entries_of(*, session: str) -> dict:
    from django.db.models import Count

    from designmall.events.models import CheckIn, Scan

    checkins = CheckIn.objects.filter(session__public_id=session)
    outcomes = dict(
        Scan.objects.filter(ticket__session__public_id=session)
        .values_list("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "checkins": checkins.count(),
        "entered_more_than_once": checkins.exclude(entries=1).count(),
        "outcomes": outcomes,
    }


# --- the sweepers ---------------------------------------------------------------------------

SWEEPERS = (
    "orders.checkouts_expire",
    "events.holds_expire",
    "designmall.payments.tasks.payments_sweep",
)


def due_for_sweeping(*, name: str, holds: int, paid: int) -> dict:
    """Work for the workers' sweepers, all of it due now:

    - ``holds`` unpaid checkouts of one SKU whose stock holds ran out;
    - ``holds`` unpaid reservations of a priced session whose seat holds ran out;
    - ``paid`` checkouts paid at the gateway whose notification was lost, quiet long
      enough to be asked about (and their holds still running).

    Written each in one transaction with its times moved back, so no sweeper sees it
    half made."""
    from bench.events import _session
    from bench.store import _shop_with_skus
    from django.db import transaction

    from designmall.core import clock
    from designmall.core.models import Job
    from designmall.events.models import Reservation, Session
    from designmall.events.services import reservation_create
    from designmall.orders.checkout import checkout_create
    from designmall.orders.models import Checkout
    from designmall.payments.gateways import sandbox
    from designmall.payments.models import Payment

    people = _users(buyers(prefix=name, count=holds + paid))
    past = clock.now() - timedelta(minutes=30)
    (held_sku,) = _shop_with_skus(f"{name}-held", skus=1, stock=holds)
    (paid_sku,) = _shop_with_skus(f"{name}-paid", skus=1, stock=paid)
    expiring, credited = [], []
    with transaction.atomic():
        for person in people[:holds]:
            made = checkout_create(buyer=person, lines=[(held_sku.public_id, 1)], delivery="pickup")
            expiring.append(made.pk)
        Checkout.objects.filter(pk__in=expiring).update(expires_at=past)
        Payment.objects.filter(
            pk__in=Checkout.objects.filter(pk__in=expiring).values("payment_id")
        ).update(expires_at=past)
    seats = _session(f"{name}-talk", capacity=holds, starts_in=timedelta(days=2))
    Session.objects.filter(pk=seats.pk).update(price_fen=5_000)
    seats.refresh_from_db()
    with transaction.atomic():
        reserved = [
            reservation_create(session=seats, user=person, seats=1).pk for person in people[:holds]
        ]
        Reservation.objects.filter(pk__in=reserved).update(hold_expires_at=past)
        Payment.objects.filter(
            pk__in=Reservation.objects.filter(pk__in=reserved).values("payment_id")
        ).update(expires_at=past)
    with transaction.atomic():
        for person in people[holds:]:
            made = checkout_create(buyer=person, lines=[(paid_sku.public_id, 1)], delivery="pickup")
            sandbox.sandbox_pay(payment=made.payment)
            credited.append(made.payment.pk)
        Job.objects.filter(name=sandbox.NOTIFY_JOB).delete()  # lost on the way
        Payment.objects.filter(pk__in=credited).update(created_at=past)
    return {
        "checkouts": expiring,
        "reservations": reserved,
        "session": seats.public_id,
        "held_sku": held_sku.public_id,
        "payments": credited,
    }


def sweepers_due_now() -> None:
    """Make the three sweepers due again (whichever worker polls next claims the run)."""
    from designmall.core import clock
    from designmall.core.models import PeriodicTaskRun

    PeriodicTaskRun.objects.filter(name__in=SWEEPERS).update(
        next_run_at=clock.now() - timedelta(seconds=1)
    )


def swept(*, work: dict) -> dict:
    """How the sweepers left the work of ``due_for_sweeping``."""
    from django.db.models import Count

    from designmall.core.models import AuditEvent, Job
    from designmall.events.models import Reservation
    from designmall.events.selectors import session_verify
    from designmall.inventory.models import StockLevel
    from designmall.inventory.selectors import stock_verify
    from designmall.ledger.models import LedgerTransaction
    from designmall.ledger.services import Kind, ledger_verify
    from designmall.orders.models import Checkout
    from designmall.payments.models import Payment

    checkouts = Checkout.objects.filter(pk__in=work["checkouts"])
    reservations = Reservation.objects.filter(pk__in=work["reservations"])
    payments = Payment.objects.filter(pk__in=work["payments"])
    level = StockLevel.objects.get(sku__public_id=work["held_sku"])

    def audited(action: str, targets) -> dict[str, int]:
        counts = (
            AuditEvent.objects.filter(action=action, target_id__in=targets)
            .values_list("target_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        return {str(n): c for n, c in counts}

    payment_refs = set(payments.values_list("public_id", flat=True)) | set(
        payments.values_list("out_trade_no", flat=True)
    )
    credits = (
        LedgerTransaction.objects.filter(
            kind=Kind.PAYMENT_RECEIVED, refs__ref_type="payment", refs__ref_id__in=payment_refs
        )
        .values_list("refs__ref_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "checkouts": dict(checkouts.values_list("status").annotate(n=Count("id")).order_by()),
        "checkouts_expired_audits": audited(
            "checkout.expired", list(checkouts.values_list("public_id", flat=True))
        ),
        "stock": {"available": level.available, "held": level.held},
        "reservations": dict(reservations.values_list("status").annotate(n=Count("id")).order_by()),
        "reservations_expired_audits": audited(
            "reservation.expired", list(reservations.values_list("public_id", flat=True))
        ),
        "payments": dict(payments.values_list("status").annotate(n=Count("id")).order_by()),
        "payments_paid_audits": audited(
            "payment.paid", list(payments.values_list("public_id", flat=True))
        ),
        "credits": {ref: n for ref, n in credits},
        "jobs_waiting": Job.objects.filter(done_at=None, failed_at=None).count(),
        "problems": stock_verify() + session_verify() + ledger_verify(),
    }


def serve() -> None:
    """Answer calls, one JSON line each on stdin (``function``, ``kwargs``), with one
    JSON line on stdout (``answer`` or ``error``), until stdin ends."""
    import json
    import sys
    import traceback

    import django

    django.setup()
    from django.db import connections

    answers = sys.stdout
    sys.stdout = sys.stderr  # whatever else is printed stays off the answers
    for line in sys.stdin:
        asked = json.loads(line)
        try:
            reply = {"answer": globals()[asked["function"]](**asked["kwargs"])}
        except Exception:
            reply = {"error": traceback.format_exc()}
        finally:
            connections.close_all()
        answers.write(json.dumps(reply) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve()
