"""Catalog, search and page reads from the PostgreSQL read replica (``DATABASE_REPLICA_URL``).

The rules:

- Only the pages and API reads named in ``REPLICA_READ_VIEWS`` read from the replica, and
  only for GET/HEAD: they show the catalog and decide nothing. Every other read, and every
  write, goes to the primary, so a read that decides a write never sees an old row.
- Inside a transaction on the primary, reads stay on the primary.
- A visitor who has just written (any POST, PUT, PATCH or DELETE that did not fail) reads
  from the primary for ``REPLICA_STICKY_SECONDS``: a first-party cookie says until when, so
  it holds whichever node serves the next request.
- When the replica is down, or its replay lags more than ``REPLICA_MAX_LAG_SECONDS``,
  reads go to the primary; each process looks again every ``REPLICA_CHECK_SECONDS``. A
  page whose replica read fails is read again from the primary.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import OperationalError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
STICKY_COOKIE = "dm_primary"
_SAFE_METHODS = ("GET", "HEAD")
_replica_reads = contextvars.ContextVar("replica_reads", default=False)

# SQL: seconds the replica is behind; 0 when it has replayed all it has received.
_LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


class _Health:
    """Whether this process may read from the replica, looked at every few seconds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.usable = False
        self.checked_at = float("-inf")

    def check(self) -> bool:
        now = time.monotonic()
        if now - self.checked_at < settings.REPLICA_CHECK_SECONDS:
            return self.usable
        with self.lock:
            if now - self.checked_at < settings.REPLICA_CHECK_SECONDS:
                return self.usable
            self.usable = _replica_lag_ok()
            self.checked_at = time.monotonic()
            return self.usable

    def mark_down(self) -> None:
        with self.lock:
            self.usable = False
            self.checked_at = time.monotonic()


health = _Health()


def _replica_lag_ok() -> bool:
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(_LAG_SQL)
            lag = float(cursor.fetchone()[0])
    except OperationalError:
        connections[REPLICA].close()
        logger.warning("read replica unreachable: reads go to the primary")
        return False
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        logger.warning("read replica %.1f s behind: reads go to the primary", lag)
        return False
    return True


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Reads marked safe by ``ReplicaReadsMiddleware`` go to the replica while it is usable."""

    def db_for_read(self, model, **hints):
        if not _replica_reads.get():
            return None
        if connections["default"].in_atomic_block:
            return None
        return REPLICA if health.check() else None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def sticky_until(request) -> float:
    try:
        return float(request.COOKIES.get(STICKY_COOKIE, "0"))
    except ValueError:
        return 0.0


class ReplicaReadsMiddleware:
    """Marks the request's reads for the replica (see the module's rules) and makes a
    visitor who has written sticky to the primary."""

    def __init__(self, get_response):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.views = frozenset(settings.REPLICA_READ_VIEWS)

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in _SAFE_METHODS and response.status_code < 400:
            until = time.time() + settings.REPLICA_STICKY_SECONDS
            response.set_cookie(
                STICKY_COOKIE,
                f"{until:.3f}",
                max_age=settings.REPLICA_STICKY_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in _SAFE_METHODS:
            return None
        match = request.resolver_match
        if match is None or match.url_name not in self.views:
            return None
        if sticky_until(request) > time.time():
            return None
        token = _replica_reads.set(True)
        try:
            return view_func(request, *view_args, **view_kwargs)
        except OperationalError:
            # The replica went away mid-request: read the page again from the primary (these
            # views only read, so running one twice is safe).
            connections[REPLICA].close()
            health.mark_down()
            _replica_reads.set(False)
            return view_func(request, *view_args, **view_kwargs)
        finally:
            _replica_reads.reset(token)
