"""Flash deals under test: a store (from the orders tests), an operator, and each test run
on both admission paths: Redis (a key prefix of its own) and the database."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.promotions import deal_admission
from designmall.promotions.deals import deal_schedule
from tests.api.conftest import anon, api_as  # noqa: F401  (fixtures)
from tests.factories import make_operator
from tests.orders.conftest import (  # noqa: F401  (fixtures)
    _orders_settings,
    _payments_settings,
    buyer,
    keys,
    other_buyer,
    sandbox_key_dir,
    store,
    worker_transport,
)

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


@pytest.fixture(params=["database", "redis"])
def path(request, settings):
    """The admission path: ``database`` (no Redis) or ``redis`` (a prefix of its own)."""
    settings.DEAL_HOLD_MINUTES = 5
    settings.DEAL_ADMISSION_GRACE_SECONDS = 60
    if request.param == "redis":
        if not _redis_up():
            pytest.skip("needs Redis at 127.0.0.1:6379")
        settings.DEAL_REDIS_URL = REDIS_URL
        settings.DEAL_REDIS_PREFIX = f"test-deals-{uuid.uuid4().hex[:10]}"
        # Orders answered at admission are written by the test (``deal_write_queued``),
        # not by a thread on a connection of its own that the test's transaction hides.
        settings.DEAL_WRITER_THREAD = False
        yield "redis"
        store = deal_admission.store()
        for key in store.client.scan_iter(f"{settings.DEAL_REDIS_PREFIX}:*"):
            store.client.delete(key)
    else:
        settings.DEAL_REDIS_URL = ""
        yield "database"


@pytest.fixture
def operator(db):
    return make_operator()


def schedule(sku, *, by=None, quantity=3, price_fen=9_900, starts_in=-60, lasts=3600, **kw):
    """A deal of ``sku`` that started ``-starts_in`` seconds ago (by default) for an hour."""
    now = clock.now()
    return deal_schedule(
        by=by or make_operator(),
        sku=sku,
        price_fen=price_fen,
        quantity=quantity,
        starts_at=now + timedelta(seconds=starts_in),
        ends_at=now + timedelta(seconds=starts_in + lasts),
        **kw,
    )
