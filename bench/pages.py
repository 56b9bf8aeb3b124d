"""Product page latency under concurrent clients, against a live server.

Assumes the configured database (DATABASE_URL) holds a seeded catalog. Starts
``designmall serve`` and has N client threads fetch random product pages over
keep-alive connections; prints p50/p99 latency and pages per second.

    .venv/bin/python -m bench.pages [--clients 16] [--requests 3000]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import threading
import time
from urllib.parse import urlsplit

from bench.common import figure, live_server, percentile, setup_django


def _product_paths(limit: int) -> list[str]:
    from designmall.catalog.selectors import products_on_sale

    ids = list(products_on_sale().order_by("?").values_list("public_id", flat=True)[:limit])
    return [f"/p/{pid}/" for pid in ids]


def run(*, clients: int, requests: int, label: str = "") -> dict[str, float]:
    setup_django()
    paths = _product_paths(2_000)
    if not paths:
        raise SystemExit("no products on sale: seed the catalog first")
    env = {"DATABASE_URL": os.environ.get("DATABASE_URL", "")}
    env = {k: v for k, v in env.items() if v}
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_client = requests // clients

    with live_server(env) as base:
        host = urlsplit(base)

        def client(seed: int) -> None:
            nonlocal errors
            rng = random.Random(seed)
            conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
            mine = []
            bad = 0
            for _ in range(per_client):
                path = rng.choice(paths)
                started = time.perf_counter()
                try:
                    conn.request("GET", path, headers={"Accept-Language": "zh-hans"})
                    response = conn.getresponse()
                    response.read()
                    if response.status != 200:
                        bad += 1
                except (OSError, http.client.HTTPException):
                    bad += 1
                    conn.close()
                    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
                mine.append((time.perf_counter() - started) * 1000)
            with lock:
                latencies.extend(mine)
                errors += bad

        # Warm up every worker (templates, connections) before measuring.
        warm = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        for path in paths[:50]:
            warm.request("GET", path)
            warm.getresponse().read()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started

    result = {
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "per_second": len(latencies) / elapsed,
        "errors": errors,
    }
    print(f"product page, {clients} concurrent clients, {len(latencies)} requests {label}")
    figure("p50", result["p50_ms"], "ms")
    figure("p99", result["p99_ms"], "ms")
    figure("pages/s", result["per_second"])
    figure("non-200 responses", errors)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=3_000)
    args = parser.parse_args(argv)
    run(clients=args.clients, requests=args.requests)


if __name__ == "__main__":
    main()
