"""The concurrency rules hold across nodes: the cases that matter, repeated on the loopback
cluster with requests from many threads at once spread over both web nodes (each
addressed directly) and nginx, and the two workers sweeping at once."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.cluster.on_primary import SWEEPERS
from tests.cluster.support import call, on_cluster, psql

pytestmark = pytest.mark.cluster


def _bases(cluster) -> list[str]:
    """Where the requests go, in turn: node 0, node 1, and nginx (either)."""
    return [cluster.node_url(0), cluster.node_url(1), cluster.url]


def _all_at_once(requests: list) -> list:
    """Run every ``request()`` from its own thread, released together; their answers."""
    start = threading.Barrier(len(requests))

    def released(request):
        start.wait(timeout=30)
        return request()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(released, requests))


def _until(check, *, within: float, every: float = 0.5):
    """``check()`` again and again until it answers something true, or the deadline; the
    last answer."""
    deadline = time.monotonic() + within
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(every)


# --- a flash sale and a checkout rush on one SKU ----------------------------------------------


def test_a_flash_deal_rushed_on_both_nodes_sells_exactly_its_units(cluster):
    units, buyers = 8, 30
    sale = on_cluster(cluster, "deal", name="xnode-deal", quantity=units)
    tokens = on_cluster(cluster, "buyers", prefix="xnode-deal", count=buyers)
    bases = _bases(cluster)

    def buy(n: int):
        return lambda: call(
            "POST",
            f"{bases[n % 3]}/api/v1/deals/{sale['deal']}/buy",
            token=tokens[n],
            body={"delivery": "pickup"},
            headers={"Idempotency-Key": f"xnode-deal-{n}"},
        )[0]

    statuses = Counter(_all_at_once([buy(n) for n in range(buyers)]))

    # With Redis a winner is answered at admission (202, a ticket) and the order is written
    # behind the answer by the node that admitted it.
    assert statuses == {202: units, 409: buyers - units}, statuses

    def once_written():
        stock = on_cluster(cluster, "stock_of", sku=sale["sku"], deal=sale["deal"])
        return stock if stock["orders"] >= units else None

    stock = _until(once_written, within=60)
    assert stock, "the admitted units' orders were not all written within 60 s"
    assert (stock["orders"], stock["units_ordered"], stock["deal_tickets"]) == (units,) * 3
    assert stock["most_per_buyer"] == 1
    assert stock["books"] == []


def test_a_checkout_rush_on_one_sku_on_both_nodes_sells_exactly_the_stock(cluster):
    stock_units, buyers = 8, 30
    item = on_cluster(cluster, "sku", name="xnode-rush", stock=stock_units)
    tokens = on_cluster(cluster, "buyers", prefix="xnode-rush", count=buyers)
    bases = _bases(cluster)

    def check_out(n: int):
        return lambda: call(
            "POST",
            f"{bases[n % 3]}/api/v1/checkout",
            token=tokens[n],
            body={"lines": [{"sku": item["sku"], "quantity": 1}], "delivery": "pickup"},
            headers={"Idempotency-Key": f"xnode-rush-{n}"},
        )

    answers = _all_at_once([check_out(n) for n in range(buyers)])

    statuses = Counter(status for status, _body, _headers in answers)
    assert statuses == {201: stock_units, 409: buyers - stock_units}, statuses
    refusals = {body["error"]["code"] for status, body, _ in answers if status == 409}
    assert refusals == {"out_of_stock"}
    stock = on_cluster(cluster, "stock_of", sku=item["sku"])
    assert (stock["available"], stock["held"]) == (0, stock_units)
    assert (stock["orders"], stock["units_ordered"]) == (stock_units, stock_units)
    assert stock["books"] == []


# --- bids on one lot, and watchers on the other node ------------------------------------------


def _bid(base: str, lot: str, token: str, max_fen: int) -> tuple[int, float]:
    status, _body, _headers = call(
        "POST", f"{base}/api/v1/auctions/lots/{lot}/bids", token=token, body={"max_fen": max_fen}
    )
    return status, time.monotonic()


def test_bids_on_one_lot_from_both_nodes_leave_it_as_the_replay_of_the_accepted_bids(cluster):
    bidders = on_cluster(cluster, "buyers", prefix="xnode-bidder", count=8)
    auction = on_cluster(cluster, "lot", title="xnode-lot", tokens=bidders, amounts=32)
    bases = _bases(cluster)

    def bid(n: int):
        # The maximums climb the grid in the order sent: most are accepted, the ones
        # overtaken in flight refused as below the minimum.
        amount = auction["grid"][n]
        return lambda: _bid(bases[n % 3], auction["lot"], bidders[n % 8], amount)[0]

    statuses = Counter(_all_at_once([bid(n) for n in range(32)]))

    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] >= 1
    replayed = on_cluster(cluster, "lot_replayed", lot=auction["lot"])
    assert replayed["differences"] == []
    assert replayed["bid_count"] >= statuses[201]


class _Watcher(threading.Thread):
    """One server-sent-event stream of a lot from one node: when each version arrived."""

    def __init__(self, base: str, lot: str):
        super().__init__(daemon=True)
        host, port = base.removeprefix("http://").split(":")
        self.address, self.path = (host, int(port)), f"/auctions/lots/{lot}/events"
        self.arrivals: dict[int, float] = {}
        self.connected = threading.Event()
        self.conn = socket.create_connection(self.address, timeout=30)
        self.conn.settimeout(None)  # blocking reads; ``stop`` ends them

    def run(self) -> None:
        self.conn.sendall(
            f"GET {self.path} HTTP/1.0\r\nHost: 127.0.0.1\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        version = None
        with self.conn.makefile("rb") as reader:
            for line in reader:
                if line.startswith(b"HTTP/") and b" 200 " not in line:
                    return
                if line.startswith(b"id: "):
                    version = int(line[4:])
                elif line.startswith(b"data: ") and version is not None:
                    self.arrivals.setdefault(version, time.monotonic())
                    self.connected.set()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.shutdown(socket.SHUT_RDWR)
        self.join(timeout=10)
        self.conn.close()


def test_watchers_on_one_node_see_bids_placed_on_the_other_within_a_second(cluster):
    bidders = on_cluster(cluster, "buyers", prefix="xnode-live", count=2)
    auction = on_cluster(cluster, "lot", title="xnode-live", tokens=bidders, amounts=24)
    watchers = [_Watcher(cluster.node_url(i), auction["lot"]) for i in range(2)]
    for watcher in watchers:
        watcher.start()
    try:
        for watcher in watchers:
            assert watcher.connected.wait(timeout=20), "no stream (its first event)"
        delays = []
        for n in range(6):
            placed_on = n % 2  # each bid on one node, watched on the other
            version = auction["version"] + n + 1
            status, answered = _bid(
                cluster.node_url(placed_on), auction["lot"], bidders[n % 2], auction["grid"][n * 4]
            )
            assert status == 201
            watcher = watchers[1 - placed_on]
            _until(lambda w=watcher, v=version: v in w.arrivals, within=10, every=0.02)
            assert version in watcher.arrivals, f"bid {n} never reached the other node"
            # It may arrive before the bidder's answer does: no delay then.
            delays.append(max(0.0, watcher.arrivals[version] - answered))
            time.sleep(0.3)
    finally:
        for watcher in watchers:
            watcher.stop()
    assert max(delays) < 1.0, [round(d, 3) for d in delays]


# --- the doors and the seats -------------------------------------------------------------------


def test_a_ticket_scanned_at_two_gates_on_two_nodes_at_once_enters_once(cluster):
    doors = on_cluster(cluster, "two_gates", title="xnode-doors", tickets=6)
    east, west = doors["gates"]

    def scan(code: str, gate: dict, base: str):
        return lambda: call(
            "POST",
            f"{base}/api/v1/checkin/lists/{gate['list']}/scans",
            token=gate["token"],
            body={"scan_id": str(uuid.uuid4()), "payload": code, "direction": "entry"},
        )

    scans = []
    for n, code in enumerate(doors["codes"]):
        scans += [
            scan(code, east, cluster.node_url(n % 2)),
            scan(code, west, cluster.node_url(1 - n % 2)),
        ]
    answers = _all_at_once(scans)

    assert {status for status, _body, _ in answers} == {200}
    for n in range(len(doors["codes"])):
        at_east, at_west = answers[2 * n][1], answers[2 * n + 1][1]
        assert sorted([at_east["outcome"], at_west["outcome"]]) == [
            "accepted",
            "already_checked_in",
        ]
        assert [at_east["ok"], at_west["ok"]].count(True) == 1
    entries = on_cluster(cluster, "entries_of", session=doors["session"])
    assert entries["checkins"] == 6
    assert entries["entered_more_than_once"] == 0


def test_a_reservation_rush_on_both_nodes_takes_exactly_the_sessions_seats(cluster):
    capacity, visitors = 10, 36
    talk = on_cluster(cluster, "session", title="xnode-talk", capacity=capacity)
    tokens = on_cluster(cluster, "buyers", prefix="xnode-visitor", count=visitors)
    bases = _bases(cluster)

    def reserve(n: int):
        return lambda: call(
            "POST",
            f"{bases[n % 3]}/api/v1/events/sessions/{talk['session']}/reservations",
            token=tokens[n],
            body={"seats": 1},
        )[0]

    statuses = Counter(_all_at_once([reserve(n) for n in range(visitors)]))

    assert statuses == {201: capacity, 409: visitors - capacity}, statuses
    seats = on_cluster(cluster, "seats_of", session=talk["session"])
    assert (seats["confirmed"], seats["held"]) == (capacity, 0)
    assert seats["reservations"] == seats["confirmed_reservations"] == capacity
    assert seats["tickets"] == capacity
    assert seats["problems"] == []


# --- the sweepers on both workers ------------------------------------------------------------


def _sweepers_due_now(cluster) -> None:
    names = ", ".join(f"'{name}'" for name in SWEEPERS)
    psql(
        cluster,
        "primary",
        "UPDATE core_periodictaskrun SET next_run_at = now() - interval '1 second' "
        f"WHERE name IN ({names})",
    )


# The sweepers' selections of due rows, as the primary logs every statement (its lines
# start "<date> <time> <zone> [<backend pid>]"; each worker keeps its own connection).
_SWEEP_SELECTIONS = (
    'FROM "orders_checkout" WHERE ("orders_checkout"."expires_at" <=',
    'FROM "events_reservation" WHERE ("events_reservation"."hold_expires_at" <=',
)


def _sweeping_backends(cluster, since: int) -> set[str]:
    """The database backends that ran a holds sweeper after ``since`` characters of log."""
    lines = cluster.server_log("primary")[since:].splitlines()
    return {
        line.split()[3]
        for line in lines
        if any(selection in line for selection in _SWEEP_SELECTIONS) and len(line.split()) > 3
    }


def test_sweepers_on_both_workers_expire_each_hold_once_and_reconcile_each_payment_once(
    cluster,
):
    holds, paid = 15, 10
    log_mark = len(cluster.server_log("primary"))
    work = on_cluster(cluster, "due_for_sweeping", name="xnode-sweep", holds=holds, paid=paid)

    # Both workers poll every second: made due again and again, the sweeps are claimed by
    # one worker and then the other, over the same rows, until both have swept (and for
    # a few seconds at least).
    started = time.monotonic()
    while time.monotonic() - started < 4 or (
        len(_sweeping_backends(cluster, log_mark)) < 2 and time.monotonic() - started < 60
    ):
        _sweepers_due_now(cluster)
        time.sleep(0.2)
    assert len(_sweeping_backends(cluster, log_mark)) >= 2  # both workers swept

    def settled():
        now = on_cluster(cluster, "swept", work=work)
        done = (
            now["checkouts"] == {"expired": holds}
            and now["reservations"] == {"expired": holds}
            and now["payments"] == {"paid": paid}
        )
        return now if done else None

    result = _until(settled, within=90, every=1) or on_cluster(cluster, "swept", work=work)
    assert result["checkouts"] == {"expired": holds}, result
    assert result["reservations"] == {"expired": holds}, result
    assert result["payments"] == {"paid": paid}, result
    assert sorted(result["checkouts_expired_audits"].values()) == [1] * holds
    assert sorted(result["reservations_expired_audits"].values()) == [1] * holds
    assert sorted(result["payments_paid_audits"].values()) == [1] * paid
    assert sorted(result["credits"].values()) == [1] * paid  # one ledger credit each
    assert result["stock"] == {"available": holds, "held": 0}  # back on sale once
    assert result["problems"] == []


# --- idempotency keys ------------------------------------------------------------------------


def _checkout(base: str, token: str, sku: str, key: str, quantity: int = 1):
    status, body, _headers = call(
        "POST",
        f"{base}/api/v1/checkout",
        token=token,
        body={"lines": [{"sku": sku, "quantity": quantity}], "delivery": "pickup"},
        headers={"Idempotency-Key": key},
    )
    return status, body


def test_an_idempotency_key_replayed_on_the_other_node_gets_the_first_answer(cluster):
    item = on_cluster(cluster, "sku", name="xnode-idem", stock=20)
    (token,) = on_cluster(cluster, "buyers", prefix="xnode-idem", count=1)

    first = _checkout(cluster.node_url(0), token, item["sku"], "xnode-key-1")
    again = _checkout(cluster.node_url(1), token, item["sku"], "xnode-key-1")
    other_request = _checkout(cluster.node_url(1), token, item["sku"], "xnode-key-1", quantity=2)

    assert first[0] == 201
    assert again[0] == 201
    assert again[1]["public_id"] == first[1]["public_id"]
    assert again[1]["total_fen"] == first[1]["total_fen"]
    assert other_request[0] == 409
    assert other_request[1]["error"]["code"] == "idempotency_key_reused"
    assert on_cluster(cluster, "checkouts_of", idempotency_key="xnode-key-1") == {
        "keys": 1,
        "checkouts": [first[1]["public_id"]],
    }


def test_one_idempotency_key_sent_to_both_nodes_at_once_makes_one_checkout(cluster):
    item = on_cluster(cluster, "sku", name="xnode-twice", stock=20)
    tokens = on_cluster(cluster, "buyers", prefix="xnode-twice", count=5)

    requests = []
    for n, token in enumerate(tokens):
        for node in (0, 1):
            requests.append(
                lambda t=token, n=n, node=node: _checkout(
                    cluster.node_url(node), t, item["sku"], f"xnode-twice-{n}"
                )
            )
    answers = _all_at_once(requests)

    for n in range(len(tokens)):
        on_node_0, on_node_1 = answers[2 * n], answers[2 * n + 1]
        assert (on_node_0[0], on_node_1[0]) == (201, 201), (on_node_0, on_node_1)
        assert on_node_0[1]["public_id"] == on_node_1[1]["public_id"]
    stock = on_cluster(cluster, "stock_of", sku=item["sku"])
    assert (stock["orders"], stock["held"], stock["available"]) == (5, 5, 15)
    assert stock["books"] == []
