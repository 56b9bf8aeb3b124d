"""PostgreSQL's own ceiling for an order transaction on one hot row, measured with
``pgbench`` in the same run as the HTTP benchmarks beside it: per transaction, a
conditional decrement of one shared counter row (``WHERE available > 0``) and two inserts
(a hold and an order), committed. Every client queues on that one row's lock, which is the
ceiling a database-only flash sale cannot pass.

    .venv/bin/python -m bench.pgbench DATABASE_URL [--clients 32] [--seconds 10]
"""

from __future__ import annotations

import argparse
import glob
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

SETUP = """
DROP TABLE IF EXISTS pgb_hot, pgb_hold, pgb_order;
CREATE TABLE pgb_hot (id integer PRIMARY KEY, available bigint NOT NULL CHECK (available >= 0));
INSERT INTO pgb_hot VALUES (1, 1000000000);
CREATE TABLE pgb_hold (id bigserial PRIMARY KEY, buyer integer, quantity integer,
  created_at timestamptz);
CREATE TABLE pgb_order (id bigserial PRIMARY KEY, buyer integer, total_fen bigint,
  created_at timestamptz);
"""
SCRIPT = """\\set buyer random(1, 1000000)
BEGIN;
UPDATE pgb_hot SET available = available - 1 WHERE id = 1 AND available > 0;
INSERT INTO pgb_hold (buyer, quantity, created_at) VALUES (:buyer, 1, now());
INSERT INTO pgb_order (buyer, total_fen, created_at) VALUES (:buyer, 9900, now());
END;
"""
TEARDOWN = "DROP TABLE IF EXISTS pgb_hot, pgb_hold, pgb_order;"


def pgbench_path() -> str:
    found = shutil.which("pgbench") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None
    )
    if not found:
        raise SystemExit("pgbench not found (it comes with PostgreSQL)")
    return found


def _psql(database_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql)


def hot_row(database_url: str, *, clients: int = 32, seconds: int = 10) -> dict:
    """Transactions/s (and mean latency) of the hot-row order transaction."""
    _psql(database_url, SETUP)
    try:
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "hot_row.sql"
            script.write_text(SCRIPT)
            out = subprocess.run(
                [
                    pgbench_path(),
                    "-n",
                    "-M",
                    "prepared",
                    "-c",
                    str(clients),
                    "-j",
                    "2",
                    "-T",
                    str(seconds),
                    "-f",
                    str(script),
                    database_url,
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
    finally:
        _psql(database_url, TEARDOWN)
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    return {
        "per_second": tps,
        "latency_ms": float(latency.group(1)) if latency else None,
        "clients": clients,
    }


def main(argv: list[str] | None = None) -> None:
    from bench.common import figure

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database_url")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args(argv)
    result = hot_row(args.database_url, clients=args.clients, seconds=args.seconds)
    figure(f"pgbench hot-row order transactions/s ({args.clients} clients)", result["per_second"])


if __name__ == "__main__":
    main()
