"""What one flash-deal buy costs, in-process (no server, no network client): CPU ms of
this process and SQL statements per request, through the site's WSGI application
(``designmall.wsgi.application``, with whatever sits in front of Django), on PostgreSQL +
Redis, for

- an admitted buy (202: answered at admission, the order queued), ``--units`` of them;
- the order written behind it (``deals.deal_write_queued``, the writer thread's work,
  done here in this thread so that it is counted), per order;
- a buy after the last unit (409 ``deal_sold_out``), as most of a rush's buyers get.

``--profile`` prints cProfile's heaviest functions (cumulative CPU time) for each.

    .venv/bin/python -m bench.deal_cpu [--units 300] [--sold-out 1000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import time
from datetime import timedelta

from bench.common import figure
from bench.seed import fresh_postgres

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def _buy(app, deal_id: str, token: str, key: str, want: str) -> None:
    body = json.dumps({"delivery": "pickup"}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": f"/api/v1/deals/{deal_id}/buy",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_IDEMPOTENCY_KEY": key,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
    }
    statuses: list[str] = []
    answer = b"".join(app(environ, lambda status, headers, *exc: statuses.append(status)))
    if not statuses[0].startswith(want):
        raise SystemExit(f"wanted {want}, got {statuses[0]}: {answer[:300]!r}")


def _measure(app, deal_id, tokens, *, want: str, name: str, profile: bool):
    from django.db import connection

    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    # CPU time of this process, not the wall clock: waits for the database do not count.
    profiler = cProfile.Profile(time.process_time) if profile else None
    with connection.execute_wrapper(count):
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for n, token in enumerate(tokens):
            _buy(app, deal_id, token, f"{name}-{n}", want)
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(70)
        print(out.getvalue())
    return 1000 * cpu / len(tokens), 1000 * wall / len(tokens), statements / len(tokens)


def _measure_writes(deal, units: int, write) -> tuple[float, float, float]:
    from django.db import connection

    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        cpu, wall = time.process_time(), time.perf_counter()
        written = write(deal=deal)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if written != units:
        raise SystemExit(f"wanted {units} orders written, wrote {written}")
    return 1000 * cpu / units, 1000 * wall / units, statements / units


def run(*, units: int, sold_out: int, profile: bool) -> dict:
    prefix = f"bench-deal-cpu-{os.getpid()}"
    os.environ.update(
        REDIS_URL=REDIS_URL,
        DEAL_REDIS_URL=REDIS_URL,
        DEAL_REDIS_PREFIX=prefix,
        CACHE_PREFIX=prefix,
        RATE_LIMITS_ENABLED="false",
        DEAL_WRITER_THREAD="false",  # the orders are written below, measured apart
    )
    results = {}
    with fresh_postgres("dealcpu"):
        from bench.store import _buyers_with_tokens, _shop_with_skus
        from designmall.core import clock
        from designmall.promotions import deal_admission
        from designmall.promotions.deals import deal_schedule_unchecked, deal_write_queued
        from designmall.wsgi import application

        warm = 20
        tokens = _buyers_with_tokens(units + sold_out + warm)
        (sku,) = _shop_with_skus("deal-cpu", skus=1, stock=units + warm, price_fen=12_900)
        now = clock.now()
        deal = deal_schedule_unchecked(
            by=None,
            sku=sku,
            price_fen=9_900,
            quantity=units + warm,
            starts_at=now - timedelta(seconds=1),
            ends_at=now + timedelta(hours=1),
        )
        try:
            for n, token in enumerate(tokens[:warm]):  # connections opened, code loaded
                _buy(application, deal.public_id, token, f"warm-{n}", "202")
            deal_write_queued(deal=deal)
            results["admitted (202)"] = _measure(
                application,
                deal.public_id,
                tokens[warm : warm + units],
                want="202",
                name="won",
                profile=profile,
            )
            results["order written behind"] = _measure_writes(deal, units, deal_write_queued)
            results["sold out (409)"] = _measure(
                application,
                deal.public_id,
                tokens[warm + units :],
                want="409",
                name="lost",
                profile=profile,
            )
        finally:
            client = deal_admission.store().client
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
    print(f"flash-deal buy in-process, PostgreSQL + Redis, {units} admitted, {sold_out} sold out")
    for label, (cpu, wall, statements) in results.items():
        figure(f"{label}: CPU", cpu, "ms")
        figure(f"{label}: wall", wall, "ms")
        figure(f"{label}: SQL statements", statements)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--sold-out", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    run(units=args.units, sold_out=args.sold_out, profile=args.profile)


if __name__ == "__main__":
    main()
