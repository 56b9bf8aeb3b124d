"""A coupon-redemption rush on PostgreSQL, over HTTP against a live server, driven by wrk.

1. Claim rush: 2,000 buyers (each with an API token) claim one coupon of a platform
   template limited to 1,000 (满¥100减¥20, one per buyer), 64 at a time
   (``POST /api/v1/promotions/coupons/{id}/claim``): claims answered/s, p50/p99, and
   proof that exactly 1,000 were claimed, no buyer holds two and none is left.
2. Redemption rush: each of the 1,000 holders checks out one ¥129 unit (SKUs drawn from
   300, so no stock row is hot: the coupons are what is contended) with their coupon,
   twice, under two Idempotency-Keys, the 2,000 requests shuffled, 64 at a time
   (``POST /api/v1/checkout`` with ``coupons``): checkouts answered/s, p50/p99, and proof
   that every coupon was taken by exactly one checkout (1,000 discounted checkouts, the
   second attempts refused 409), each checkout's discount exactly ¥20.
3. Then every checkout is paid (signed sandbox notifications, in this process): every
   coupon used once, and the books balanced (every transaction sums to zero, escrow holds
   what was paid).

Each run builds a fresh PostgreSQL database and drops it afterwards.

    .venv/bin/python -m bench.coupons [--workers 2] [--threads 8]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import secrets
import shutil
from datetime import timedelta
from pathlib import Path

from bench.common import figure, live_server
from bench.seed import fresh_postgres
from bench.store import _shop_with_skus
from bench.wrk import line, statuses
from bench.wrk import run as wrk

BUYERS = 2_000
LIMITED = 1_000
CLIENTS = 64
SKUS = 300
OFF_FEN = 2_000
PRICE_FEN = 12_900


def _buyers_with_tokens(count: int) -> list[tuple[int, str]]:
    """``count`` buyers with an API token each: ``(user id, raw token)``."""
    from designmall.accounts.models import ApiToken, User
    from designmall.accounts.services import TOKEN_PREFIX
    from designmall.core import clock

    now = clock.now()
    users = User.objects.bulk_create(
        User(email=f"couponbuyer{n}@bench.designmall.cn", password="!", date_joined=now)
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
    return [(user.pk, raw) for user, raw in zip(users, raws, strict=True)]


def _limited_template():
    from designmall.accounts.models import User
    from designmall.accounts.roles import Role
    from designmall.accounts.services import user_grant_role
    from designmall.core import clock
    from designmall.promotions.services import platform_coupon_create

    now = clock.now()
    operator = User.objects.create(email="operator@bench.designmall.cn", password="!")
    user_grant_role(user=operator, role=Role.OPERATOR)
    return platform_coupon_create(
        by=operator,
        name_zh="限量满减券",
        name_en="Limited coupon",
        kind="spend_off",
        threshold_fen=10_000,
        off_fen=OFF_FEN,
        claim_starts_at=now - timedelta(minutes=1),
        claim_ends_at=now + timedelta(days=1),
        validity="fixed",
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(days=1),
        total_quantity=LIMITED,
        per_buyer_limit=1,
    )


def _auth(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **more}


def claim_rush(base: str, folder: Path, buyers: list[tuple[int, str]], template) -> dict:
    from django.db.models import Count

    from designmall.promotions.models import Coupon, CouponTemplate

    path = f"/api/v1/promotions/coupons/{template.public_id}/claim"
    lines = [line("POST", path, _auth(token), "") for _uid, token in buyers]
    result = wrk(base, lines, clients=CLIENTS, folder=folder)
    claimed = Coupon.objects.filter(template=template).count()
    most = (
        Coupon.objects.filter(template=template)
        .values("buyer")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    )
    remaining = CouponTemplate.objects.values_list("remaining", flat=True).get(pk=template.pk)
    result.update(per_second=len(lines) / result["seconds"], claimed=claimed, remaining=remaining)
    print(f"claim rush: {len(lines):,} buyers, {LIMITED:,} coupons, {CLIENTS} clients")
    figure("claims answered/s (201 + 409)", result["per_second"])
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    figure("answers by status", statuses(result))
    figure(f"coupons claimed (must be {LIMITED:,})", claimed)
    figure("most held by one buyer (must be 1)", most or 0)
    figure("left on the template (must be 0)", remaining)
    return result


def redemption_rush(base: str, folder: Path, buyers: list[tuple[int, str]], template) -> dict:
    from django.db.models import Count, Sum

    from designmall.orders.models import Checkout
    from designmall.promotions.models import Coupon, CouponState

    skus = _shop_with_skus("couponrush", skus=SKUS, stock=1_000, price_fen=PRICE_FEN)
    token_of = dict(buyers)
    rng = random.Random(13)
    lines = []
    holders = list(Coupon.objects.filter(template=template).values_list("buyer_id", "public_id"))
    for buyer_id, coupon in holders:
        body = json.dumps(
            {
                "lines": [{"sku": rng.choice(skus).public_id, "quantity": 1}],
                "delivery": "pickup",
                "coupons": [coupon],
            }
        )
        for attempt in (1, 2):
            headers = _auth(token_of[buyer_id], **{"Idempotency-Key": f"c{buyer_id}-{attempt}"})
            lines.append(line("POST", "/api/v1/checkout", headers, body))
    rng.shuffle(lines)
    result = wrk(base, lines, clients=CLIENTS, folder=folder)
    discounted = Checkout.objects.filter(discount_fen__gt=0)
    sums = discounted.aggregate(n=Count("id"), off=Sum("discount_fen"))
    odd = discounted.exclude(discount_fen=OFF_FEN).count()
    locked = Coupon.objects.filter(template=template, state=CouponState.LOCKED)
    refs = locked.values("checkout_ref").annotate(n=Count("id")).filter(n__gt=1).count()
    result.update(
        per_second=len(lines) / result["seconds"],
        checkouts=sums["n"],
        locked=locked.count(),
    )
    print(f"redemption rush: {len(holders):,} holders x 2 attempts, {SKUS} SKUs, {CLIENTS} clients")
    figure("checkouts answered/s (201 + 409)", result["per_second"])
    figure("discounted checkouts/s", sums["n"] / result["seconds"])
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    figure("answers by status", statuses(result))
    figure(f"discounted checkouts (must be {len(holders):,})", sums["n"])
    figure("checkouts with another discount (must be 0)", odd)
    figure(f"coupons held by a checkout (must be {len(holders):,})", locked.count())
    figure("checkouts holding two coupons (must be 0)", refs)
    figure("discount given", sums["off"] or 0, "fen")
    return result


def pay_all(template) -> dict:
    from designmall.ledger.services import escrow_balance, ledger_verify
    from designmall.orders.models import Checkout, CheckoutStatus
    from designmall.payments.gateways import sandbox
    from designmall.payments.services import notification_receive
    from designmall.promotions.models import Coupon, CouponState

    pending = list(
        Checkout.objects.filter(status=CheckoutStatus.PENDING_PAYMENT).select_related("payment")
    )
    for checkout in pending:
        paid = sandbox.sandbox_pay(payment=checkout.payment)
        notification_receive(params=paid.notification)
    paid_total = sum(c.total_fen for c in pending)
    used = Coupon.objects.filter(template=template, state=CouponState.USED).count()
    problems = ledger_verify()
    escrow = escrow_balance()
    print(f"paying the {len(pending):,} checkouts (sandbox notifications, in process)")
    figure(f"coupons used (must be {len(pending):,})", used)
    figure("paid in all", paid_total, "fen")
    figure("escrow balance (must equal it)", escrow, "fen")
    figure("ledger problems (must be 0)", len(problems))
    return {"used": used, "ledger": problems, "escrow": escrow, "paid": paid_total}


def run(*, workers: int, threads: int) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("bench.coupons needs wrk: apt-get install wrk")
    results = {}
    with fresh_postgres("coupons") as (server_env, var):
        buyers = _buyers_with_tokens(BUYERS)
        template = _limited_template()
        with live_server(server_env, workers=workers, threads=threads) as base:
            print(f"server: {workers} workers x {threads} threads")
            results["claim"] = claim_rush(base, var, buyers, template)
            results["redeem"] = redemption_rush(base, var, buyers, template)
        results["pay"] = pay_all(template)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    run(workers=args.workers, threads=args.threads)


if __name__ == "__main__":
    main()
