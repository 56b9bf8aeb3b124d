"""The live stream of a lot: server-sent events carrying the public state and the viewer's
own side, from database polling (the embedded default) or Redis pub-sub."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from designmall.auctions import live, stream
from designmall.auctions.stream import Viewer, lot_event_stream, parse_last_event_id
from tests.auctions.conftest import bid, fresh, yuan

pytestmark = pytest.mark.django_db

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


class FakeTime:
    """A monotonic clock that only the stream's own sleeps move."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def events_of(frames: list[str]) -> list[dict]:
    return [json.loads(frame.split("data: ", 1)[1]) for frame in frames if frame.startswith("id: ")]


def polling_stream(lot, viewer=None, **kw):
    fake = FakeTime()
    kw = {"poll_seconds": 1, "keepalive_seconds": 15, "max_seconds": 120, **kw}
    frames = lot_event_stream(
        lot=lot,
        viewer=viewer or Viewer(),
        redis_url="",
        monotonic=fake.monotonic,
        sleep=fake.sleep,
        **kw,
    )
    return frames, fake


def test_the_stream_starts_with_the_retry_hint_and_the_current_state(lot, alice):
    bid(lot, alice, 2_000)
    frames, _ = polling_stream(fresh(lot))

    assert next(frames) == f"retry: {stream.RETRY_MS}\n\n"
    first = next(frames)

    assert first.startswith(f"id: {fresh(lot).version}\nevent: lot\ndata: ")
    (event,) = events_of([first])
    assert (event["price_fen"], event["bid_count"], event["state"]) == (yuan(1_000), 1, "open")
    assert event["leader"].startswith("竞拍者 ") and event["you"] is None


def test_a_bid_is_sent_to_watchers_polling_the_database(lot, alice, bob):
    bid(lot, alice, 2_000)
    frames, fake = polling_stream(fresh(lot))
    next(frames), next(frames)

    bid(lot, bob, 1_500)
    (event,) = events_of([next(frames)])

    assert event["price_fen"] == yuan(1_600) and event["bid_count"] == 2
    assert event["version"] == fresh(lot).version
    assert fake.now - 1000.0 <= 1  # found at the first poll


def test_the_viewer_is_told_when_outbid_and_never_anyone_s_id(lot, alice, bob):
    bid(lot, alice, 1_000)
    frames, _ = polling_stream(fresh(lot), Viewer.of(alice, lot))
    next(frames)
    (leading,) = events_of([next(frames)])

    bid(lot, bob, 2_000)
    (outbid,) = events_of([next(frames)])

    assert leading["you"] == {"leading": True, "outbid": False, "just_outbid": False}
    assert outbid["you"] == {"leading": False, "outbid": True, "just_outbid": True}
    text = json.dumps(outbid)
    assert alice.public_id not in text and bob.public_id not in text


def test_a_reconnect_with_the_current_version_sends_only_keep_alives(lot, alice):
    bid(lot, alice, 1_000)
    frames, fake = polling_stream(fresh(lot), last_version=fresh(lot).version)
    next(frames)

    assert next(frames) == ": keep-alive\n\n"
    assert 15 <= fake.now - 1000.0 <= 16


def test_the_stream_ends_after_its_lifetime(lot):
    frames, fake = polling_stream(lot, max_seconds=40)

    rest = list(frames)

    assert rest[0].startswith("retry:") and rest[1].startswith("id: ")
    assert rest[2:] == [": keep-alive\n\n", ": keep-alive\n\n"]
    assert fake.now - 1000.0 == pytest.approx(40)


@pytest.mark.django_db(transaction=True)
def test_the_stream_gives_the_database_connection_back_between_polls(lot, monkeypatch):
    closed = []
    real_close = connection.close
    monkeypatch.setattr(connection, "close", lambda: closed.append(1) or real_close())
    frames, _ = polling_stream(lot, max_seconds=5)

    next(frames), next(frames)
    after_first = len(closed)
    list(frames)

    assert after_first >= 2  # after the view's reads, and after reading the lot
    assert len(closed) >= after_first + 5  # once per poll


@pytest.mark.parametrize(
    ("header", "version"),
    [(None, None), ("12", 12), (" 7 ", 7), ("x", None), ("-1", None), ("9" * 40, None)],
)
def test_last_event_id_is_a_version_or_nothing(header, version):
    assert parse_last_event_id(header) == version


def test_the_events_url_streams_server_sent_events(lot, alice, settings):
    settings.AUCTION_STREAM_MAX_SECONDS = 0.01
    client = Client()
    client.force_login(alice)

    response = client.get(f"/auctions/lots/{lot.public_id}/events", HTTP_LAST_EVENT_ID="")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"] == "no-cache, no-transform"
    body = b"".join(response.streaming_content).decode()
    (event,) = events_of(body.split("\n\n"))
    assert event["lot"] == lot.public_id and event["you"]["leading"] is False


def test_when_the_process_holds_all_its_streams_a_watcher_is_told_to_poll(lot, settings):
    settings.AUCTION_STREAMS_PER_PROCESS = 1
    settings.AUCTION_STREAM_MAX_SECONDS = 0.01
    held = Client().get(f"/auctions/lots/{lot.public_id}/events")

    refused = Client().get(f"/auctions/lots/{lot.public_id}/events")
    b"".join(held.streaming_content)  # the stream ends, and the server closes it
    after = Client().get(f"/auctions/lots/{lot.public_id}/events")
    b"".join(after.streaming_content)

    assert held.status_code == 200 and after.status_code == 200
    assert refused.status_code == 503 and refused["Retry-After"] == "30"
    assert stream.slots.open == 0


def test_a_stream_closed_before_it_was_read_gives_its_slot_back():
    assert stream.slots.take()
    frames = stream.SlotHeld(iter(["retry: 2000\n\n"]))

    frames.close()
    frames.close()

    assert stream.slots.open == 0


def test_the_events_of_an_absent_lot_are_404(client):
    assert client.get("/auctions/lots/lot_0000000000000000/events").status_code == 404


# --- Redis ----------------------------------------------------------------------------------


@pytest.fixture
def redis_url(settings, monkeypatch):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis at " + REDIS_TEST_URL)
    settings.REDIS_URL = REDIS_TEST_URL
    monkeypatch.setattr(live, "_publishers", {})
    return REDIS_TEST_URL


def test_a_bid_reaches_the_stream_through_redis(
    lot, alice, bob, redis_url, django_capture_on_commit_callbacks
):
    bid(lot, alice, 1_000)
    frames = lot_event_stream(
        lot=fresh(lot),
        viewer=Viewer.of(alice, lot),
        redis_url=redis_url,
        keepalive_seconds=5,
        max_seconds=10,
    )
    next(frames)
    (first,) = events_of([next(frames)])  # subscribed by now

    with django_capture_on_commit_callbacks(execute=True):
        bid(lot, bob, 3_000)
    (event,) = events_of([next(frames)])
    frames.close()

    assert first["you"]["leading"] is True
    assert event["price_fen"] == yuan(1_100) and event["version"] == fresh(lot).version
    assert event["you"] == {"leading": False, "outbid": True, "just_outbid": True}
