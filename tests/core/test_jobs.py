"""The job queue: jobs exist only if their transaction commits, run once per claim, and
are retried with backoff until they give up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import transaction

from designmall.core import clock
from designmall.core.jobs import (
    HANDLERS,
    JobHandler,
    backoff,
    enqueue,
    job_done,
    run_due_jobs,
)
from designmall.core.models import Job

pytestmark = pytest.mark.django_db
MOMENT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=settings.JOB_LEASE_SECONDS)


@pytest.fixture
def handled():
    """A handler ``test.job`` recording its payloads; it fails while ``failures`` > 0."""
    state = {"runs": [], "failures": 0, "during": None}

    def handle(payload):
        state["runs"].append(payload)
        if state["during"]:
            state["during"]()
        if state["failures"]:
            state["failures"] -= 1
            raise RuntimeError("boom")

    saved = dict(HANDLERS)
    HANDLERS["test.job"] = JobHandler("test.job", handle, max_attempts=3)
    yield state
    HANDLERS.clear()
    HANDLERS.update(saved)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen_at(MOMENT):
        yield


def test_a_job_enqueued_in_a_failed_transaction_never_exists(handled):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("test.job", {"n": 1})
        raise RuntimeError("rolled back")

    assert not Job.objects.exists()


def test_a_due_job_runs_once_and_is_done(handled):
    job = enqueue("test.job", {"n": 1})

    assert run_due_jobs() == 1
    assert run_due_jobs() == 0

    job.refresh_from_db()
    assert handled["runs"] == [{"n": 1}]
    assert (job.done_at, job.attempts, job.locked_until) == (MOMENT, 1, None)


def test_a_job_waits_for_its_time(handled):
    enqueue("test.job", {}, run_at=MOMENT + timedelta(minutes=1))

    assert run_due_jobs() == 0
    clock.advance(timedelta(minutes=1))
    assert run_due_jobs() == 1


def test_a_failing_job_is_retried_with_backoff_then_given_up(handled):
    handled["failures"] = 5
    job = enqueue("test.job", {})

    run_due_jobs()
    job.refresh_from_db()
    assert (job.attempts, job.run_at) == (1, MOMENT + backoff(1))
    assert "boom" in job.last_error
    assert run_due_jobs() == 0  # not before its backoff
    for _ in range(2):
        clock.advance(timedelta(hours=1))
        run_due_jobs()

    job.refresh_from_db()
    assert job.attempts == 3
    assert job.failed_at is not None and job.done_at is None
    clock.advance(timedelta(days=1))
    assert run_due_jobs() == 0


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n) for n in (1, 2, 3)] == [
        timedelta(seconds=15),
        timedelta(seconds=30),
        timedelta(seconds=60),
    ]
    assert backoff(30) == timedelta(hours=1)


def test_a_running_job_is_not_claimed_by_another_worker(handled):
    enqueue("test.job", {})
    nested = []
    handled["during"] = lambda: nested.append(run_due_jobs())  # a second worker polls

    run_due_jobs()

    assert nested == [0]
    assert len(handled["runs"]) == 1


def test_a_job_left_by_a_dead_worker_runs_again_when_its_lease_is_over(handled):
    job = enqueue("test.job", {})
    Job.objects.filter(pk=job.pk).update(locked_until=MOMENT + LEASE, attempts=1)

    assert run_due_jobs() == 0
    clock.advance(LEASE)
    assert run_due_jobs() == 1


def test_one_open_job_per_key(handled):
    first = enqueue("test.job", {"n": 1}, key="k")
    second = enqueue("test.job", {"n": 2}, key="k")
    run_due_jobs()
    third = enqueue("test.job", {"n": 3}, key="k")

    assert first.pk == second.pk
    assert third.pk != first.pk
    assert handled["runs"] == [{"n": 1}]


def test_a_job_without_a_handler_fails_and_says_so():
    job = enqueue("nobody.handles.this", {})

    run_due_jobs()

    job.refresh_from_db()
    assert "no handler" in job.last_error
    assert job.done_at is None


def test_a_job_done_another_way_is_not_run(handled):
    job = enqueue("test.job", {})

    assert job_done(job_id=job.pk) is True
    assert run_due_jobs() == 0
    assert job_done(job_id=job.pk) is False
