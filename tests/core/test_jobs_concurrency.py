"""Several workers on one queue, on PostgreSQL: each job runs once, and a worker killed
mid-job leaves it to run again when its lease is over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from designmall.core import clock
from designmall.core.jobs import HANDLERS, JobHandler, enqueue, run_due_jobs
from designmall.core.models import Job
from tests.concurrency import concurrently

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def counted():
    runs: Counter = Counter()
    lock = threading.Lock()

    def count(payload):
        with lock:
            runs[payload["n"]] += 1

    HANDLERS["test.counted"] = JobHandler("test.counted", count, 3)
    yield runs
    HANDLERS.pop("test.counted", None)


def _drain() -> int:
    ran = 0
    while (batch := run_due_jobs(limit=25)) > 0:
        ran += batch
    return ran


def test_four_workers_run_each_of_1000_jobs_once(on_postgres, counted):
    now = clock.now()
    Job.objects.bulk_create(
        Job(name="test.counted", payload={"n": n}, run_at=now, created_at=now) for n in range(1000)
    )

    ran = concurrently([_drain] * 4, pool=4)

    assert sum(ran) == 1000
    assert set(counted) == set(range(1000))
    assert max(counted.values()) == 1
    assert Job.objects.filter(done_at__isnull=True).count() == 0


_SLEEPY_WORKER = """
import sys, time, django
django.setup()
from designmall.core import clock
from designmall.core.jobs import HANDLERS, JobHandler, run_due_jobs

def sleepy(payload):
    open(sys.argv[1], "w").write("running")
    time.sleep(120)

HANDLERS["test.sleepy"] = JobHandler("test.sleepy", sleepy, 3)
run_due_jobs()
"""


def test_a_job_whose_worker_is_killed_runs_again_once_its_lease_is_over(
    on_postgres, tmp_path, settings
):
    job = enqueue("test.sleepy", {})
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    started = tmp_path / "started"
    env = {
        **os.environ,
        "DATABASE_URL": f"{url}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "designmall.settings",
        "JOB_LEASE_SECONDS": "3",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", _SLEEPY_WORKER, str(started)],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert worker.poll() is None, "the worker died before running the job"
            assert time.monotonic() < deadline, "the worker never ran the job"
            time.sleep(0.1)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)

    ran_again = []
    HANDLERS["test.sleepy"] = JobHandler("test.sleepy", ran_again.append, 3)
    try:
        assert run_due_jobs() == 0  # still leased to the dead worker
        time.sleep(3.2)
        assert run_due_jobs() == 1
    finally:
        HANDLERS.pop("test.sleepy", None)

    job.refresh_from_db()
    assert ran_again == [{}]
    assert job.done_at is not None
    assert job.attempts == 2
