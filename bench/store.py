"""The store's hot paths on PostgreSQL, over HTTP against a live server, driven by wrk.

1. Flash sale: 2,000 buyers (each with an API token) check out one unit of one
   SKU with 500 in stock, 64 at a time (``POST /api/v1/checkout`` with an
   ``Idempotency-Key``). Figures: successes/s while units last (the units sold over
   the time from the first request to the last order, by the orders' own
   timestamps), answers/s (successes and refusals over the whole run), p50/p99, and
   proof that exactly the units in stock were taken (orders, stock counters, the
   stock books). Beside them, measured in the same run on the same server:
   pgbench's hot-row order transaction (``bench.pgbench``: a conditional decrement
   and two inserts) at 16 and 64 clients, and the ratios against it; and, as a
   second line, the same transaction over psycopg from 64 Python threads.
2. Checkout of a 3-shop cart (SKUs drawn from 300 per shop, no contention) at
   16 clients: p50/p99 and checkouts/s.
3. Payment notifications: 1,000 signed sandbox notifications, 20% of them
   duplicates, at 16 clients to ``/payments/alipay/notify``: notifies/s, p50/p99,
   and proof that each payment was credited once and the ledger balances.

The flash sale's targets (issue 17) go to the summary table (``bench.summary``):
successes/s while units last >= 50% of pgbench's hot row at the sale's client count,
answers/s >= 100% of it, p99 < 300 ms, nothing oversold. Each run builds a fresh
PostgreSQL database and drops it afterwards.

    .venv/bin/python -m bench.store [--workers 2] [--threads 8]
    .venv/bin/python -m bench.store --parts flash --buyers 1000 --units 250   # a small run
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import secrets
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import summary
from bench.common import figure, live_server, percentile
from bench.pgbench import hot_row
from bench.seed import fresh_postgres
from bench.wrk import line, statuses
from bench.wrk import run as wrk

BUYERS = 2_000
FLASH_UNITS = 500
FLASH_CLIENTS = 64
CART_CLIENTS = 16
CART_SKUS_PER_SHOP = 300
NOTIFIES = 1_000
NOTIFY_DUPLICATE_SHARE = 0.2
NOTIFY_CLIENTS = 16
PGBENCH_CLIENTS = (16, 64)
PARTS = ("flash", "cart", "notify")

# --- the data -------------------------------------------------------------------------------


def _buyers_with_tokens(count: int) -> list[str]:
    """``count`` buyers, each with an API token in use (touched a moment ago, as a buyer
    waiting for a sale has been refreshing); returns the raw tokens."""
    from designmall.accounts.models import ApiToken, User
    from designmall.accounts.services import TOKEN_PREFIX
    from designmall.core import clock

    now = clock.now()
    users = User.objects.bulk_create(
        User(email=f"buyer{n}@bench.designmall.cn", password="!", date_joined=now)
        for n in range(count)
    )
    raws = [TOKEN_PREFIX + secrets.token_urlsafe(32) for _ in users]
    ApiToken.objects.bulk_create(
        ApiToken(
            user=user,
            name="bench",
            key_hash=hashlib.sha256(raw.encode()).hexdigest(),
            prefix=raw[:10],
            created_at=now,
            last_used_at=now,
        )
        for user, raw in zip(users, raws, strict=True)
    )
    return raws


def _shop_with_skus(name: str, *, skus: int, stock: int, price_fen: int = 12_900):
    """An approved shop with one live product of ``skus`` SKUs of ``stock`` units each."""
    from designmall.accounts.models import User
    from designmall.catalog import search
    from designmall.catalog.models import Category, Product, ProductStatus, Shop, ShopStatus, Sku
    from designmall.core import clock
    from designmall.inventory.models import StockLevel

    now = clock.now()
    owner = User.objects.create(email=f"{name}@bench.designmall.cn", password="!", date_joined=now)
    shop = Shop.objects.create(
        owner=owner,
        name_zh=name,
        name_en=name,
        status=ShopStatus.APPROVED,
        commission_bp=800,
        created_at=now,
    )
    category, _ = Category.objects.get_or_create(
        slug="bench", defaults={"name_zh": "测试", "name_en": "Bench"}
    )
    product = Product.objects.create(
        shop=shop,
        category=category,
        title_zh=f"{name} 限量椅",
        title_en=f"{name} limited chair",
        status=ProductStatus.LIVE,
        created_at=now,
        updated_at=now,
        published_at=now,
        price_min_fen=price_fen,
        in_stock=True,
    )
    made = Sku.objects.bulk_create(
        Sku(product=product, code=f"{name}-{n}", price_fen=price_fen, attributes={"编号": str(n)})
        for n in range(skus)
    )
    StockLevel.objects.bulk_create(
        StockLevel(sku=sku, received=stock, available=stock) for sku in made
    )
    search.products_reindex([product.id])
    return made


# --- 1. the flash sale ----------------------------------------------------------------------


def flash_sale(
    base: str, folder: Path, tokens: list[str], *, units: int, clients: int, runner=wrk
) -> dict:
    """``runner``: ``bench.wrk.run`` or a wrapper of it (``bench.cluster`` times CPU use)."""
    from django.db.models import Max

    from designmall.inventory.models import StockLevel
    from designmall.inventory.selectors import stock_verify
    from designmall.orders.models import Order

    (sku,) = _shop_with_skus("flash", skus=1, stock=units)
    body = json.dumps({"lines": [{"sku": sku.public_id, "quantity": 1}], "delivery": "pickup"})
    lines = [
        line(
            "POST",
            "/api/v1/checkout",
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"flash-{n}",
            },
            body,
        )
        for n, token in enumerate(tokens)
    ]
    result = runner(base, lines, clients=clients, folder=folder)
    level = StockLevel.objects.get(sku=sku)
    sold = Order.objects.filter(lines__sku=sku)
    orders = sold.count()
    last_order_at = sold.aggregate(last=Max("created_at"))["last"]
    # The selling phase: from the first request out to the last unit's order written.
    selling = last_order_at.timestamp() - result["started_at"] if last_order_at else 0.0
    result.update(
        units=units,
        orders=orders,
        available=level.available,
        held=level.held,
        books=stock_verify(),
        per_second=len(tokens) / result["seconds"],
        selling_seconds=selling,
        successes_per_second=orders / selling if selling > 0 else 0.0,
    )
    print(f"flash sale: {len(tokens):,} buyers, {units} units, {clients} clients")
    figure("successes/s while units last", result["successes_per_second"])
    figure("  (units sold over first request to last order)", f"{selling:.2f} s")
    figure("answers/s (201 + 409, the whole run)", result["per_second"])
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    figure("answers by status", statuses(result))
    figure(f"orders made (must be {units})", orders)
    figure(f"stock left / held (must be 0 / {units})", f"{level.available} / {level.held}")
    figure("stock books disagreeing (must be 0)", len(result["books"]))
    return result


def pgbench_beside(database_url: str, *, seconds: int) -> dict[int, dict]:
    """pgbench's hot-row order transaction on the same server, at each of PGBENCH_CLIENTS."""
    figures = {}
    print(f"pgbench: conditional decrement + 2 inserts on one hot row, {seconds} s each")
    for clients in PGBENCH_CLIENTS:
        try:
            figures[clients] = hot_row(database_url, clients=clients, seconds=seconds)
        except subprocess.CalledProcessError as failed:
            # E.g. PostgreSQL's connection limit reached by others: said, not a crash.
            figure(f"hot-row order transactions/s, {clients} clients", "failed")
            print(f"    pgbench: {(failed.stderr or '').strip()[:200]}")
            continue
        figure(f"hot-row order transactions/s, {clients} clients", figures[clients]["per_second"])
    return figures


def flash_sale_against(flash: dict, pgbench: dict[int, dict], ceiling: dict | None) -> list:
    """The ratios to print, and the flash sale's rows for the summary table."""
    for clients, bench in pgbench.items():
        reference = bench["per_second"]
        figure(
            f"successes/s while units last / pgbench {clients}",
            f"{flash['successes_per_second'] / reference:.0%}",
        )
        figure(f"answers/s / pgbench {clients}", f"{flash['per_second'] / reference:.0%}")
    if ceiling:
        figure(
            "successes/s / psycopg threads (2nd line)",
            f"{flash['successes_per_second'] / ceiling['per_second']:.0%}",
        )
        figure(
            "answers/s / psycopg threads (2nd line)",
            f"{flash['per_second'] / ceiling['per_second']:.0%}",
        )
    # The target's reference: pgbench at the sale's own client count (else the nearest).
    if pgbench:
        clients = min(pgbench, key=lambda c: abs(c - flash["clients"]))
        reference, name = pgbench[clients]["per_second"], f"pgbench hot row @{clients}"
    else:
        reference, name = 0.0, "pgbench hot row (failed)"
    oversold = max(0, flash["orders"] - flash["units"]) + max(0, -flash["available"])
    bench = f"store flash sale ({flash['buyers']:,}/{flash['units']} @{flash['clients']})"
    return [
        summary.at_least(
            bench,
            "successes/s while units last",
            flash["successes_per_second"],
            reference=reference,
            share=0.5,
            reference_name=name,
        ),
        summary.at_least(
            bench,
            "answers/s",
            flash["per_second"],
            reference=reference,
            share=1.0,
            reference_name=name,
        ),
        summary.below(bench, "p99", flash["p99_ms"], limit=300),
        summary.equal(bench, "units oversold", oversold, expected=0),
        summary.equal(
            bench,
            "units sold / stock books disagreeing",
            f"{flash['orders']} / {len(flash['books'])}",
            expected=f"{flash['units']} / 0",
        ),
    ]


_CEILING_TABLE = "bench_ceiling_order"


def flash_sale_ceiling(database_url: str, buyers: int, *, units: int, clients: int) -> dict:
    """The same database work without Django: per buyer, one transaction that takes a unit
    with the conditional decrement, inserts the hold and an order row, and commits."""
    import psycopg

    from designmall.core import clock
    from designmall.core.ids import new_public_id

    (sku,) = _shop_with_skus("ceiling", skus=1, stock=units)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {_CEILING_TABLE} (id bigserial PRIMARY KEY, public_id text UNIQUE,"
            " buyer integer, sku_id bigint, quantity integer, total_fen bigint,"
            " created_at timestamptz)"
        )
    todo = list(range(buyers))
    lock = threading.Lock()
    latencies: list[float] = []
    sold = 0
    barrier = threading.Barrier(clients)
    now = clock.now()

    def run() -> None:
        nonlocal sold
        with psycopg.connect(database_url) as conn:
            barrier.wait()
            while True:
                with lock:
                    if not todo:
                        return
                    buyer = todo.pop()
                started = time.perf_counter()
                with conn.transaction():
                    taken = conn.execute(
                        "UPDATE inventory_stocklevel SET available = available - 1,"
                        " held = held + 1 WHERE sku_id = %s AND available >= 1 RETURNING available",
                        [sku.id],
                    ).fetchone()
                    if taken is not None:
                        conn.execute(
                            "INSERT INTO inventory_stockhold (public_id, sku_id, quantity,"
                            " owner_ref, status, expires_at, created_at)"
                            " VALUES (%s, %s, 1, %s, 'held', %s, %s)",
                            [new_public_id("h"), sku.id, f"ceiling:{buyer}", now, now],
                        )
                        conn.execute(
                            f"INSERT INTO {_CEILING_TABLE} (public_id, buyer, sku_id, quantity,"
                            " total_fen, created_at) VALUES (%s, %s, %s, 1, 12900, %s)",
                            [secrets.token_hex(10), buyer, sku.id, now],
                        )
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    sold += taken is not None

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    result = {
        "per_second": buyers / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "sold": sold,
    }
    print(f"second line: the same transaction over psycopg, {clients} Python threads")
    figure("transactions/s", result["per_second"])
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    figure(f"units taken (must be {units})", sold)
    return result


# --- 2. a 3-shop checkout -------------------------------------------------------------------


def three_shop_checkout(base: str, folder: Path, tokens: list[str], seconds: int) -> dict:
    shops = [
        _shop_with_skus(f"cart{n}", skus=CART_SKUS_PER_SHOP, stock=1_000_000) for n in range(3)
    ]
    rng = random.Random(3)
    lines = []
    for n, token in enumerate(tokens):
        cart = [{"sku": rng.choice(skus).public_id, "quantity": 1} for skus in shops]
        lines.append(
            line(
                "POST",
                "/api/v1/checkout",
                {
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"cart-{n}",
                },
                json.dumps({"lines": cart, "delivery": "pickup"}),
            )
        )
    result = wrk(base, lines, clients=CART_CLIENTS, folder=folder, seconds=seconds, repeat=True)
    result["per_second"] = result["requests"] / result["seconds"]
    print(f"checkout of a 3-shop cart, {CART_CLIENTS} clients, {seconds} s")
    figure("checkouts/s", result["per_second"])
    figure("answers by status", statuses(result))
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    return result


# --- 3. payment notifications ---------------------------------------------------------------


def notifications(base: str, folder: Path) -> dict:
    from django.db.models import Count

    from designmall.accounts.models import User
    from designmall.ledger.services import escrow_balance, ledger_verify
    from designmall.orders.checkout import checkout_create
    from designmall.payments.gateways import sandbox
    from designmall.payments.models import Payment, PaymentNotification, PaymentStatus

    unique = round(NOTIFIES * (1 - NOTIFY_DUPLICATE_SHARE))
    skus = _shop_with_skus("notify", skus=1, stock=unique)
    buyer = User.objects.create(email="payer@bench.designmall.cn", password="!")
    bodies = []
    for _n in range(unique):
        checkout = checkout_create(buyer=buyer, lines=[(skus[0].public_id, 1)], delivery="pickup")
        paid = sandbox.sandbox_pay(payment=checkout.payment)  # the cashier; its job not run
        bodies.append(urlencode(paid.notification))
    rng = random.Random(5)
    bodies += [rng.choice(bodies) for _ in range(NOTIFIES - unique)]
    rng.shuffle(bodies)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    lines = [line("POST", "/payments/alipay/notify", headers, body) for body in bodies]
    result = wrk(base, lines, clients=NOTIFY_CLIENTS, folder=folder)
    paid = Payment.objects.filter(buyer=buyer, status=PaymentStatus.PAID).count()
    outcomes = dict(
        PaymentNotification.objects.values_list("outcome").annotate(n=Count("id")).order_by()
    )
    result.update(per_second=NOTIFIES / result["seconds"], paid=paid, ledger=ledger_verify())
    print(
        f"payment notifications: {NOTIFIES:,} ({NOTIFIES - unique} duplicates), "
        f"{NOTIFY_CLIENTS} clients"
    )
    figure("notifies/s", result["per_second"])
    figure("answers by status", statuses(result))
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    figure("notifications recorded by outcome", " ".join(f"{k}:{v}" for k, v in outcomes.items()))
    figure(f"payments paid (must be {unique})", paid)
    figure("escrow balance", escrow_balance(), "fen")
    figure("ledger problems (must be 0)", len(result["ledger"]))
    return result


def run(
    *,
    workers: int,
    threads: int,
    cart_seconds: int,
    buyers: int = BUYERS,
    units: int = FLASH_UNITS,
    clients: int = FLASH_CLIENTS,
    pgbench_seconds: int = 10,
    parts: tuple[str, ...] = PARTS,
) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("bench.store needs wrk: apt-get install wrk")
    results = {}
    with fresh_postgres("store") as (server_env, var):
        tokens = _buyers_with_tokens(buyers)
        with live_server(server_env, workers=workers, threads=threads) as base:
            print(f"server: {workers} workers x {threads} threads")
            if "flash" in parts:
                flash = flash_sale(base, var, tokens, units=units, clients=clients)
                flash.update(buyers=buyers, clients=clients)
                results["flash"] = flash
                results["pgbench"] = pgbench_beside(
                    server_env["DATABASE_URL"], seconds=pgbench_seconds
                )
                results["ceiling"] = flash_sale_ceiling(
                    server_env["DATABASE_URL"], buyers, units=units, clients=clients
                )
                results["summary"] = flash_sale_against(
                    flash, results["pgbench"], results["ceiling"]
                )
            if "cart" in parts:
                results["cart"] = three_shop_checkout(base, var, tokens, cart_seconds)
            if "notify" in parts:
                results["notify"] = notifications(base, var)
    if "summary" in results:
        summary.report(results["summary"])
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--cart-seconds", type=int, default=15)
    parser.add_argument("--buyers", type=int, default=BUYERS)
    parser.add_argument("--units", type=int, default=FLASH_UNITS)
    parser.add_argument("--clients", type=int, default=FLASH_CLIENTS)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument(
        "--parts", default=",".join(PARTS), help="which parts, of " + ",".join(PARTS)
    )
    args = parser.parse_args(argv)
    parts = tuple(part for part in args.parts.split(",") if part)
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    run(
        workers=args.workers,
        threads=args.threads,
        cart_seconds=args.cart_seconds,
        buyers=args.buyers,
        units=args.units,
        clients=args.clients,
        pgbench_seconds=args.pgbench_seconds,
        parts=parts,
    )


if __name__ == "__main__":
    main()
