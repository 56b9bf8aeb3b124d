"""Queued jobs run by ``designmall worker``: work that must happen, outside the request.

A job is a row (``core.models.Job``): a handler name and a JSON payload.
``enqueue`` writes it in the caller's transaction, so the job exists only if
that transaction commits, and never runs before it does. Apps register
handlers with ``@job_handler(name)`` in their ``tasks.py`` (the worker imports
those modules).

``run_due_jobs`` claims due jobs with a lease on ``locked_until``, so several
workers never run the same job at once; a worker that dies mid-job leaves a
lease that runs out (``JOB_LEASE_SECONDS``), and the job is due again. On
PostgreSQL one statement claims a whole batch, skipping rows another worker is
claiming (``FOR UPDATE SKIP LOCKED``), so workers never queue behind each other;
on SQLite (one writer at a time anyway) each job is claimed by a conditional
UPDATE.
Handlers run outside any transaction (they may call the network and open
their own short transactions) and must be idempotent: a job can run again
after a crash. A failure is retried with exponential backoff until the
handler's ``max_attempts``; then the job is given up (``failed_at``) with its
last error, for an operator to see.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet

from designmall.core import clock, requestid
from designmall.core.models import Job

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_CAP = timedelta(hours=1)
DEFAULT_MAX_ATTEMPTS = 10
BATCH = 50


@dataclass(frozen=True)
class JobHandler:
    name: str
    func: Callable[[dict[str, Any]], object]
    max_attempts: int


HANDLERS: dict[str, JobHandler] = {}


def job_handler(name: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS):
    """Register ``func(payload)`` as the handler of jobs called ``name``."""

    def decorate(func: Callable[[dict[str, Any]], object]):
        HANDLERS[name] = JobHandler(name, func, max_attempts)
        return func

    return decorate


def enqueue(
    name: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    key: str = "",
) -> Job:
    """Queue ``name(payload)`` to run at ``run_at`` (default: as soon as a worker polls).

    Written in the current transaction. With a ``key``, at most one unfinished
    job has it: enqueueing again while one is waiting or running returns that
    one (the payload of the first wins).
    """
    now = clock.now()
    fields = {
        "name": name,
        "payload": payload or {},
        "key": key,
        "run_at": run_at or now,
        "created_at": now,
        "request_id": requestid.current(),
    }
    if not key:
        return Job.objects.create(**fields)
    for _ in range(3):
        try:
            with transaction.atomic():
                return Job.objects.create(**fields)
        except IntegrityError:
            existing = _open().filter(key=key).first()
            if existing is not None:
                return existing
            # It finished between our insert and our look: insert again.
    raise RuntimeError(f"could not enqueue job {name} with key {key!r}")


def job_done(*, job_id: int) -> bool:
    """Mark a job done without running it (its work was done another way); True if it was open."""
    return (
        _open().filter(pk=job_id).update(done_at=clock.now(), locked_until=None, last_error="") == 1
    )


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed run: 15 s, 30 s, 1 min, ... at most an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def _open() -> QuerySet[Job]:
    return Job.objects.filter(done_at__isnull=True, failed_at__isnull=True)


def _due(now: datetime) -> QuerySet[Job]:
    return _open().filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now), run_at__lte=now)


def _lease() -> timedelta:
    """How long a claimed job stays claimed: longer than any handler may take."""
    return timedelta(seconds=settings.JOB_LEASE_SECONDS)


def _claim(job_id: int) -> bool:
    """Take the job if it is still due: one conditional UPDATE, so one worker wins."""
    now = clock.now()
    claimed = (
        _due(now).filter(pk=job_id).update(locked_until=now + _lease(), attempts=F("attempts") + 1)
    )
    return claimed == 1


_CLAIM_BATCH_SQL = """
UPDATE core_job SET locked_until = %(until)s, attempts = attempts + 1
WHERE id IN (
    SELECT id FROM core_job
    WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= %(now)s
      AND (locked_until IS NULL OR locked_until <= %(now)s)
    ORDER BY run_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
RETURNING id
"""


def _claim_batch(limit: int) -> list[int]:
    """PostgreSQL: claim up to ``limit`` due jobs in one statement; rows another worker is
    claiming at this moment are skipped, not waited for."""
    now = clock.now()
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_BATCH_SQL, {"until": now + _lease(), "now": now, "limit": limit})
        return sorted(row[0] for row in cursor.fetchall())


def _run(job: Job) -> bool:
    """Run the job under the id of the request that enqueued it (its logs name it)."""
    with requestid.bound(job.request_id):
        return _run_handler(job)


def _run_handler(job: Job) -> bool:
    handler = HANDLERS.get(job.name)
    try:
        if handler is None:
            raise LookupError(f"no handler is registered for jobs called {job.name!r}")
        handler.func(job.payload)
    except Exception:
        error = traceback.format_exc()[-4000:]
        now = clock.now()
        max_attempts = handler.max_attempts if handler else DEFAULT_MAX_ATTEMPTS
        if job.attempts >= max_attempts:
            log.error("job %s #%s gave up after %d attempts", job.name, job.pk, job.attempts)
            Job.objects.filter(pk=job.pk).update(failed_at=now, locked_until=None, last_error=error)
        else:
            log.warning("job %s #%s failed (attempt %d)", job.name, job.pk, job.attempts)
            Job.objects.filter(pk=job.pk).update(
                run_at=now + backoff(job.attempts), locked_until=None, last_error=error
            )
        return False
    Job.objects.filter(pk=job.pk).update(done_at=clock.now(), locked_until=None)
    return True


def run_due_jobs(*, limit: int = BATCH) -> int:
    """Run up to ``limit`` due jobs, oldest first; returns how many this worker ran."""
    if connection.vendor == "postgresql":
        claimed = _claim_batch(limit)
        for job in Job.objects.filter(pk__in=claimed).order_by("run_at", "id"):
            _run(job)
        return len(claimed)
    ids = list(_due(clock.now()).order_by("run_at", "id").values_list("id", flat=True)[:limit])
    ran = 0
    for job_id in ids:
        if not _claim(job_id):
            continue  # another worker took it, or it was finished meanwhile
        _run(Job.objects.get(pk=job_id))
        ran += 1
    return ran
