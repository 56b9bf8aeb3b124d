"""``make bench``: every benchmark, on SQLite and on PostgreSQL. Figures are printed.

For each database: seed a fresh 100,000-product catalog (timed), then search
latency over 1,000 mixed zh/en queries, then product page latency at 16
concurrent clients against a live server, and a product page's own CPU time.
Then, on PostgreSQL, the store's hot paths (``bench.store``: flash sale against
its raw-SQL ceiling, a 3-shop checkout, payment notifications), a coupon rush
(``bench.coupons``: claiming a limited coupon, then redeeming it at checkout), and the design
week's doors (``bench.events``: a reservation rush against its raw-SQL ceiling,
online check-in, offline signature verification), and a hot auction lot
(``bench.auctions``: bidding against its raw-SQL ceiling, 500 live watchers), and a
pre-sale's deposit rush (``bench.presale``: 5,000 buyers for 500 units at 64 clients), and a
flash deal (``bench.deals``: 20,000 buyers for 500 units over Redis and over the
database alone, beside pgbench's hot-row order transaction), and the production tier
(``bench.cluster``: the flash sale and product pages through nginx with 1 and with 2 web
nodes, with the CPU each group of processes used).
It ends with one summary table of the hot paths' targets (issue 17) and whether this run
met each (``bench.summary``: every benchmark reports its rows to it).
Record the figures in docs/BENCHMARKS.md.

    .venv/bin/python -m bench [--products 100000] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import summary
from bench.seed import seeded_database


def _run_module(module: str, env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", module, *args], env=env, check=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="designmall-bench-summary-") as folder:
        # The benchmarks run as subprocesses: they append their targets' rows to this file.
        rows = Path(folder) / "summary.jsonl"
        os.environ[summary.ENV] = str(rows)
        try:
            _run_all(args)
        finally:
            os.environ.pop(summary.ENV, None)
            summary.print_table(summary.rows_read(rows))


def _run_all(args: argparse.Namespace) -> None:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.platform()}"
    )
    backends = [False] if args.sqlite_only else [False, True]
    for postgres in backends:
        print(f"\n=== {'PostgreSQL' if postgres else 'SQLite'} ===", flush=True)
        with seeded_database(products=args.products, postgres=postgres) as (env, _seconds):
            _run_module("bench.search", env)
            _run_module("bench.pages", env, "--clients", "16")
            _run_module("bench.product_cpu", env)
    if not args.sqlite_only:
        print("\n=== the store on PostgreSQL ===", flush=True)
        _run_module("bench.store", dict(os.environ))
        print("\n=== a coupon rush on PostgreSQL ===", flush=True)
        _run_module("bench.coupons", dict(os.environ))
        print("\n=== the design week's doors on PostgreSQL ===", flush=True)
        _run_module("bench.events", dict(os.environ))
        print("\n=== a hot auction lot on PostgreSQL and Redis ===", flush=True)
        _run_module("bench.auctions", dict(os.environ))
        print("\n=== a pre-sale's deposit rush on PostgreSQL ===", flush=True)
        _run_module("bench.presale", dict(os.environ))
        print("\n=== a flash deal on PostgreSQL + Redis, and on PostgreSQL alone ===", flush=True)
        _run_module("bench.deals", dict(os.environ))
        print("\n=== the job queue with 2 and 4 workers on PostgreSQL ===", flush=True)
        _run_module("bench.jobs", dict(os.environ))
        print("\n=== the cluster: nginx in front of 1 and of 2 web nodes ===", flush=True)
        _run_module("bench.cluster", dict(os.environ))


if __name__ == "__main__":
    main()
