"""The job queue at scale on PostgreSQL: 100,000 queued jobs drained by 2 and then 4
worker processes, each job run exactly once.

Each worker is a process looping over ``run_due_jobs`` (what ``designmall worker`` does
between its sweepers) with one handler that records its job in a table (``INSERT``, no
key), so a job run twice would show as two rows. Figures: jobs/s from the first claim
to the last job done; proof: every job done, none run twice, none left claimed.

A fresh PostgreSQL database is built for the run and dropped afterwards.

    .venv/bin/python -m bench.jobs [--jobs 100000] [--workers 2 4]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import figure
from bench.seed import fresh_postgres

JOBS = 100_000

_WORKER = """
import django
django.setup()
from django.db import connection
from designmall.core.jobs import HANDLERS, JobHandler, run_due_jobs

def record(payload):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_job_runs (n) VALUES (%s)", [payload["n"]])

HANDLERS["bench.record"] = JobHandler("bench.record", record, 3)
idle = 0
while idle < 3:  # three empty polls in a row: the queue is drained
    idle = idle + 1 if run_due_jobs() == 0 else 0
"""


def _queue(jobs: int) -> None:
    from django.db import connection

    from designmall.core import clock
    from designmall.core.models import Job

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_job_runs")
        cursor.execute("CREATE TABLE bench_job_runs (n integer NOT NULL)")
    Job.objects.all().delete()
    now = clock.now()
    for start in range(0, jobs, 10_000):
        Job.objects.bulk_create(
            Job(name="bench.record", payload={"n": n}, run_at=now, created_at=now)
            for n in range(start, min(jobs, start + 10_000))
        )


def drain(jobs: int, workers: int) -> dict:
    from django.db import connection

    from designmall.core.models import Job

    _queue(jobs)
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "designmall.settings"},
            cwd=Path(__file__).resolve().parents[1],
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.wait()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT n) FROM bench_job_runs")
        runs, distinct = cursor.fetchone()
    done = Job.objects.filter(done_at__isnull=False)
    first, last = (
        done.order_by("done_at").values_list("done_at", flat=True).first(),
        done.order_by("-done_at").values_list("done_at", flat=True).first(),
    )
    seconds = (last - first).total_seconds() if first and last else time.monotonic() - started
    result = {
        "workers": workers,
        "per_second": jobs / max(seconds, 1e-6),
        "runs": runs,
        "distinct": distinct,
        "open": Job.objects.filter(done_at__isnull=True).count(),
    }
    print(f"job queue: {jobs:,} jobs, {workers} worker processes")
    figure("jobs/s (first to last job done)", result["per_second"])
    figure(f"jobs run (must be {jobs:,})", runs)
    figure(f"distinct jobs run (must be {jobs:,})", distinct)
    figure("jobs run twice (must be 0)", runs - distinct)
    figure("jobs not done (must be 0)", result["open"])
    return result


def run(*, jobs: int = JOBS, workers: tuple[int, ...] = (2, 4)) -> list[dict]:
    with fresh_postgres("jobs"):
        return [drain(jobs, n) for n in workers]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=JOBS)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    args = parser.parse_args(argv)
    run(jobs=args.jobs, workers=tuple(args.workers))


if __name__ == "__main__":
    main()
