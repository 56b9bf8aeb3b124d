"""Every request carries an id into its response, its log lines and the jobs it enqueues."""

import logging

import pytest

from designmall.core import requestid
from designmall.core.jobs import HANDLERS, JobHandler, enqueue, run_due_jobs
from designmall.core.models import Job

pytestmark = pytest.mark.django_db


def test_a_request_keeps_the_id_nginx_gave_it(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="req-from-nginx")
    assert response["X-Request-ID"] == "req-from-nginx"


def test_a_request_without_one_gets_a_new_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_an_id_that_is_not_sane_is_replaced():
    assert requestid.accepted("x" * 200) != "x" * 200
    assert requestid.accepted("bad id\nwith newline") != "bad id\nwith newline"


def test_log_lines_name_the_request():
    record = logging.LogRecord("designmall", logging.INFO, __file__, 1, "hello", None, None)
    with requestid.bound("req-7"):
        requestid.RequestIdFilter().filter(record)
    line = requestid.JsonFormatter().format(record)
    assert '"request_id": "req-7"' in line and '"message": "hello"' in line


def test_a_job_runs_under_the_id_of_the_request_that_enqueued_it():
    seen = []
    HANDLERS["test.request_id"] = JobHandler(
        "test.request_id", lambda p: seen.append(requestid.current()), 3
    )
    try:
        with requestid.bound("req-42"):
            job = enqueue("test.request_id", {})
        assert Job.objects.get(pk=job.pk).request_id == "req-42"
        run_due_jobs()
    finally:
        HANDLERS.pop("test.request_id", None)
    assert seen == ["req-42"]
    assert requestid.current() == ""
