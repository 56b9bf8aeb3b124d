"""A flash deal (限时秒杀) over HTTP against ``designmall serve`` on PostgreSQL + Redis,
driven by wrk, beside pgbench's hot-row order transaction measured in the same run.

20,000 buyers (each with an API token) press "buy" once on a deal of 500 units, limit 1
per buyer, 256 connections at once (``POST /api/v1/deals/{id}/buy`` with an
``Idempotency-Key``): answers/s, p50/p99, orders/s while units last (from the first
ticket to the 500th), and proof: exactly 500 orders, no buyer over the limit, the stock
books balanced and Redis agreeing with the database (the reconciler finds nothing to do).
On the Redis path a buyer who won is answered 202 at admission and the order is written
behind the answer (``promotions.deal_writer``): the orders are counted once the writers
caught up, and the time from admission to order is reported (p50/p99/max).
Then the same deal with the server pointed at no Redis (the database path: one
conditional update of the deal's row per admission). Then pgbench's hot-row figure.

Each run builds a fresh PostgreSQL database and drops it afterwards; Redis keys go under
a prefix of the run's own, deleted afterwards.

    .venv/bin/python -m bench.deals [--workers 2] [--threads 8] [--buyers 20000] [--redis-only]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from datetime import timedelta

from bench.common import figure, live_server
from bench.pgbench import hot_row
from bench.seed import fresh_postgres
from bench.store import _buyers_with_tokens, _shop_with_skus
from bench.wrk import line, statuses
from bench.wrk import run as wrk

BUYERS = 20_000
UNITS = 500
CLIENTS = 256
PGBENCH_CLIENTS = 32
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def _deal(name: str):
    from designmall.core import clock
    from designmall.promotions.deals import deal_schedule_unchecked

    (sku,) = _shop_with_skus(name, skus=1, stock=UNITS, price_fen=12_900)
    now = clock.now()
    return deal_schedule_unchecked(
        by=None,
        sku=sku,
        price_fen=9_900,
        quantity=UNITS,
        starts_at=now - timedelta(seconds=1),
        ends_at=now + timedelta(hours=1),
    )


def rush(base: str, folder, tokens: list[str], label: str, name: str) -> dict:
    from django.db.models import Count, Max, Min

    from designmall.inventory.selectors import stock_verify
    from designmall.orders.models import Order
    from designmall.promotions.models import LIVE_TICKET, DealTicket

    deal = _deal(name)
    body = json.dumps({"delivery": "pickup"})
    lines = [
        line(
            "POST",
            f"/api/v1/deals/{deal.public_id}/buy",
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"{name}-{n}",
            },
            body,
        )
        for n, token in enumerate(tokens)
    ]
    # Time enough for every buyer (wrk's duration would cut the run short, unanswered).
    result = wrk(base, lines, clients=CLIENTS, folder=folder, seconds=1_800)
    live = DealTicket.objects.filter(LIVE_TICKET, deal=deal)
    caught_up_after = _writer_caught_up(live)
    waits = sorted(
        (ticket.created_at - ticket.admitted_at).total_seconds() * 1000
        for ticket in live.only("created_at", "admitted_at")
        if ticket.admitted_at is not None
    )
    span = live.aggregate(first=Min("created_at"), last=Max("created_at"))
    seconds_selling = (
        (span["last"] - span["first"]).total_seconds() if span["first"] is not None else 0
    )
    orders = Order.objects.filter(checkout__deal_ticket__deal=deal).count()
    most = max(
        live.values("buyer_id").annotate(n=Count("id")).values_list("n", flat=True), default=0
    )
    result.update(
        caught_up_after=caught_up_after,
        order_p50_ms=_percentile(waits, 50),
        order_p99_ms=_percentile(waits, 99),
        order_max_ms=waits[-1] if waits else 0.0,
        orders=orders,
        most_per_buyer=most,
        books=stock_verify(),
        per_second=result["answered"] / result["seconds"],
        orders_per_second=orders / seconds_selling if seconds_selling else float(orders),
    )
    print(f"flash deal, {label}: {len(tokens):,} buyers, {UNITS} units, {CLIENTS} clients")
    figure("answers/s (answered buyers / s)", result["per_second"])
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    figure("orders/s while units last", result["orders_per_second"])
    figure("time to order p50 (admitted -> order written)", result["order_p50_ms"], "ms")
    figure("time to order p99", result["order_p99_ms"], "ms")
    figure("time to order max", result["order_max_ms"], "ms")
    figure("writer caught up after the last answer", caught_up_after, "s")
    figure("answers by status", statuses(result))
    figure("buyers answered", f"{result['answered']:,} of {len(tokens):,}")
    figure("buyers unanswered (must be 0)", result["unanswered"])
    errors = result["errors"]
    socket_errors = errors["connect"] + errors["read"] + errors["write"]
    figure("socket errors (connect/read/write)", socket_errors)
    figure("timeouts (no answer in 30 s)", errors["timeout"])
    if result["cut_short"]:
        figure("cut short by wrk's duration", "yes")
    figure(f"orders made (must be {UNITS})", orders)
    figure("most units one buyer holds (must be 1)", most)
    figure("stock books disagreeing (must be 0)", len(result["books"]))
    result["deal"] = deal
    return result


def _writer_caught_up(live, *, patience: float = 120.0) -> float:
    """Seconds from the rush's last answer until every admitted unit is an order (on the
    Redis path the orders are written behind the answers): until UNITS live tickets, or
    no new one for ``patience`` seconds (the proof below then shows what is missing)."""
    started = time.monotonic()
    last_change, seen = started, -1
    while True:
        count = live.count()
        if count >= UNITS:
            return time.monotonic() - started
        if count != seen:
            last_change, seen = time.monotonic(), count
        elif time.monotonic() - last_change > patience:
            return time.monotonic() - started
        time.sleep(0.1)


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def _redis_agrees(deal) -> dict:
    from django.conf import settings

    from designmall.promotions import deal_admission
    from designmall.promotions.deals import deal_reconcile

    report = deal_reconcile(deal=deal, grace_seconds=0)
    left = deal_admission.store().units_left(deal.public_id)
    figure("Redis units left (must be 0)", left if left is not None else "-")
    figure(
        "reconciler repairs (must be 0)",
        report["written"]
        + report["voided"]
        + report["restored"]
        + report["removed"]
        + report["loaded"],
    )
    keys = list(deal_admission.store().client.scan_iter(f"{settings.DEAL_REDIS_PREFIX}:*"))
    if keys:
        deal_admission.store().client.delete(*keys)
    return report


def run(*, workers: int, threads: int, buyers: int, redis_only: bool = False) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("bench.deals needs wrk: apt-get install wrk")
    results = {}
    prefix = f"bench-deals-{os.getpid()}"
    with fresh_postgres("deals") as (server_env, var):
        from django.conf import settings

        tokens = _buyers_with_tokens(buyers)
        redis_env = {
            **server_env,
            "REDIS_URL": REDIS_URL,
            "DEAL_REDIS_URL": REDIS_URL,
            "DEAL_REDIS_PREFIX": prefix,
            "CACHE_PREFIX": prefix,
        }
        with live_server(redis_env, workers=workers, threads=threads) as base:
            print(f"server: {workers} workers x {threads} threads, PostgreSQL + Redis")
            results["redis"] = rush(base, var, tokens, "Redis admission", "deal-redis")
        settings.DEAL_REDIS_URL, settings.DEAL_REDIS_PREFIX = REDIS_URL, prefix
        results["redis"]["reconcile"] = _redis_agrees(results["redis"]["deal"])
        settings.DEAL_REDIS_URL = ""
        if redis_only:
            return results
        no_redis = {**server_env, "REDIS_URL": "", "DEAL_REDIS_URL": ""}
        with live_server(no_redis, workers=workers, threads=threads) as base:
            print(f"server: {workers} workers x {threads} threads, PostgreSQL, no Redis")
            results["database"] = rush(base, var, tokens, "database path", "deal-db")
        results["pgbench"] = hot_row(server_env["DATABASE_URL"], clients=PGBENCH_CLIENTS)
        print(f"pgbench: conditional decrement + 2 inserts, {PGBENCH_CLIENTS} clients")
        figure("hot-row order transactions/s", results["pgbench"]["per_second"])
        for path in ("redis", "database"):
            ratio = results[path]["per_second"] / results["pgbench"]["per_second"]
            figure(f"deal answers/s ({path}) over pgbench's hot row", f"{ratio:.1f}x")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--buyers", type=int, default=BUYERS)
    parser.add_argument(
        "--redis-only",
        action="store_true",
        help="only the Redis path (no database path, no pgbench)",
    )
    args = parser.parse_args(argv)
    run(workers=args.workers, threads=args.threads, buyers=args.buyers, redis_only=args.redis_only)


if __name__ == "__main__":
    main()
