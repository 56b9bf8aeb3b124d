"""The design week's doors on PostgreSQL: reservations over HTTP, check-in, offline checks.

1. Reservation rush: 5,000 visitors (each with an API token) reserve one seat each of a
   free 300-seat lecture the moment reservations open, 64 at a time
   (``POST /api/v1/events/sessions/{id}/reservations``): reservations answered/s,
   p50/p99, answers by status, and proof that exactly 300 seats were taken (the
   session's counters, its confirmed reservations and its tickets). Beside it, measured
   in the same run, the ceiling: the same database work (the conditional ``UPDATE`` of
   the session's counters, a reservation row and a ticket row, one transaction) issued
   directly over psycopg by 64 threads, and ours as a ratio of it.
2. Online check-in: 3,000 valid tickets of a session whose doors are open, scanned by
   venue staff at 16 clients (``POST /api/v1/checkin/lists/{id}/scans`` with the signed
   QR text), 20% of the scans a ticket shown again: scans/s, p50/p99, and proof of no
   double entry (one check-in per ticket, every repeat refused as already checked in).
3. Offline verification: what a scanner device does at the door without a network,
   ``ticketsign.verify`` of 20,000 signed payloads in one process on one core:
   verifications/s.

Each run builds a fresh PostgreSQL database and drops it afterwards.

    .venv/bin/python -m bench.events [--workers 2] [--threads 8]
    .venv/bin/python -m bench.events --visitors 500 --seats 50 --scans 300 --verifies 2000
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from bench import summary
from bench.common import figure, live_server, percentile
from bench.hotpath import pgbench_hot_row, rows, selling_rate
from bench.seed import fresh_postgres
from bench.store import _buyers_with_tokens
from bench.wrk import line, statuses
from bench.wrk import run as wrk

VISITORS = 5_000
SEATS = 300
RUSH_CLIENTS = 64
SCAN_TICKETS = 3_000
SCAN_REPEAT_SHARE = 0.2
SCAN_CLIENTS = 16
VERIFIES = 20_000


# --- the data -------------------------------------------------------------------------------


def _session(title: str, *, capacity: int, starts_in: timedelta):
    """A free session of a published lecture, starting ``starts_in`` from now and lasting
    two hours, its reservations open since a minute ago (the rush's moment)."""
    from designmall.core import clock
    from designmall.events.models import Event, EventKind, EventStatus, Hall, Session, Venue

    now = clock.now()
    venue = Venue.objects.create(name_zh=f"{title}场馆", address_zh="上海市徐汇区龙腾大道 1 号")
    hall = Hall.objects.create(venue=venue, name_zh="一号厅", capacity=capacity)
    event = Event.objects.create(
        kind=EventKind.LECTURE,
        title_zh=title,
        title_en=title,
        status=EventStatus.PUBLISHED,
        created_at=now,
        published_at=now,
    )
    starts = now + starts_in
    return Session.objects.create(
        event=event,
        hall=hall,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=capacity,
        price_fen=0,
        reservation_opens_at=now - timedelta(minutes=1),
        reservation_closes_at=starts,
        cancel_until=starts - timedelta(minutes=5),
        per_user_limit=2,
    )


def _visitor_ids(count: int) -> list[int]:
    from designmall.accounts.models import User

    return list(
        User.objects.filter(email__startswith="buyer")
        .order_by("id")
        .values_list("id", flat=True)[:count]
    )


def _tickets_issued(session, user_ids: list[int]):
    """One confirmed one-seat reservation and its ticket per visitor, written in bulk (as
    ``reservation_create`` would leave them) and counted on the session."""
    from designmall.core import clock
    from designmall.events.models import Reservation, ReservationStatus, Session, Ticket

    now = clock.now()
    reservations = Reservation.objects.bulk_create(
        Reservation(
            session=session,
            user_id=user_id,
            seats=1,
            unit_price_fen=0,
            amount_fen=0,
            status=ReservationStatus.CONFIRMED,
            created_at=now,
            confirmed_at=now,
        )
        for user_id in user_ids
    )
    Session.objects.filter(pk=session.pk).update(confirmed=len(reservations))
    tickets = Ticket.objects.bulk_create(
        Ticket(reservation=r, session=session, user_id=r.user_id, seat_no=1, issued_at=now)
        for r in reservations
    )
    for ticket in tickets:
        ticket.session = session
    return tickets


def _staff_token():
    """A venue staff member and their API token (raw), as a scanner phone holds it."""
    from designmall.accounts.models import User
    from designmall.accounts.roles import Role
    from designmall.accounts.services import api_token_create, user_grant_role

    staff = User.objects.create_user(email="door@bench.designmall.cn", password="!")
    user_grant_role(user=staff, role=Role.VENUE_STAFF)
    _token, raw = api_token_create(user=staff, name="bench scanner")
    return staff, raw


# --- 1. the reservation rush ----------------------------------------------------------------


def reservation_rush(base: str, folder: Path, tokens: list[str], seats: int) -> dict:
    from django.db.models import Max

    from designmall.core import clock
    from designmall.events.models import Reservation, ReservationStatus, Ticket

    session = _session("抢座讲座", capacity=seats, starts_in=timedelta(days=2))
    path = f"/api/v1/events/sessions/{session.public_id}/reservations"
    body = json.dumps({"seats": 1})
    lines = [
        line(
            "POST",
            path,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            body,
        )
        for token in tokens
    ]
    started = clock.now()  # the server's clock is this machine's: the rows' times compare
    result = wrk(base, lines, clients=RUSH_CLIENTS, folder=folder)
    session.refresh_from_db()
    taken = Reservation.objects.filter(session=session, status=ReservationStatus.CONFIRMED)
    confirmed = taken.count()
    last_taken = taken.aggregate(last=Max("confirmed_at"))["last"]
    reservations = Reservation.objects.filter(session=session).count()
    tickets = Ticket.objects.filter(session=session).count()
    result.update(
        per_second=len(tokens) / result["seconds"],
        selling_per_second=selling_rate(confirmed, started, last_taken),
        selling_seconds=(last_taken - started).total_seconds() if last_taken else None,
        confirmed=session.confirmed,
        held=session.held,
        reservations=reservations,
        tickets=tickets,
        correct=session.confirmed == seats
        and session.held == 0
        and reservations == confirmed == seats
        and tickets == seats,
    )
    print(
        f"reservation rush: {len(tokens):,} visitors, a free {seats}-seat session, "
        f"{RUSH_CLIENTS} clients"
    )
    figure("reservations answered/s (201 + 409)", result["per_second"])
    figure(f"reservations/s while seats last ({seats})", result["selling_per_second"])
    figure("seats gone after", result["selling_seconds"] or float("nan"), "s")
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    figure("answers by status", statuses(result))
    figure(
        f"seats confirmed / held (must be {seats} / 0)",
        f"{session.confirmed} / {session.held}",
    )
    figure(f"reservations (all confirmed, must be {seats})", f"{reservations} ({confirmed})")
    figure(f"tickets issued (must be {seats})", tickets)
    return result


def reservation_ceiling(database_url: str, seats: int, visitors: int) -> dict:
    """The same database work without Django: per visitor, one transaction that takes a
    seat with the conditional update of the session's counters, inserts the confirmed
    reservation and its ticket, and commits."""
    import psycopg

    from designmall.core import clock
    from designmall.core.ids import new_public_id

    session = _session("抢座讲座（对照）", capacity=seats, starts_in=timedelta(days=2))
    todo = _visitor_ids(visitors)
    lock = threading.Lock()
    latencies: list[float] = []
    taken_total = 0
    now = clock.now()
    # Every connection is opened before any thread starts: a server out of connections
    # (max_connections, shared with whoever else uses it) fails here instead of hanging.
    connections = []
    try:
        for _n in range(RUSH_CLIENTS):
            connections.append(psycopg.connect(database_url))
    except psycopg.OperationalError:
        for conn in connections:
            conn.close()
        raise

    def run(conn) -> None:
        nonlocal taken_total
        with conn:
            while True:
                with lock:
                    if not todo:
                        return
                    user_id = todo.pop()
                started = time.perf_counter()
                with conn.transaction():
                    taken = conn.execute(
                        "UPDATE events_session SET confirmed = confirmed + 1"
                        " WHERE id = %s AND status = 'scheduled'"
                        " AND capacity >= confirmed + held + 1 RETURNING confirmed",
                        [session.id],
                    ).fetchone()
                    if taken is not None:
                        (reservation_id,) = conn.execute(
                            "INSERT INTO events_reservation (public_id, session_id, user_id,"
                            " seats, unit_price_fen, amount_fen, status, created_at,"
                            " confirmed_at, by_operator, cancel_reason, refund_fen,"
                            " refunded_fen, released_fen)"
                            " VALUES (%s, %s, %s, 1, 0, 0, 'confirmed', %s, %s, false, '',"
                            " 0, 0, 0) RETURNING id",
                            [new_public_id("rsv"), session.id, user_id, now, now],
                        ).fetchone()
                        conn.execute(
                            "INSERT INTO events_ticket (public_id, reservation_id, session_id,"
                            " user_id, seat_no, status, issued_at, revoke_reason)"
                            " VALUES (%s, %s, %s, %s, 1, 'valid', %s, '')",
                            [new_public_id("tk"), reservation_id, session.id, user_id, now],
                        )
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    taken_total += taken is not None

    threads = [threading.Thread(target=run, args=(conn,)) for conn in connections]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    session.refresh_from_db()
    result = {
        "per_second": visitors / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "taken": taken_total,
        "confirmed": session.confirmed,
    }
    print(f"ceiling: the same transaction over psycopg, {RUSH_CLIENTS} threads")
    figure("transactions/s", result["per_second"])
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    figure(f"seats taken (must be {seats})", f"{taken_total} ({session.confirmed} counted)")
    return result


# --- 2. online check-in ---------------------------------------------------------------------


def online_checkin(base: str, folder: Path, tickets_count: int) -> dict:
    from django.db.models import Count

    from designmall.events import checkin, signing
    from designmall.events.models import CheckIn, Scan

    session = _session("检票讲座", capacity=tickets_count, starts_in=timedelta(minutes=10))
    tickets = _tickets_issued(session, _visitor_ids(tickets_count))
    staff, token = _staff_token()
    door = checkin.checkin_list_create(
        name="检票讲座", gate="东门", sessions=[session], staff=[staff]
    )
    key = signing.event_key_current()
    codes = [signing.ticket_payload(ticket, key=key) for ticket in tickets]
    rng = random.Random(7)
    repeats = round(len(codes) * SCAN_REPEAT_SHARE / (1 - SCAN_REPEAT_SHARE))
    shown = codes + [rng.choice(codes) for _ in range(repeats)]
    rng.shuffle(shown)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    path = f"/api/v1/checkin/lists/{door.public_id}/scans"
    lines = [
        line(
            "POST",
            path,
            headers,
            json.dumps({"scan_id": str(uuid.uuid4()), "payload": code, "direction": "entry"}),
        )
        for code in shown
    ]
    result = wrk(base, lines, clients=SCAN_CLIENTS, folder=folder)
    outcomes = dict(
        Scan.objects.filter(checkin_list=door)
        .values_list("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    entries = CheckIn.objects.filter(session=session)
    result.update(
        per_second=len(shown) / result["seconds"],
        checkins=entries.count(),
        entered_more_than_once=entries.exclude(entries=1).count(),
        outcomes=outcomes,
    )
    print(
        f"online check-in: {len(shown):,} scans of {len(codes):,} tickets "
        f"({repeats:,} shown again), {SCAN_CLIENTS} clients"
    )
    figure("scans/s", result["per_second"])
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    figure("answers by status", statuses(result))
    figure("scans recorded by outcome", " ".join(f"{k}:{v}" for k, v in outcomes.items()))
    figure(f"accepted entries (must be {len(codes):,})", outcomes.get("accepted", 0))
    figure(f"check-ins (must be {len(codes):,})", result["checkins"])
    figure("tickets entered twice (must be 0)", result["entered_more_than_once"])
    figure(f"refused as already in (must be {repeats:,})", outcomes.get("already_checked_in", 0))
    return result


# --- 3. offline verification ----------------------------------------------------------------


def offline_verification(count: int) -> dict:
    """A device's check at the door: decode, pick the key by its id, verify the Ed25519
    signature, check the window. Pure Python and OpenSSL, no database."""
    from designmall.core.ids import new_public_id
    from designmall.events import ticketsign

    key = ticketsign.generate_private_key()
    public = key.public_key()
    keys = {ticketsign.key_id(public): public}  # as a device holds them, from the bundle
    now = int(time.time())
    sessions = [new_public_id("ses") for _ in range(50)]
    payloads = [
        ticketsign.sign(
            ticket_id=new_public_id("tk"),
            session_id=sessions[n % len(sessions)],
            valid_from=now - 3_600,
            valid_until=now + 7_200,
            private_key=key,
        )
        for n in range(count)
    ]
    allowed = set(sessions)
    started_cpu, started = time.process_time(), time.perf_counter()
    accepted = 0
    for payload in payloads:
        claims = ticketsign.verify(payload, keys, now=now, leeway_seconds=120)
        accepted += claims.session_id in allowed
    elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    result = {"per_second": count / elapsed, "per_cpu_second": count / cpu, "accepted": accepted}
    print(f"offline verification: {count:,} signed payloads, one process, one thread")
    figure("verifications/s (wall clock)", result["per_second"])
    figure("verifications per CPU second", result["per_cpu_second"])
    figure(f"accepted (must be {count:,})", accepted)
    return result


def run(
    *,
    workers: int,
    threads: int,
    visitors: int,
    seats: int,
    scans: int,
    verifies: int,
    ceiling: bool = True,
    pgbench_seconds: int = 8,
) -> dict:
    """Every part; ``results["summary"]`` holds the reservation rush's summary rows."""
    if not shutil.which("wrk"):
        raise SystemExit("bench.events needs wrk: apt-get install wrk")
    results = {}
    with fresh_postgres("events") as (server_env, var):
        tokens = _buyers_with_tokens(max(visitors, scans))
        with live_server(server_env, workers=workers, threads=threads) as base:
            print(f"server: {workers} workers x {threads} threads")
            results["rush"] = reservation_rush(base, var, tokens[:visitors], seats)
            if scans:
                results["checkin"] = online_checkin(base, var, scans)
        # After the server has let its connections go: pgbench takes 64 of PostgreSQL's 100.
        results["pgbench"] = pgbench_hot_row(server_env["DATABASE_URL"], pgbench_seconds)
        if ceiling:
            results["ceiling"] = reservation_ceiling(server_env["DATABASE_URL"], seats, visitors)
        if verifies:
            results["offline"] = offline_verification(verifies)
    rush = results["rush"]
    results["summary"] = rows(
        path=f"reservation rush ({visitors:,} / {seats} seats)",
        unit="reservations",
        result=rush,
        pgbench=results["pgbench"],
        selling_share=0.5,
        correct_name=f"exactly {seats} seats taken, tickets and reservations agree",
        correct=rush["correct"],
        thread_ceiling=results["ceiling"]["per_second"] if ceiling else None,
    )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--visitors", type=int, default=VISITORS, help="reservation requests")
    parser.add_argument("--seats", type=int, default=SEATS, help="the rushed session's seats")
    parser.add_argument("--scans", type=int, default=SCAN_TICKETS, help="tickets to check in")
    parser.add_argument("--verifies", type=int, default=VERIFIES, help="offline verifications")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the psycopg-thread ceiling")
    parser.add_argument("--pgbench-seconds", type=int, default=8)
    args = parser.parse_args(argv)
    results = run(
        workers=args.workers,
        threads=args.threads,
        visitors=args.visitors,
        seats=args.seats,
        scans=args.scans,
        verifies=args.verifies,
        ceiling=not args.no_ceiling,
        pgbench_seconds=args.pgbench_seconds,
    )
    summary.report(results["summary"])


if __name__ == "__main__":
    main()
