"""A web process killed (SIGKILL) in the middle of a deal rush, for real: ``designmall
serve`` (gunicorn, one worker) on this test's PostgreSQL database and a Redis key prefix of
its own, hundreds of buyers pressing "buy" over HTTP from threads, the worker killed -9
while orders are still being written (so some units are admitted in Redis, their buyers
answered 202, and their order never written by the dead process's writer), buyers retrying
with their Idempotency-Key as an app does after a dropped connection; then the reconciler.
Every unit Redis admitted is then an order or back on sale: units on sale + live orders ==
the deal's quantity, every buyer answered 202 holds exactly one order (the reconciler wrote
the dead process's), no buyer over the limit, the stock books balanced, and the units back
on sale sell again, never beyond the quantity."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from designmall.accounts.services import api_token_create
from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.demo.serving import wait_until_healthy
from designmall.inventory.selectors import stock_verify
from designmall.inventory.services import hold_open_quantity
from designmall.orders.models import Order
from designmall.promotions import deal_admission
from designmall.promotions.deals import deal_buy, deal_reconcile, deal_schedule
from designmall.promotions.models import LIVE_TICKET, Deal, DealTicket, TicketStatus
from tests.factories import make_operator, make_product, make_user

from .conftest import REDIS_URL, _redis_up

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

UNITS = 120
BUYERS = 400
CLIENTS = 12  # client threads; the server has 1 worker x 4 threads (few connections)
KILLS = 4  # at most; the test stops killing once a unit was caught between Redis and the order
RETRIES = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (gunicorn's workers under its master)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture
def redis_deals(settings):
    if not _redis_up():
        pytest.skip(f"needs Redis at {REDIS_URL}")
    settings.DEAL_REDIS_URL = REDIS_URL
    settings.DEAL_REDIS_PREFIX = f"test-deal-kill-{uuid.uuid4().hex[:10]}"
    settings.DEAL_ADMISSION_GRACE_SECONDS = 60
    yield deal_admission.store()
    client = deal_admission.store().client
    for key in client.scan_iter(f"{settings.DEAL_REDIS_PREFIX}:*"):
        client.delete(key)


@pytest.fixture
def server(on_postgres, redis_deals, settings, tmp_path):
    """``designmall serve`` on this test's database: 1 worker x 4 threads."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "TEST_DATABASE"))
    }
    port = _free_port()
    environ.update(
        DATABASE_URL=_database_url(),
        DESIGNMALL_VAR=str(tmp_path),
        PORT=str(port),
        DEBUG="false",
        HTTPS="false",
        REDIS_URL=REDIS_URL,
        CACHE_PREFIX=settings.DEAL_REDIS_PREFIX,
        DEAL_REDIS_URL=REDIS_URL,
        DEAL_REDIS_PREFIX=settings.DEAL_REDIS_PREFIX,
        WEB_CONCURRENCY="1",
        WEB_THREADS="4",
        # Hundreds of buyers from one address: the per-address limit would refuse them.
        RATE_LIMITS_ENABLED="false",
    )
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "designmall.cli", "serve"],
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        healthy = wait_until_healthy(f"http://127.0.0.1:{port}/healthz", process=process)
        assert healthy, (tmp_path / "serve.log").read_text()[-3000:]
        yield port, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


class Buyer:
    """One buyer: one press of "buy", retried with the same Idempotency-Key when the
    connection drops without an answer (its process was killed)."""

    def __init__(self, user, token: str) -> None:
        self.user = user
        self.token = token
        self.key = f"kill-{uuid.uuid4().hex}"
        self.status: int | None = None
        self.code = ""
        self.dropped = 0


def _press(port: int, deal_id: str, buyer: Buyer) -> None:
    body = json.dumps({"delivery": "pickup"})
    headers = {
        "Authorization": f"Bearer {buyer.token}",
        "Content-Type": "application/json",
        "Idempotency-Key": buyer.key,
    }
    for _attempt in range(RETRIES):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("POST", f"/api/v1/deals/{deal_id}/buy", body, headers)
            response = conn.getresponse()
            answer = json.loads(response.read() or b"{}")
        except (ConnectionError, http.client.HTTPException, TimeoutError):
            buyer.dropped += 1
            time.sleep(0.2)
            continue
        finally:
            conn.close()
        if response.status >= 500:  # a 5xx is no answer to a buyer either
            buyer.dropped += 1
            continue
        buyer.status = response.status
        buyer.code = answer.get("error", {}).get("code", "") if response.status != 202 else ""
        # A retry after an admission whose answer was lost is answered the same ticket
        # (the key is kept with the admission in Redis).
        return


def _orphans(redis, deal: Deal) -> list[str]:
    """Admissions in Redis that have no ticket in the database."""
    _free, admitted = redis.snapshot(deal.public_id)
    tokens = [entry.token for entry in admitted]
    written = set(DealTicket.objects.filter(token__in=tokens).values_list("token", flat=True))
    return [token for token in tokens if token not in written]


def test_a_worker_killed_mid_rush_loses_no_unit_after_the_reconciler(server, redis_deals, db):
    port, master = server
    product = make_product(skus=[(12_900, UNITS)])
    now = clock.now()
    deal = deal_schedule(
        by=make_operator(),
        sku=product.skus.get(),
        price_fen=9_900,
        quantity=UNITS,
        starts_at=now - timedelta(seconds=5),
        ends_at=now + timedelta(hours=1),
    )
    users = [make_user() for _ in range(BUYERS)]
    buyers = [Buyer(u, api_token_create(user=u, name="kill")[1]) for u in users]

    todo = iter(buyers)
    todo_lock = threading.Lock()

    def client() -> None:
        while True:
            with todo_lock:
                buyer = next(todo, None)
            if buyer is None:
                return
            _press(port, deal.public_id, buyer)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()

    # Kill the worker (SIGKILL: no cleanup of any kind) while orders are being written,
    # again after gunicorn's master has started a new one and it has written some more,
    # until a unit is caught between its admission in Redis and its order.
    kills, caught = 0, set()
    sold_at_kill = 0
    deadline = time.monotonic() + 240
    while kills < KILLS and time.monotonic() < deadline:
        # Buyers are answered at admission, so the rush may be over long before the
        # orders are written: the kill waits for orders, not for buyers.
        sold = DealTicket.objects.filter(deal=deal).count()
        if sold >= UNITS:
            break
        if sold < sold_at_kill + 12:
            if kills and not any(t.is_alive() for t in threads):
                break  # the rush is over; the dead writer's queue stays unwritten
            time.sleep(0.02)
            continue
        workers = _children(master.pid)
        assert workers, "gunicorn's master has no worker"
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        kills += 1
        sold_at_kill = sold
        time.sleep(1.0)  # PostgreSQL rolls the dead connections' transactions back
        caught.update(_orphans(redis_deals, deal))
        if caught:
            break
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "buyers still waiting"
    assert master.poll() is None, "gunicorn's master died"
    assert kills >= 1, "the orders were all written before a worker could be killed"

    # The rush is over: stop the server, then look at what Redis still holds.
    master.send_signal(signal.SIGTERM)
    master.wait(timeout=30)
    # (Orphans caught right after a kill may include the new worker's queue, written
    # since; what counts is what is left now.)
    orphans = set(_orphans(redis_deals, deal))
    assert orphans, (
        f"no unit was caught between Redis and its order in {kills} kills: "
        "the crash window was not exercised"
    )
    _free, in_flight = redis_deals.snapshot(deal.public_id)
    admitted_tokens = {entry.token for entry in in_flight}

    report = deal_reconcile(deal=Deal.objects.get(pk=deal.pk), grace_seconds=0)

    # The buyers were told "you got one": the reconciler writes their orders.
    assert (report["written"], report["voided"]) == (len(orphans), 0)
    assert report["confirmed"] == len(admitted_tokens - orphans)
    # Every admission Redis still held is now an order (a live ticket with its order).
    tickets = {t.token: t for t in DealTicket.objects.filter(token__in=admitted_tokens)}
    assert set(tickets) == admitted_tokens
    for token in admitted_tokens:
        assert tickets[token].status == TicketStatus.PENDING
        assert tickets[token].checkout_id is not None
    _free, in_flight = redis_deals.snapshot(deal.public_id)
    assert in_flight == []

    live = DealTicket.objects.filter(LIVE_TICKET, deal=deal)
    orders = Order.objects.filter(checkout__deal_ticket__deal=deal).count()
    assert live.count() == orders
    left = redis_deals.units_left(deal.public_id)
    assert left + orders == UNITS
    # No buyer over the limit (1), and a buyer answered 202 is exactly one holding a unit.
    per_buyer = Counter(live.values_list("buyer_id", flat=True))
    assert max(per_buyer.values()) == 1
    answered = [b for b in buyers if b.status is not None]
    assert len(answered) == BUYERS, f"{BUYERS - len(answered)} buyers never got an answer"
    assert {b.user.pk for b in buyers if b.status == 202} == set(per_buyer)
    assert {b.code for b in buyers if b.status == 409} <= {
        "deal_sold_out",
        "deal_limit_reached",
    }
    # (Connections cut by the kill are retried under their key, answered the same ticket;
    # but buyers are answered at admission, so the kill may come after the last answer:
    # what it always cuts is the writer's queue, the orphans above.)
    assert stock_verify() == []
    assert hold_open_quantity(owner_ref=deal.owner_ref) == UNITS  # paid: none yet

    # The units back on sale sell again, to new buyers, and no more than them.
    sold_again, refused = 0, Counter()
    for _ in range(left + 5):
        try:
            deal_buy(buyer=make_user(), deal=deal.public_id, delivery="pickup")
            sold_again += 1
        except Conflict as error:
            refused[error.code] += 1
    assert sold_again == left
    assert refused == Counter({"deal_sold_out": 5})
    assert DealTicket.objects.filter(LIVE_TICKET, deal=deal).count() == UNITS
    assert redis_deals.units_left(deal.public_id) == 0
    assert stock_verify() == []
