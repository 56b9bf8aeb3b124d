"""The live layer's publishing side: Redis pub-sub when configured (one channel per lot),
nothing otherwise, never failing a bid, only after the commit."""

from __future__ import annotations

import json

import pytest
import redis

from designmall.auctions import live
from tests.auctions.conftest import bid

pytestmark = pytest.mark.django_db


class FakeRedis:
    def __init__(self, fail: bool = False):
        self.fail = fail
        self.published: list[tuple[str, str]] = []

    def publish(self, channel, message):
        if self.fail:
            raise redis.ConnectionError("down")
        self.published.append((channel, message))


@pytest.fixture
def fresh_publishers(monkeypatch):
    monkeypatch.setattr(live, "_publishers", {})


def test_without_redis_nothing_is_sent(settings, fresh_publishers):
    settings.REDIS_URL = ""

    assert isinstance(live.publisher(), live.NullPublisher)


def test_with_redis_each_lot_has_its_own_channel(
    settings, fresh_publishers, monkeypatch, lot, alice, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://127.0.0.1:6399/0"
    fake = FakeRedis()
    monkeypatch.setattr(redis.Redis, "from_url", classmethod(lambda cls, url, **kw: fake))

    with django_capture_on_commit_callbacks(execute=True):
        bid(lot, alice, 1_000)

    ((channel, body),) = fake.published
    assert channel == f"designmall:auctions:lot:{lot.public_id}" == live.channel(lot.public_id)
    message = json.loads(body)
    assert (message["lot"], message["price_fen"], message["bid_count"]) == (
        lot.public_id,
        100_000,
        1,
    )


def test_a_redis_failure_never_fails_the_bid(
    settings, fresh_publishers, monkeypatch, lot, alice, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://127.0.0.1:6399/0"
    monkeypatch.setattr(
        redis.Redis, "from_url", classmethod(lambda cls, url, **kw: FakeRedis(fail=True))
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert bid(lot, alice, 1_000).leading


def test_nothing_is_published_before_the_commit(lot, alice, published):
    bid(lot, alice, 1_000)  # the test's transaction never commits

    assert published.messages == []
