"""How fast ``designmall seed`` builds a large catalog.

    .venv/bin/python -m bench.seed                 # 100,000 products into a fresh SQLite file
    .venv/bin/python -m bench.seed --postgres      # ... into a fresh PostgreSQL database
    .venv/bin/python -m bench.seed --products 20000 --keep

The database is created for the run (migrations are not timed) and removed
afterwards unless --keep. The seed runs in a subprocess, exactly as a person
would run it, with DATABASE_URL pointing at that database.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"


def _designmall(*args: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "designmall.cli", *args], env=env, check=True)
    return time.perf_counter() - started


def _postgres_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.seed", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", action="store_true", help=f"use {POSTGRES_SERVER}")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)

    var = Path(tempfile.mkdtemp(prefix="designmall-bench-seed-"))
    env = {**os.environ, "DESIGNMALL_VAR": str(var), "MEDIA_ROOT": str(var / "media")}
    env.pop("REDIS_URL", None)
    if args.postgres:
        name = f"designmall_bench_seed_{os.getpid()}"
        _postgres_admin(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"{POSTGRES_SERVER}/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{var / 'bench.sqlite3'}"
    where = env["DATABASE_URL"]
    try:
        migrate = _designmall("migrate", "--verbosity", "0", env=env)
        seconds = _designmall(
            "seed", "--products", str(args.products), "--seed", str(args.seed), env=env
        )
    finally:
        if args.keep:
            print(f"kept: DATABASE_URL={where} DESIGNMALL_VAR={var}")
        else:
            if args.postgres:
                _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(var, ignore_errors=True)
    backend = "postgresql" if args.postgres else "sqlite"
    print(
        f"bench.seed {backend}: {args.products:,} products in {seconds:.1f} s "
        f"({args.products / seconds:,.0f} products/s; migrate {migrate:.1f} s, not counted)"
    )


if __name__ == "__main__":
    main()
