"""Live fan-out within one web process: one Redis subscription for every stream, one read
of the lot per version for all of its watchers, and database polling while Redis is away."""

from __future__ import annotations

import json
import os
import threading
import time
from types import SimpleNamespace

import pytest

from designmall.auctions import fanout, live
from designmall.auctions.stream import Viewer, lot_event_stream
from tests.auctions.conftest import bid, fresh, yuan
from tests.auctions.test_stream import REDIS_TEST_URL, events_of

redis = pytest.importorskip("redis")


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis at " + REDIS_TEST_URL)
    yield client
    client.close()


@pytest.fixture
def hub(redis_client):
    """A hub of its own (not the process's shared one), listening."""
    found = fanout.LotHub(REDIS_TEST_URL)
    found._ensure_started()
    with found.condition:
        assert found.condition.wait_for(lambda: found.connected, timeout=5)
    yield found
    found.stop()


def publish(client, public_id: str, version: int, outbid=()) -> None:
    message = {"lot": public_id, "version": version, "outbid": list(outbid)}
    client.publish(live.channel(public_id), json.dumps(message))


def wait_in_thread(subscription, seen: int, timeout: float = 5.0):
    """Start ``subscription.wait`` in a thread; returns (thread, result holder)."""
    result: dict = {}

    def run():
        result["value"] = subscription.wait(
            seen, timeout, read_version=lambda: None, poll_seconds=timeout
        )

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def waiting(hub: fanout.LotHub, public_id: str, count: int) -> None:
    """Give the waiting threads a moment to be inside ``wait`` before publishing."""
    time.sleep(0.2)
    assert hub.lots[public_id].watchers == count


def test_a_message_wakes_every_stream_watching_that_lot(hub, redis_client):
    first, second = hub.watch("lot_a1"), hub.watch("lot_a1")
    waits = [wait_in_thread(first, seen=3), wait_in_thread(second, seen=3)]
    waiting(hub, "lot_a1", 2)

    publish(redis_client, "lot_a1", 4, outbid=["u_alice"])
    for thread, _ in waits:
        thread.join(5)

    assert [result["value"] for _, result in waits] == [(True, ["u_alice"])] * 2


def test_a_message_for_another_lot_wakes_nobody(hub, redis_client):
    subscription = hub.watch("lot_b1")

    publish(redis_client, "lot_b2", 9)
    changed, outbid = subscription.wait(0, 0.5, read_version=lambda: None, poll_seconds=1)

    assert (changed, outbid) == (False, [])


def test_one_subscription_serves_every_stream_of_the_process(redis_client):
    url = REDIS_TEST_URL
    shared = fanout.hub(url)
    subscriptions = [shared.watch(f"lot_c{n}") for n in range(20)]
    assert fanout.wait_connected(url)

    name = f"{fanout.CLIENT_NAME}:{os.getpid()}"
    mine = [c for c in redis_client.client_list() if c["name"] == name]
    for subscription in subscriptions:
        subscription.close()

    assert fanout.hub(url) is shared
    assert len(mine) == 1


def test_the_watchers_of_a_lot_share_one_read_per_version(hub, redis_client):
    reads = []

    def read_row():
        reads.append(1)
        return SimpleNamespace(version=5)

    watchers = [hub.watch("lot_d1") for _ in range(50)]
    publish(redis_client, "lot_d1", 5)
    time.sleep(0.2)
    rows = [watcher.read(4, read_row) for watcher in watchers]

    assert len(reads) == 1
    assert {row.version for row in rows} == {5}


def test_a_shared_read_older_than_the_version_announced_is_read_again(hub, redis_client):
    versions = iter([5, 6])
    first, second = hub.watch("lot_e1"), hub.watch("lot_e1")
    first.read(4, lambda: SimpleNamespace(version=next(versions)))

    publish(redis_client, "lot_e1", 6)
    time.sleep(0.2)
    row = second.read(5, lambda: SimpleNamespace(version=next(versions)))

    assert row.version == 6


def test_the_stream_outbid_list_covers_every_version_since_it_last_looked(hub, redis_client):
    subscription = hub.watch("lot_f1")
    publish(redis_client, "lot_f1", 7, outbid=["u_bob"])
    publish(redis_client, "lot_f1", 8, outbid=["u_carol"])
    time.sleep(0.2)

    changed, outbid = subscription.wait(6, 1, read_version=lambda: None, poll_seconds=1)

    assert changed is True
    assert outbid == ["u_bob", "u_carol"]


def test_streams_poll_the_database_while_redis_is_unreachable():
    unreachable = fanout.LotHub("redis://127.0.0.1:1/0")
    subscription = unreachable.watch("lot_g1")
    read = []

    changed, _ = subscription.wait(3, 5, read_version=lambda: read.append(1) or 4, poll_seconds=0.1)
    unreachable.stop()

    assert changed is True and read == [1]
    assert unreachable.connected is False


def test_a_new_subscription_makes_waiting_streams_read_again(hub):
    subscription = hub.watch("lot_h1")
    hub._set_connected(False)
    hub._set_connected(True)  # as after Redis comes back: what was published meanwhile is lost

    changed, _ = subscription.wait(3, 1, read_version=lambda: None, poll_seconds=1)

    assert changed is True


def test_unwatched_lots_are_forgotten(hub):
    subscription = hub.watch("lot_i1")
    subscription.close()

    assert "lot_i1" not in hub.lots


def test_two_viewers_in_one_process_both_get_a_bid_through_the_shared_subscription(
    lot, alice, bob, redis_client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = REDIS_TEST_URL
    monkeypatch.setattr(live, "_publishers", {})
    bid(lot, alice, 1_000)
    assert fanout.wait_connected(REDIS_TEST_URL)
    streams = [
        lot_event_stream(lot=fresh(lot), viewer=viewer, redis_url=REDIS_TEST_URL, max_seconds=10)
        for viewer in (Viewer.of(alice, lot), Viewer())
    ]
    for frames in streams:
        next(frames)  # the retry hint
        next(frames)  # the current state

    with django_capture_on_commit_callbacks(execute=True):
        bid(lot, bob, 3_000)
    alice_event, anonymous_event = (events_of([next(frames)])[0] for frames in streams)
    for frames in streams:
        frames.close()

    assert alice_event["price_fen"] == anonymous_event["price_fen"] == yuan(1_100)
    assert alice_event["you"] == {"leading": False, "outbid": True, "just_outbid": True}
    assert anonymous_event["you"] is None
