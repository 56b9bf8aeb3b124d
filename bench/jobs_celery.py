"""The same job work as ``bench.jobs``, through Celery 5 with the Redis broker: the figures
issue 16 item 6 compares our queue against.

Each job is one task whose handler records its number in a keyless table on PostgreSQL
(``INSERT``, no key), so a task run twice shows as two rows. The tasks are published from
``transaction.on_commit`` inside Django transactions (10,000 per transaction), the closest
Celery comes to our enqueue-inside-the-transaction guarantee, and they are all queued before
the workers start, as in ``bench.jobs``. Then N ``celery worker`` processes, each
``--pool=prefork --concurrency=1`` (a consumer parent and one child that runs the tasks),
drain the queue with ``acks_late`` (a task is acknowledged after it ran, so a worker killed
with kill -9 leaves it to be redelivered once the broker's visibility timeout runs out:
at-least-once, the duplicates are counted). No result backend: a task's outcome is not
stored, where our queue writes ``done_at``; this favours Celery.

Figures: publish rate, jobs/s from the first run to the last (the table's clock), and
proof: runs, distinct jobs run, jobs run twice, jobs never run. The broker is Redis db 14
(``--redis``), flushed at start and end; a fresh PostgreSQL database is built and dropped.
Celery is an optional extra (``pip install -e '.[bench]'``); the shipped queue does not need it.

    .venv/bin/python -m bench.jobs_celery [--jobs 100000] [--workers 2 4] [--pool prefork]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.common import figure
from bench.seed import fresh_postgres

JOBS = 100_000
BROKER = "redis://127.0.0.1:6379/14"
PER_TRANSACTION = 10_000

# The worker process: Django set up on the benchmark's database, the one task, then
# Celery's own worker loop (the same one ``celery -A app worker`` runs).
_WORKER = """
import sys
import django
django.setup()
from bench.jobs_celery import celery_app
from celery.signals import worker_process_init
from django.db import connections

@worker_process_init.connect
def fresh_connections(**kwargs):
    connections.close_all()  # a forked child must not share the parent's socket

app = celery_app(sys.argv[1])
app.worker_main(["worker", "--pool", sys.argv[2], "--concurrency", "1", "--loglevel", "WARNING",
                 "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "--hostname", sys.argv[3]])
"""


def celery_app(broker: str):
    """The Celery app both sides use: the broker, late acknowledgement, one task."""
    from celery import Celery
    from django.db import connection

    app = Celery("bench_jobs", broker=broker)
    app.conf.update(
        task_acks_late=True,  # acknowledged after the run: a killed worker's task comes back
        task_reject_on_worker_lost=True,  # ... also when the prefork child dies
        task_ignore_result=True,
        worker_prefetch_multiplier=4,  # Celery's default
        broker_transport_options={"visibility_timeout": 300},  # our JOB_LEASE_SECONDS
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )

    @app.task(name="bench.record")
    def record(n: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_job_runs (n) VALUES (%s)", [n])

    return app


def _publish(app, jobs: int) -> float:
    """Publish every job from ``on_commit`` of the transaction that 'made' it; returns seconds."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_job_runs")
        cursor.execute(
            "CREATE TABLE bench_job_runs (n integer NOT NULL,"
            " ran_at timestamptz NOT NULL DEFAULT clock_timestamp())"
        )
    record = app.tasks["bench.record"]
    started = time.monotonic()
    for start in range(0, jobs, PER_TRANSACTION):
        with transaction.atomic():
            for n in range(start, min(jobs, start + PER_TRANSACTION)):
                transaction.on_commit(lambda n=n: record.delay(n))
    return time.monotonic() - started


def _flush(broker: str) -> None:
    import redis

    with redis.Redis.from_url(broker) as client:
        client.flushdb()


def _runs() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT n) FROM bench_job_runs")
        return cursor.fetchone()


def drain(app, jobs: int, workers: int, pool: str, broker: str) -> dict:
    from django.db import connection

    _flush(broker)
    publish_seconds = _publish(app, jobs)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, broker, pool, f"bench{index}@%h"],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "designmall.settings"},
            cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.DEVNULL,  # the banner; warnings and errors go to stderr
        )
        for index in range(workers)
    ]
    # Celery workers do not stop when the queue is empty: wait until every job ran and the
    # count stays put, then a warm shutdown (SIGTERM: finish the task at hand).
    last, still = -1, 0
    while still < 3:
        time.sleep(1)
        runs, _ = _runs()
        still = still + 1 if runs == last and runs >= jobs else 0
        last = runs
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)
    runs, distinct = _runs()
    with connection.cursor() as cursor:
        cursor.execute("SELECT extract(epoch FROM max(ran_at) - min(ran_at)) FROM bench_job_runs")
        (seconds,) = cursor.fetchone()
    result = {
        "workers": workers,
        "publish_per_second": jobs / max(publish_seconds, 1e-6),
        "per_second": jobs / max(float(seconds or 0), 1e-6),
        "runs": runs,
        "distinct": distinct,
        "never_run": jobs - distinct,
    }
    print(f"celery ({pool}, redis broker, acks_late): {jobs:,} jobs, {workers} worker processes")
    figure("published/s (on_commit, 10,000 per txn)", result["publish_per_second"])
    figure("jobs/s (first to last job run)", result["per_second"])
    figure(f"jobs run (must be {jobs:,})", runs)
    figure(f"distinct jobs run (must be {jobs:,})", distinct)
    figure("jobs run twice (must be 0)", runs - distinct)
    figure("jobs never run (must be 0)", result["never_run"])
    return result


def run(
    *,
    jobs: int = JOBS,
    workers: tuple[int, ...] = (2, 4),
    pool: str = "prefork",
    broker: str = BROKER,
) -> list[dict]:
    with fresh_postgres("jobs_celery"):
        app = celery_app(broker)
        try:
            return [drain(app, jobs, n, pool, broker) for n in workers]
        finally:
            _flush(broker)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=JOBS)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--pool", choices=["prefork", "solo"], default="prefork")
    parser.add_argument("--redis", default=BROKER, help="the broker (a Redis db of its own)")
    args = parser.parse_args(argv)
    run(jobs=args.jobs, workers=tuple(args.workers), pool=args.pool, broker=args.redis)


if __name__ == "__main__":
    main()
