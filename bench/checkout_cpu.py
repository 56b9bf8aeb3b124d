"""What one flash-sale checkout costs in Python, in-process (no server, no network client).

On a fresh PostgreSQL database (``bench.seed.fresh_postgres``), the site's WSGI application
is called directly with ``POST /api/v1/checkout`` (a bearer token, an ``Idempotency-Key``,
one unit of one SKU, pickup), as a flash sale's buyers send it:

- a success (stock left): the order is written;
- a refusal (sold out): ``409 out_of_stock``, the answer most buyers of a flash sale get.

For each: CPU ms of this process per request (the database's own work not counted), wall
ms, and statements per request; then, with ``--profile``, cProfile's top functions of the
successes (cumulative), to see where the time goes (middleware, authentication, the API
framework, the checkout itself). Figures vary with the machine's load less than
throughput does (CPU time of this process only), but compare runs of the same day.

    .venv/bin/python -m bench.checkout_cpu [--requests 300] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import time

from bench.common import figure


def _post(app, token: str, key: str, body: bytes) -> str:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/checkout",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_IDEMPOTENCY_KEY": key,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
    }
    statuses: list[str] = []
    b"".join(app(environ, lambda status, headers, *exc: statuses.append(status)))
    return statuses[0]


class _Counter:
    def __init__(self) -> None:
        self.statements = 0

    def __call__(self, execute, sql, params, many, context):
        self.statements += 1
        return execute(sql, params, many, context)


def _measure(app, tokens: list[str], body: bytes, prefix: str, expect: str) -> dict:
    from django.db import connection

    counter = _Counter()
    cpu, wall = time.process_time(), time.perf_counter()
    with connection.execute_wrapper(counter):
        for n, token in enumerate(tokens):
            status = _post(app, token, f"{prefix}-{n}", body)
            if not status.startswith(expect):
                raise SystemExit(f"expected {expect}, got {status}")
    count = len(tokens)
    return {
        "cpu_ms": 1000 * (time.process_time() - cpu) / count,
        "wall_ms": 1000 * (time.perf_counter() - wall) / count,
        "statements": counter.statements / count,
    }


def run(*, requests: int, profile: bool) -> dict:
    from bench.seed import fresh_postgres
    from bench.store import _buyers_with_tokens, _shop_with_skus

    results = {}
    with fresh_postgres("checkout-cpu"):
        from django.core.handlers.wsgi import WSGIHandler

        app = WSGIHandler()
        warm = 30
        tokens = _buyers_with_tokens(warm + 2 * requests)
        (sku,) = _shop_with_skus("cpu", skus=1, stock=warm + requests)
        body = json.dumps(
            {"lines": [{"sku": sku.public_id, "quantity": 1}], "delivery": "pickup"}
        ).encode()
        # Modules imported, statements prepared, connection opened, tokens touched.
        _measure(app, tokens[:warm], body, "warm", "201")
        buying = tokens[warm : warm + requests]
        refused = tokens[warm + requests :]
        # CPU time, not wall: the waits on the database are not ours to cut here.
        profiler = cProfile.Profile(time.process_time) if profile else None
        if profiler:
            profiler.enable()
        results["success (201)"] = _measure(app, buying, body, "buy", "201")
        if profiler:
            profiler.disable()
        results["sold out (409)"] = _measure(app, refused, body, "late", "409")
    print(f"checkout in-process, one unit of one SKU, {requests} requests each, per request")
    for label, figures in results.items():
        figure(f"{label}: CPU", figures["cpu_ms"], "ms")
        figure(f"{label}: wall", figures["wall_ms"], "ms")
        figure(f"{label}: statements", figures["statements"])
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
        print(out.getvalue())
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    run(requests=args.requests, profile=args.profile)


if __name__ == "__main__":
    main()
