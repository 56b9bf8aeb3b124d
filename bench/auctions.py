"""A hot lot's last minutes on PostgreSQL and Redis, over HTTP against a live server.

1. Hot-lot bidding: 200 bidders (each with an API token and a paid deposit) send 2,000
   bids at one lot, 64 at a time (``POST /api/v1/auctions/lots/{id}/bids``, wrk), the
   maximums climbing the increment grid in the order sent, so most are accepted and the
   ones overtaken in flight are refused as below the minimum: bids answered/s, p50/p99,
   and proof that the lot's state is the replay of its accepted bids through the pure
   engine. Beside it, in the same run, the ceiling: the same database work (the deposit
   read, then one transaction: the lot's row locked, the bid, its step, the lot's new
   state and the audit row; then the publish) over psycopg by 64 threads, and ours as a
   ratio of it.
2. Live fan-out: 500 watchers hold the lot's server-sent-event stream open (anonymous,
   as most watchers are); a bidder bids 20 times, half a second apart; for every bid and
   every watcher, the time from sending the bid to the watcher reading its event:
   p50/p99/max, and how many events never arrived.

Each run builds a fresh PostgreSQL database and drops it afterwards.

    .venv/bin/python -m bench.auctions [--watchers 500] [--bids 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bench import summary
from bench.common import figure, live_server, percentile
from bench.hotpath import pgbench_hot_row, rows, selling_rate
from bench.seed import fresh_postgres
from bench.store import _buyers_with_tokens
from bench.wrk import line, statuses
from bench.wrk import run as wrk

BIDDERS = 200
BIDS = 2_000
BID_CLIENTS = 64
WATCHERS = 500
FANOUT_BIDS = 20
FANOUT_PAUSE_SECONDS = 0.5
CONNECT_BATCH = 25  # watchers connecting at once: each opens a database connection briefly
REDIS_URL = "redis://127.0.0.1:6379/13"
START_FEN = 100_000
DEPOSIT_FEN = 50_000

# --- the data -------------------------------------------------------------------------------


def _hot_lot(title: str):
    """A lot open for two hours more, ¥1,000 start, default increments, ¥500 deposit."""
    from designmall.accounts.models import User
    from designmall.auctions.models import AuctionSale
    from designmall.auctions.services import lot_create
    from designmall.catalog.models import Designer, Shop, ShopStatus
    from designmall.core import clock

    now = clock.now()
    owner = User.objects.create(email=f"{title}@bench.designmall.cn", password="!")
    shop = Shop.objects.create(
        owner=owner, name_zh=title, name_en=title, status=ShopStatus.APPROVED, created_at=now
    )
    designer = Designer.objects.create(
        name_zh="名家", name_en="Master", is_renowned=True, created_at=now
    )
    sale = AuctionSale.objects.create(
        title_zh=f"{title} 专场",
        title_en=f"{title} sale",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
        is_published=True,
        created_at=now,
    )
    return lot_create(
        by=None,
        sale=sale,
        number=1,
        title_zh=f"{title} 名作",
        designer=designer,
        shop=shop,
        start_price_fen=START_FEN,
        deposit_fen=DEPOSIT_FEN,
        starts_at=now - timedelta(hours=1),
        scheduled_end_at=now + timedelta(hours=2),
    )


def _deposits_paid(lot, users) -> None:
    """Each bidder pays the lot's deposit at the sandbox cashier (its notification
    delivered in-process, as the gateway would)."""
    from designmall.auctions.deposits import deposit_create
    from designmall.payments.gateways import sandbox
    from designmall.payments.services import notification_receive

    for user in users:
        deposit = deposit_create(bidder=user, lot=lot)
        paid = sandbox.sandbox_pay(payment=deposit.payment)
        assert notification_receive(params=paid.notification).outcome == "credited"


def _grid(lot, count: int) -> list[int]:
    """The first ``count`` amounts of the lot's increment grid from its start price."""
    from designmall.auctions.snapshot import lot_increments

    increments = lot_increments(lot)
    amounts = [lot.start_price_fen]
    while len(amounts) < count:
        amounts.append(increments.round_up_to_grid(amounts[-1] + 1, lot.start_price_fen))
    return amounts


def _bidders(tokens: list[str]):
    from designmall.accounts.models import ApiToken

    by_prefix = dict(ApiToken.objects.values_list("prefix", "user_id"))
    from designmall.accounts.models import User

    users = User.objects.in_bulk([by_prefix[token[:10]] for token in tokens])
    return [users[by_prefix[token[:10]]] for token in tokens]


def _replay_agrees(lot) -> list[str]:
    """What differs between the lot's stored state and a replay of its accepted bids."""
    from designmall.auctions.snapshot import lot_replay, lot_state

    lot.refresh_from_db()
    stored, replayed = lot_state(lot), lot_replay(lot)
    problems = []
    for name in ("price_fen", "bid_count"):
        if getattr(stored, name) != getattr(replayed, name):
            problems.append(f"{name}: {getattr(stored, name)} != {getattr(replayed, name)}")
    if stored.leader_id != replayed.leader_id:
        problems.append(f"leader: {stored.leader_id} != {replayed.leader_id}")
    return problems


# --- 1. hot-lot bidding ---------------------------------------------------------------------


def hot_lot_bidding(base: str, folder: Path, tokens: list[str], bids: int) -> dict:
    from django.db.models import Max

    from designmall.auctions.models import Bid
    from designmall.core import clock

    lot = _hot_lot("hot")
    _deposits_paid(lot, _bidders(tokens))
    amounts = _grid(lot, bids)
    path = f"/api/v1/auctions/lots/{lot.public_id}/bids"
    lines = [
        line(
            "POST",
            path,
            {
                "Authorization": f"Bearer {tokens[n % len(tokens)]}",
                "Content-Type": "application/json",
            },
            json.dumps({"max_fen": amount}),
        )
        for n, amount in enumerate(amounts)
    ]
    started = clock.now()  # the server's clock is this machine's: the rows' times compare
    result = wrk(base, lines, clients=BID_CLIENTS, folder=folder)
    taken = Bid.objects.filter(lot=lot, accepted=True)
    accepted = taken.count()
    last_accepted = taken.aggregate(last=Max("placed_at"))["last"]
    recorded = Bid.objects.filter(lot=lot).count()
    result.update(
        per_second=bids / result["seconds"],
        selling_per_second=selling_rate(accepted, started, last_accepted),
        accepted=accepted,
        recorded=recorded,
        problems=_replay_agrees(lot),
    )
    print(f"hot-lot bidding: {bids:,} bids by {len(tokens)} bidders, {BID_CLIENTS} clients")
    figure("bids answered/s (201 + 409)", result["per_second"])
    figure("bids accepted/s (until the last accepted)", result["selling_per_second"])
    figure("bids accepted", accepted)
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    figure("answers by status", statuses(result))
    figure(f"bids recorded (must be {bids:,})", recorded)
    figure("lot state vs replay of accepted bids", "agree" if not result["problems"] else "DIFFER")
    for problem in result["problems"]:
        print(f"    {problem}")
    return result


def hot_lot_ceiling(database_url: str, tokens: list[str], bids: int) -> dict:
    """The same database work without Django: per bid, the deposit read, then one
    transaction that locks the lot, records the bid, and (when it is accepted) its step,
    the lot's new leader and price and an audit row; then a Redis publish."""
    import psycopg
    import redis

    from designmall.auctions.snapshot import lot_increments
    from designmall.core import clock
    from designmall.core.ids import new_public_id

    lot = _hot_lot("ceiling")
    users = _bidders(tokens)
    _deposits_paid(lot, users)
    increments = lot_increments(lot)
    amounts = _grid(lot, bids)
    todo = list(reversed([(users[n % len(users)].pk, amount) for n, amount in enumerate(amounts)]))
    lock = threading.Lock()
    latencies: list[float] = []
    outcome = {"accepted": 0}
    barrier = threading.Barrier(BID_CLIENTS)
    publisher = redis.Redis.from_url(REDIS_URL)

    def bid_once(conn, bidder_id: int, max_fen: int) -> bool:
        now = clock.now()
        conn.execute(
            "SELECT id FROM auctions_deposit WHERE bidder_id = %s AND lot_id = %s"
            " AND status = 'paid' ORDER BY id LIMIT 1",
            [bidder_id, lot.id],
        ).fetchone()
        with conn.transaction():
            (price, leader, leader_max, sequence, steps, version, count) = conn.execute(
                "SELECT price_fen, leader_id, leader_max_fen, bid_sequence, step_count,"
                " version, bid_count FROM auctions_lot WHERE id = %s FOR UPDATE",
                [lot.id],
            ).fetchone()
            sequence += 1
            minimum = START_FEN if price is None else price + increments.increment_at(price)
            accepted = max_fen >= minimum and (leader != bidder_id or max_fen > leader_max)
            conn.execute(
                "INSERT INTO auctions_bid (public_id, lot_id, bidder_id, sequence, max_fen,"
                " buy_now, placed_at, source, accepted, refusal, minimum_fen, retracted,"
                " retraction_reason) VALUES (%s, %s, %s, %s, %s, false, %s, 'api', %s, %s, %s,"
                " false, '')",
                [
                    new_public_id("bid"),
                    lot.id,
                    bidder_id,
                    sequence,
                    max_fen,
                    now,
                    accepted,
                    "" if accepted else "bid_below_minimum",
                    None if accepted else minimum,
                ],
            )
            if not accepted:
                conn.execute(
                    "UPDATE auctions_lot SET bid_sequence = %s WHERE id = %s", [sequence, lot.id]
                )
                return False
            if leader is None or max_fen > leader_max:
                runner_max = leader_max
                price = (
                    START_FEN
                    if leader is None
                    else min(max_fen, leader_max + increments.increment_at(leader_max))
                )
                leader, leader_max = bidder_id, max_fen
            else:
                runner_max = max_fen
                price = min(leader_max, max_fen + increments.increment_at(max_fen))
            conn.execute(
                "INSERT INTO auctions_bidstep (lot_id, position, bidder_id, amount_fen,"
                " automatic, bid_sequence, at) VALUES (%s, %s, %s, %s, false, %s, %s)",
                [lot.id, steps + 1, bidder_id, price, sequence, now],
            )
            conn.execute(
                "UPDATE auctions_lot SET price_fen = %s, leader_id = %s, leader_max_fen = %s,"
                " leader_seq = %s, leader_placed_at = %s, runner_up_max_fen = %s,"
                " bid_sequence = %s, step_count = %s, version = %s, bid_count = %s"
                " WHERE id = %s",
                [
                    price,
                    leader,
                    leader_max,
                    sequence,
                    now,
                    runner_max,
                    sequence,
                    steps + 1,
                    version + 1,
                    count + 1,
                    lot.id,
                ],
            )
            conn.execute(
                "INSERT INTO core_auditevent (at, actor_id, action, target_type, target_id,"
                " from_state, to_state, reason, data) VALUES (%s, %s, 'lot.bid', 'auctions.lot',"
                " %s, '', '', '', %s)",
                [now, bidder_id, lot.public_id, json.dumps({"max_fen": max_fen, "price": price})],
            )
        publisher.publish(
            f"designmall:auctions:lot:{lot.public_id}", json.dumps({"version": version + 1})
        )
        return True

    def run() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            barrier.wait()
            while True:
                with lock:
                    if not todo:
                        return
                    bidder_id, max_fen = todo.pop()
                started = time.perf_counter()
                accepted = bid_once(conn, bidder_id, max_fen)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    outcome["accepted"] += accepted

    threads = [threading.Thread(target=run) for _ in range(BID_CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    publisher.close()
    result = {
        "per_second": bids / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "accepted": outcome["accepted"],
    }
    print(f"ceiling: the same transaction over psycopg, {BID_CLIENTS} threads")
    figure("bids/s", result["per_second"])
    figure("bids accepted", result["accepted"])
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    return result


# --- 2. live fan-out ------------------------------------------------------------------------


class Watchers:
    """``count`` SSE connections to one lot, recording when each event (by version) is read."""

    def __init__(self, base: str, path: str, count: int):
        parts = urlsplit(base)
        self.host, self.port, self.path, self.count = parts.hostname, parts.port, path, count
        self.arrivals: list[dict[int, float]] = [{} for _ in range(count)]
        self.refused = 0
        self.ready = 0

    async def _watch(self, n: int, ready: asyncio.Event, stop: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(
            f"GET {self.path} HTTP/1.0\r\nHost: {self.host}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            self.refused += 1
            ready.set()
            writer.close()
            return
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass  # the headers
        version = None
        reading = asyncio.ensure_future(reader.readline())
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while True:
                done, _ = await asyncio.wait({reading, stopping}, return_when="FIRST_COMPLETED")
                if stopping in done:
                    return
                text = reading.result()
                if not text:
                    return
                if text.startswith(b"id: "):
                    version = int(text[4:])
                elif text.startswith(b"data: ") and version is not None:
                    self.arrivals[n][version] = time.monotonic()
                    if not ready.is_set():
                        self.ready += 1
                        ready.set()
                reading = asyncio.ensure_future(reader.readline())
        finally:
            reading.cancel()
            stopping.cancel()
            writer.close()

    async def run(self, while_watching) -> None:
        stop = asyncio.Event()
        tasks = []
        for first in range(0, self.count, CONNECT_BATCH):
            batch = []
            for n in range(first, min(first + CONNECT_BATCH, self.count)):
                ready = asyncio.Event()
                tasks.append(asyncio.ensure_future(self._watch(n, ready, stop)))
                batch.append(ready.wait())
            await asyncio.wait_for(asyncio.gather(*batch), timeout=60)
        await asyncio.get_running_loop().run_in_executor(None, while_watching)
        await asyncio.sleep(2)  # stragglers
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


def _post_bid(base: str, lot_public_id: str, token: str, max_fen: int) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/auctions/lots/{lot_public_id}/bids",
        data=json.dumps({"max_fen": max_fen}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def live_fanout(base: str, tokens: list[str], watchers: int) -> dict:
    lot = _hot_lot("fanout")
    _deposits_paid(lot, _bidders(tokens[:2]))
    amounts = _grid(lot, FANOUT_BIDS * 3)[::3]  # each bid well above the last
    crowd = Watchers(base, f"/auctions/lots/{lot.public_id}/events", watchers)
    sent: dict[int, float] = {}
    answered: dict[int, float] = {}

    def bidding() -> None:
        for n, amount in enumerate(amounts):
            version = lot.version + n + 1
            sent[version] = time.monotonic()
            status = _post_bid(base, lot.public_id, tokens[n % 2], amount)
            answered[version] = time.monotonic()
            assert status == 201, status
            time.sleep(FANOUT_PAUSE_SECONDS)

    asyncio.run(crowd.run(bidding))
    delays, from_answer, missing = [], [], 0
    for arrivals in crowd.arrivals:
        if not arrivals:
            continue
        for version, at in sent.items():
            if version in arrivals:
                delays.append((arrivals[version] - at) * 1000)
                from_answer.append((arrivals[version] - answered[version]) * 1000)
            else:
                missing += 1
    connected = watchers - crowd.refused
    result = {
        "p50_ms": percentile(delays, 50),
        "p99_ms": percentile(delays, 99),
        "max_ms": max(delays, default=float("nan")),
        "after_answer_p99_ms": percentile(from_answer, 99),
        "missing": missing,
        "refused": crowd.refused,
    }
    print(
        f"live fan-out: {watchers} watchers on one lot, {FANOUT_BIDS} bids "
        f"{FANOUT_PAUSE_SECONDS} s apart"
    )
    figure("watchers connected", connected)
    figure("watchers refused a stream (503: they poll)", crowd.refused)
    figure("deliveries", len(delays))
    figure(f"missed (must be 0 of {connected * FANOUT_BIDS:,})", missing)
    figure("bid sent -> event read, p50", result["p50_ms"], "ms")
    figure("bid sent -> event read, p99", result["p99_ms"], "ms")
    figure("bid sent -> event read, max", result["max_ms"], "ms")
    figure("bid answered -> event read, p99", result["after_answer_p99_ms"], "ms")
    return result


def run(
    *,
    workers: int,
    threads: int,
    stream_threads: int,
    watchers: int,
    bids: int,
    ceiling: bool = True,
    pgbench_seconds: int = 8,
) -> dict:
    """Every part; ``results["summary"]`` holds hot-lot bidding's summary rows."""
    if not shutil.which("wrk"):
        raise SystemExit("bench.auctions needs wrk: apt-get install wrk")
    results = {}
    with fresh_postgres("auctions", REDIS_URL=REDIS_URL) as (server_env, var):
        tokens = _buyers_with_tokens(BIDDERS)
        with live_server(server_env, workers=workers, threads=threads) as base:
            print(f"server: {workers} workers x {threads} threads")
            results["bidding"] = hot_lot_bidding(base, var, tokens, bids)
        # After the server has let its connections go: pgbench takes 64 of PostgreSQL's 100.
        results["pgbench"] = pgbench_hot_row(server_env["DATABASE_URL"], pgbench_seconds)
        if ceiling:
            results["ceiling"] = hot_lot_ceiling(server_env["DATABASE_URL"], tokens, bids)
        if watchers:
            # Every watcher holds a server thread: a server sized for them.
            streams = str(stream_threads - 8)
            stream_env = {**server_env, "AUCTION_STREAMS_PER_PROCESS": streams}
            with live_server(stream_env, workers=workers, threads=stream_threads) as base:
                print(f"server: {workers} workers x {stream_threads} threads")
                results["fanout"] = live_fanout(base, tokens, watchers)
    bidding = results["bidding"]
    results["summary"] = rows(
        path=f"hot-lot bidding ({bids:,} bids)",
        unit="accepted bids",
        result=bidding,
        pgbench=results["pgbench"],
        selling_share=0.25,
        correct_name="lot equals the replay of its accepted bids, every bid recorded",
        correct=not bidding["problems"] and bidding["recorded"] == bids,
        thread_ceiling=results["ceiling"]["per_second"] if ceiling else None,
    )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--stream-threads", type=int, default=300, help="threads per worker for the fan-out"
    )
    parser.add_argument("--watchers", type=int, default=WATCHERS)
    parser.add_argument("--bids", type=int, default=BIDS)
    parser.add_argument("--no-ceiling", action="store_true", help="skip the psycopg-thread ceiling")
    parser.add_argument("--pgbench-seconds", type=int, default=8)
    args = parser.parse_args(argv)
    results = run(
        workers=args.workers,
        threads=args.threads,
        stream_threads=args.stream_threads,
        watchers=args.watchers,
        bids=args.bids,
        ceiling=not args.no_ceiling,
        pgbench_seconds=args.pgbench_seconds,
    )
    summary.report(results["summary"])


if __name__ == "__main__":
    main()
