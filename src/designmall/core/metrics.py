"""Prometheus metrics: what an operator watches during the show, at ``/metrics``.

Built on prometheus-client. Under gunicorn each worker is its own process, so the
metrics live in files: ``designmall serve`` gives every run a fresh
``PROMETHEUS_MULTIPROC_DIR`` (core/gunicornhooks.py), the workers write their values
there, and a scrape of any worker sums all of them (dead workers' gauges dropped). Without
that folder (runserver, tests, the job worker) the values stay in the process.

- requests: ``designmall_http_request_duration_seconds{view,method,status}`` (the
  histogram's ``_count`` is the request rate), by ``RequestMetricsMiddleware``;
- database statements: ``designmall_db_query_duration_seconds{database}`` (``default``
  is the primary, ``replica`` the read replica), by an execute wrapper on every connection;
- the Redis cache: ``designmall_redis_command_duration_seconds{command}`` (core/rediscache.py);
- the job queue, read at scrape time with one query: ``designmall_jobs_open``,
  ``designmall_jobs_due`` and ``designmall_jobs_oldest_due_age_seconds``;
- live lot streams open: ``designmall_live_streams_open`` (auctions/stream.py);
- the show's business: orders created, payments credited, bids accepted, check-ins,
  counted when their transaction commits (``count_on_commit``).

The endpoint answers only to ``METRICS_ALLOWED_IPS`` or a ``METRICS_TOKEN`` bearer token;
anyone else gets the site's 404, and the shipped nginx site refuses the path outright.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from functools import lru_cache
from time import perf_counter

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

logger = logging.getLogger(__name__)

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_SECONDS = Histogram(
    "designmall_http_request_duration_seconds",
    "Time to answer a request, by view (route name), method and status class.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DB_QUERY_SECONDS = Histogram(
    "designmall_db_query_duration_seconds",
    "Time of one database statement, by connection alias (default: the primary).",
    ["database"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
REDIS_COMMAND_SECONDS = Histogram(
    "designmall_redis_command_duration_seconds",
    "Time of one Redis cache operation (a round trip, or a pipeline), by operation.",
    ["command"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)
LIVE_STREAMS = Gauge(
    "designmall_live_streams_open",
    "Live lot event streams (server-sent events) open now.",
    multiprocess_mode="livesum",
)
ORDERS_CREATED = Counter("designmall_orders_created", "Orders created (committed).")
PAYMENTS_CREDITED = Counter(
    "designmall_payments_credited", "Payments credited to what they pay for (committed)."
)
BIDS_ACCEPTED = Counter("designmall_bids_accepted", "Bids accepted on auction lots (committed).")
CHECKINS = Counter("designmall_checkins", "Tickets admitted at a door (committed entries).")

_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
UNRESOLVED_VIEW = "<unresolved>"


def count_on_commit(counter: Counter, amount: int = 1) -> None:
    """Add ``amount`` to ``counter`` once the current transaction commits (now, outside one):
    a rolled-back order, payment, bid or check-in counts nothing."""
    if amount:
        from django.db import transaction

        transaction.on_commit(lambda: counter.inc(amount))


# --- requests ------------------------------------------------------------------------------


class RequestMetricsMiddleware:
    """Times each request from the first middleware to the last, by the view that answered
    (its route name), the method and the status class. First in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._children = {}

    def __call__(self, request):
        started = perf_counter()
        response = self.get_response(request)
        elapsed = perf_counter() - started
        match = request.resolver_match
        key = (
            match.view_name if match is not None else UNRESOLVED_VIEW,
            request.method if request.method in _METHODS else "other",
            f"{response.status_code // 100}xx",
        )
        child = self._children.get(key)
        if child is None:
            child = self._children.setdefault(key, REQUEST_SECONDS.labels(*key))
        child.observe(elapsed)
        return response


# --- database and Redis timings ------------------------------------------------------------

_db_children = {}


def _timed_statement(execute, sql, params, many, context):
    started = perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        alias = context["connection"].alias
        child = _db_children.get(alias)
        if child is None:
            child = _db_children.setdefault(alias, DB_QUERY_SECONDS.labels(alias))
        child.observe(perf_counter() - started)


def time_statements(sender, connection, **kwargs) -> None:
    """``connection_created``: time every statement on this connection. Put first, so a
    ``with connection.execute_wrapper(...)`` around the connection's opening still pops
    its own wrapper."""
    if _timed_statement not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _timed_statement)


_redis_children = {}


def redis_timer(command: str):
    """The histogram child for one cache operation (kept, so timing costs one observe)."""
    child = _redis_children.get(command)
    if child is None:
        child = _redis_children.setdefault(command, REDIS_COMMAND_SECONDS.labels(command))
    return child


# --- the job queue, read at scrape time ---------------------------------------------------


class JobQueueCollector:
    """The queue's depth and the age of its oldest due job, from one query per scrape (the
    open-jobs index). A scrape that cannot reach the database leaves them out."""

    def collect(self):
        from django.db import DEFAULT_DB_ALIAS, DatabaseError
        from django.db.models import Count, Min, Q
        from prometheus_client.core import GaugeMetricFamily

        from designmall.core import clock
        from designmall.core.models import Job

        now = clock.now()
        due = Q(run_at__lte=now) & (Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        try:
            row = (
                Job.objects.using(DEFAULT_DB_ALIAS)
                .filter(done_at__isnull=True, failed_at__isnull=True)
                .aggregate(
                    open=Count("id"),
                    due=Count("id", filter=due),
                    oldest=Min("run_at", filter=due),
                )
            )
        except DatabaseError as error:
            logger.warning("metrics: the job queue could not be read: %s", error)
            return
        yield GaugeMetricFamily(
            "designmall_jobs_open", "Jobs not yet done nor given up.", value=row["open"]
        )
        yield GaugeMetricFamily(
            "designmall_jobs_due", "Jobs due and not leased by a worker.", value=row["due"]
        )
        oldest = (now - row["oldest"]).total_seconds() if row["oldest"] else 0.0
        yield GaugeMetricFamily(
            "designmall_jobs_oldest_due_age_seconds",
            "How long the oldest due job has waited (0: none waiting).",
            value=max(oldest, 0.0),
        )


# --- the endpoint --------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in allowed)


def may_scrape(*, remote_addr: str, authorization: str, allowed_ips, token: str) -> bool:
    """A scraper is let in by its address (an address or network in ``allowed_ips``) or by
    the bearer ``token`` (when one is set)."""
    if (
        token
        and authorization.startswith("Bearer ")
        and hmac.compare_digest(authorization[7:].strip().encode(), token.encode())
    ):
        return True
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(allowed_ips)))


def exposition() -> bytes:
    """The metrics in Prometheus' text format: every worker's (multiprocess mode) or this
    process's, then the job queue's."""
    path = os.environ.get(MULTIPROC_DIR_VARIABLE)
    if path:
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=path)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    queue = CollectorRegistry()
    queue.register(JobQueueCollector())
    return body + generate_latest(queue)


def metrics_view(request):
    from django.conf import settings
    from django.http import Http404, HttpResponse

    if not may_scrape(
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        authorization=request.headers.get("Authorization", ""),
        allowed_ips=settings.METRICS_ALLOWED_IPS,
        token=settings.METRICS_TOKEN,
    ):
        raise Http404
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
