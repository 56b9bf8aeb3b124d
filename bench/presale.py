"""A deposit rush on PostgreSQL, over HTTP against a live server, driven by wrk.

5,000 buyers, each logged in (a session cookie), press the product page's "支付定金"
button of one deposit pre-sale with 500 units, 64 at a time: ``POST
/presale/<campaign>/preorder/`` with the page's CSRF token, as the browser sends it. A
buyer who gets a unit is sent to the cashier (302 to the sandbox), one who does not back
to the product page with "预售名额已被抢完" (302 too); the database says which.

Figures: answers/s over the whole rush, pre-orders/s while units last (500 over the time
from the first request to the last unit taken, by the pre-orders' own timestamps), p50 and
p99. Proof: exactly 500 pre-orders hold units, the campaign SKU's ``taken`` is 500 and
agrees with them, 500 deposit payments were asked for, one per pre-order; then the 500
deposits are paid through signed sandbox notifications and the books balance (escrow holds
500 deposits, every ledger transaction sums to zero).

Beside it, in the same run and on the same PostgreSQL: pgbench's hot-row order transaction
(``bench.pgbench.hot_row``: a conditional decrement of one shared row and two inserts) at 16
and 64 clients, and "pre-orders/s while units last over pgbench's hot row" as a ratio: how
near the whole HTTP path comes to the database's own ceiling for one hot row.

A fresh PostgreSQL database is built for the run and dropped afterwards.

    .venv/bin/python -m bench.presale [--buyers 5000] [--units 500] [--clients 64]
        [--pgbench-seconds 10]
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import string
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from bench.common import figure, live_server
from bench.pgbench import hot_row
from bench.seed import fresh_postgres
from bench.wrk import line, statuses
from bench.wrk import run as wrk

BUYERS = 5_000
UNITS = 500
CLIENTS = 64
PRICE_FEN = 129_900
DEPOSIT_FEN = 20_000  # ¥200 counts as ¥300
CREDIT_FEN = 30_000
PGBENCH_CLIENTS = (16, 64)


def _campaign(units: int):
    """An approved deposit pre-sale of one SKU with ``units`` units, taking deposits now."""
    from bench.store import _shop_with_skus
    from designmall.accounts.models import User
    from designmall.core import clock
    from designmall.presale import services

    (sku,) = _shop_with_skus("presale", skus=1, stock=0, price_fen=PRICE_FEN)
    product = sku.product
    seller = product.shop.owner
    operator = User.objects.create(
        email="operator@bench.designmall.cn", password="!", is_staff=True, is_superuser=True
    )
    now = clock.now()
    campaign = services.campaign_create(
        by=seller,
        product=product,
        skus=[
            {
                "sku": sku.public_id,
                "price_fen": PRICE_FEN,
                "deposit_fen": DEPOSIT_FEN,
                "credit_fen": CREDIT_FEN,
                "quantity": units,
            }
        ],
        kind="deposit",
        title_zh="限量椅 定金预售",
        title_en="Limited chair deposit pre-sale",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
        balance_starts_at=now + timedelta(days=2),
        balance_ends_at=now + timedelta(days=4),
        ship_days_after_end=30,
        per_buyer_limit=1,
    )
    services.campaign_submit(campaign=campaign, by=seller)
    services.campaign_approve(campaign=campaign, by=operator)
    return campaign, sku


def _buyers_with_sessions(count: int) -> list[str]:
    """``count`` buyers, each logged in: a session row as ``login()`` writes it; returns
    the session keys."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from designmall.accounts.models import User
    from designmall.core import clock

    now = clock.now()
    users = User.objects.bulk_create(
        User(email=f"rush{n}@bench.designmall.cn", password="!", date_joined=now)
        for n in range(count)
    )
    store = SessionStore()
    expires = now + timedelta(days=1)
    keys = [secrets.token_hex(16) for _ in users]
    Session.objects.bulk_create(
        Session(
            session_key=key,
            session_data=store.encode(
                {
                    SESSION_KEY: str(user.pk),
                    BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                }
            ),
            expire_date=expires,
        )
        for key, user in zip(keys, users, strict=True)
    )
    return keys


def rush(base: str, folder: Path, *, buyers: int, units: int, clients: int) -> dict:
    from django.conf import settings
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from designmall.ledger.services import escrow_balance, ledger_verify
    from designmall.payments.models import Payment
    from designmall.presale.models import HOLDING_STATUSES, CampaignSku, Preorder
    from designmall.presale.selectors import campaign_skus_verify
    from designmall.presale.services import DEPOSIT_PAYABLE

    campaign, sku = _campaign(units)
    sessions = _buyers_with_sessions(buyers)
    csrf = get_random_string(32, string.ascii_letters + string.digits)  # the cookie's secret
    path = f"/presale/{campaign.public_id}/preorder/"
    body = urlencode({"sku": sku.public_id, "csrfmiddlewaretoken": csrf})
    cookie = f"{settings.CSRF_COOKIE_NAME}={csrf}; {settings.SESSION_COOKIE_NAME}="
    lines = [
        line(
            "POST",
            path,
            {
                "Cookie": cookie + key,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            body,
        )
        for key in sessions
    ]
    started = timezone.now()
    result = wrk(base, lines, clients=clients, folder=folder, seconds=1_800)
    answered = sum(result["statuses"].values())
    row = CampaignSku.objects.get(campaign=campaign)
    holding = Preorder.objects.filter(campaign=campaign, status__in=HOLDING_STATUSES)
    made = Preorder.objects.filter(campaign=campaign)
    last = made.order_by("-created_at").values_list("created_at", flat=True).first()
    window = (last - started).total_seconds() if last else float("nan")
    deposits = Payment.objects.filter(payable_type=DEPOSIT_PAYABLE).count()
    result.update(
        answered=answered,
        per_second=answered / result["seconds"],
        preorders=made.count(),
        holding=holding.count(),
        taken=row.taken,
        deposits=deposits,
        units_per_second=units / window if window > 0 else float("nan"),
        counters=campaign_skus_verify(),
    )
    print(f"deposit rush: {buyers:,} buyers, {units} units, {clients} clients (pages, sessions)")
    figure("answers/s over the rush (302 either way)", result["per_second"])
    figure("pre-orders/s while units last", result["units_per_second"])
    figure("time until the last unit was taken", window, "s")
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    figure("answers by status", statuses(result))
    figure(f"buyers answered (must be {buyers:,})", answered)
    figure(f"pre-orders made (must be {units})", result["preorders"])
    figure(f"pre-orders holding a unit (must be {units})", result["holding"])
    figure(
        f"campaign SKU taken / quantity (must be {units} / {units})",
        f"{row.taken} / {row.quantity}",
    )
    figure(f"deposit payments asked for (must be {units})", deposits)
    figure("unit counters disagreeing (must be 0)", len(result["counters"]))
    paid = _pay_all(campaign)
    result.update(paid=paid, escrow=escrow_balance(), ledger=ledger_verify())
    figure(f"deposits paid by signed notification (must be {units})", paid)
    figure(f"escrow (must be {units} x {DEPOSIT_FEN:,})", result["escrow"], "fen")
    figure("ledger problems (must be 0)", len(result["ledger"]))
    return result


def _pay_all(campaign) -> int:
    """Every pre-order's deposit paid at the sandbox cashier, its signed notification
    delivered (in process: this is the proof, not the figure)."""
    from designmall.payments.gateways import sandbox
    from designmall.payments.models import NotifyOutcome
    from designmall.payments.services import notification_receive
    from designmall.presale.models import Preorder, PreorderStatus

    paid = 0
    for preorder in Preorder.objects.filter(campaign=campaign).select_related("deposit_payment"):
        done = sandbox.sandbox_pay(payment=preorder.deposit_payment)
        paid += notification_receive(params=done.notification).outcome == NotifyOutcome.CREDITED
    assert (
        Preorder.objects.filter(campaign=campaign, status=PreorderStatus.DEPOSIT_PAID).count()
        == paid
    )
    return paid


def run(
    *,
    buyers: int,
    units: int,
    clients: int,
    workers: int,
    threads: int,
    pgbench_seconds: int = 10,
) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("bench.presale needs wrk: apt-get install wrk")
    with fresh_postgres("presale", PAYMENTS_GATEWAY="sandbox") as (server_env, var):
        started = time.perf_counter()
        with live_server(server_env, workers=workers, threads=threads) as base:
            print(f"server: {workers} workers x {threads} threads")
            result = rush(base, var, buyers=buyers, units=units, clients=clients)
        result["pgbench"] = {}
        for pg_clients in PGBENCH_CLIENTS:
            measured = hot_row(
                server_env["DATABASE_URL"], clients=pg_clients, seconds=pgbench_seconds
            )
            result["pgbench"][pg_clients] = measured
            print(f"pgbench: conditional decrement + 2 inserts, {pg_clients} clients")
            figure("hot-row order transactions/s", measured["per_second"])
            ratio = result["units_per_second"] / measured["per_second"]
            figure(
                f"pre-orders/s while units last over pgbench's hot row ({pg_clients} clients)",
                f"{ratio:.2f}x",
            )
        result["total_seconds"] = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=BUYERS)
    parser.add_argument("--units", type=int, default=UNITS)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    args = parser.parse_args(argv)
    run(
        buyers=args.buyers,
        units=args.units,
        clients=args.clients,
        workers=args.workers,
        threads=args.threads,
        pgbench_seconds=args.pgbench_seconds,
    )


if __name__ == "__main__":
    main()
