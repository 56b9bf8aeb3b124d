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
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import figure, setup_django

POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"


def _designmall(*args: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "designmall.cli", *args], env=env, check=True)
    return time.perf_counter() - started


def _postgres_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


@contextlib.contextmanager
def fresh_postgres(kind: str, **settings: str) -> Iterator[tuple[dict[str, str], Path]]:
    """A new, migrated PostgreSQL database for one benchmark run, dropped afterwards, with
    this process's Django set up on it (roles made). Yields the server's environment
    (database, var folder, site address and ``settings``) and the var folder."""
    name = f"designmall_bench_{kind}_{os.getpid()}"
    var = Path(tempfile.mkdtemp(prefix=f"designmall-bench-{kind}-"))
    server_env = {
        "DATABASE_URL": f"{POSTGRES_SERVER}/{name}",
        "DESIGNMALL_VAR": str(var),
        "SITE_URL": "http://127.0.0.1",
        **settings,
    }
    os.environ.update(server_env)
    _postgres_admin(f'CREATE DATABASE "{name}"')
    try:
        _designmall("migrate", "--verbosity", "0", env=dict(os.environ))
        setup_django()
        from designmall.accounts.services import roles_sync_groups

        roles_sync_groups()
        yield server_env, var
    finally:
        from django.db import connections

        connections.close_all()
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(var, ignore_errors=True)


@contextlib.contextmanager
def seeded_database(
    *, products: int, postgres: bool, seed: int = 2026, keep: bool = False
) -> Iterator[tuple[dict[str, str], float]]:
    """A fresh database holding a seeded catalog: yields (environment, seed seconds)."""
    var = Path(tempfile.mkdtemp(prefix="designmall-bench-seed-"))
    env = {**os.environ, "DESIGNMALL_VAR": str(var), "MEDIA_ROOT": str(var / "media")}
    env.pop("REDIS_URL", None)
    name = f"designmall_bench_seed_{os.getpid()}"
    if postgres:
        _postgres_admin(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"{POSTGRES_SERVER}/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{var / 'bench.sqlite3'}"
    try:
        _designmall("migrate", "--verbosity", "0", env=env)
        seconds = _designmall("seed", "--products", str(products), "--seed", str(seed), env=env)
        backend = "postgresql" if postgres else "sqlite"
        print(f"seed {products:,} products on {backend}")
        figure("time", seconds, "s")
        figure("products/s", products / seconds)
        yield env, seconds
    finally:
        if keep:
            print(f"kept: DATABASE_URL={env['DATABASE_URL']} DESIGNMALL_VAR={var}")
        else:
            if postgres:
                _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(var, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.seed", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", action="store_true", help=f"use {POSTGRES_SERVER}")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    with seeded_database(
        products=args.products, postgres=args.postgres, seed=args.seed, keep=args.keep
    ):
        pass


if __name__ == "__main__":
    main()
