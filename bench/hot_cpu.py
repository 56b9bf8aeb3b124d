"""What one reservation and one bid request cost in Python, in-process, on PostgreSQL.

Builds a fresh PostgreSQL database (as ``bench.events`` does), then calls the site's WSGI
application directly (no server, no network client) with API tokens, as the rush's
visitors and the hot lot's bidders do:

- a reservation that gets a seat (``POST /api/v1/events/sessions/{id}/reservations``);
- a reservation refused because the session is full (the rush's common answer);
- an accepted bid (``POST /api/v1/auctions/lots/{id}/bids``), each above the last;
- a bid refused as below the minimum.

For each: CPU ms of this process per request (the database's own work is not counted),
wall ms, SQL statements per request, and with ``--profile`` the functions taking the
most CPU (cProfile, cumulative) over the requests measured.

    .venv/bin/python -m bench.hot_cpu [--requests 200] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import time
from datetime import timedelta

from bench.common import figure

REDIS_URL = "redis://127.0.0.1:6379/13"


def _post(app, path: str, token: str, body: dict) -> str:
    data = json.dumps(body).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
    }
    statuses: list[str] = []
    b"".join(app(environ, lambda status, headers, *exc: statuses.append(status)))
    return statuses[0][:3]


SHOW_SQL = False


def _measure(label: str, calls, *, expect: str, profile: bool) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    profiler = cProfile.Profile() if profile else None
    with CaptureQueriesContext(connection) as queries:
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        answers = [call() for call in calls]
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    wrong = [a for a in answers if a != expect]
    if wrong:
        raise SystemExit(f"{label}: expected {expect}, got {wrong[:5]}")
    count = len(calls)
    result = {
        "cpu_ms": 1000 * cpu / count,
        "wall_ms": 1000 * wall / count,
        "statements": len(queries) / count,
    }
    print(f"{label} ({count} requests, {expect})")
    figure("CPU per request", result["cpu_ms"], "ms")
    figure("wall per request", result["wall_ms"], "ms")
    figure("SQL statements per request", result["statements"])
    if SHOW_SQL:
        per_request = len(queries) // count
        for query in queries.captured_queries[-per_request:]:
            print(f"    {query['sql'][:220]}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(28)
        print(out.getvalue())
    return result


def run(*, requests: int, profile: bool) -> dict:
    from bench.seed import fresh_postgres

    results = {}
    with fresh_postgres("hotcpu", REDIS_URL=REDIS_URL) as _env:
        from django.core.handlers.wsgi import WSGIHandler

        from bench.auctions import _bidders, _deposits_paid, _grid, _hot_lot
        from bench.events import _session
        from bench.store import _buyers_with_tokens

        app = WSGIHandler()
        warm = 20
        tokens = _buyers_with_tokens(2 * (requests + warm))
        seats = requests + warm
        session = _session("剖析讲座", capacity=seats, starts_in=timedelta(days=2))
        path = f"/api/v1/events/sessions/{session.public_id}/reservations"
        taking = [
            (lambda t=t: _post(app, path, t, {"seats": 1})) for t in tokens[: requests + warm]
        ]
        for call in taking[:warm]:
            call()
        results["reservation"] = _measure(
            "a reservation that gets a seat", taking[warm:], expect="201", profile=profile
        )
        refused = [
            (lambda t=t: _post(app, path, t, {"seats": 1})) for t in tokens[requests + warm :]
        ]
        results["reservation_full"] = _measure(
            "a reservation refused (full)", refused[warm:], expect="409", profile=profile
        )

        lot = _hot_lot("profile")
        bidder_tokens = tokens[:40]
        _deposits_paid(lot, _bidders(bidder_tokens))
        amounts = _grid(lot, requests + warm)
        bid_path = f"/api/v1/auctions/lots/{lot.public_id}/bids"
        bids = [
            (lambda n=n, a=a: _post(app, bid_path, bidder_tokens[n % 40], {"max_fen": a}))
            for n, a in enumerate(amounts)
        ]
        for call in bids[:warm]:
            call()
        results["bid"] = _measure("an accepted bid", bids[warm:], expect="201", profile=profile)
        low = [
            (lambda n=n: _post(app, bid_path, bidder_tokens[n % 40], {"max_fen": amounts[0]}))
            for n in range(requests)
        ]
        results["bid_refused"] = _measure(
            "a bid refused (below the minimum)", low, expect="409", profile=profile
        )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--show-sql", action="store_true", help="one request's statements")
    args = parser.parse_args(argv)
    global SHOW_SQL
    SHOW_SQL = args.show_sql
    run(requests=args.requests, profile=args.profile)


if __name__ == "__main__":
    main()
