"""While Redis is away the cache keeps nothing and nothing fails; when it is back, it is used."""

import socket

import pytest
import redis
from django.test import override_settings

from designmall.core.rediscache import KeptClientRedisCache

OPTIONS = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def away():
    return KeptClientRedisCache(f"redis://127.0.0.1:{_closed_port()}/0", {"OPTIONS": OPTIONS})


def test_reads_miss_and_writes_are_dropped(away):
    away.set("k", "v")
    assert away.get("k", "default") == "default"
    assert away.get_many(["k", "j"]) == {}
    assert away.has_key("k") is False
    away.delete("k")


def test_add_and_incr_answer_as_for_a_first_call(away):
    assert away.add("count", 0) is True
    assert away.incr("count", 1) == 1


def test_after_a_failure_redis_is_left_alone_for_a_while(away, monkeypatch):
    away.get("k")
    client = away._cache
    monkeypatch.setattr(client, "get_client", lambda *a, **k: pytest.fail("Redis was asked"))
    assert away.get("k", "default") == "default"


def _redis_here() -> bool:
    try:
        return redis.Redis(socket_connect_timeout=0.2).ping()
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_here(), reason="no Redis on 127.0.0.1:6379")
@override_settings(REDIS_RETRY_SECONDS=0)
def test_a_redis_that_is_back_is_used_again():
    cache = KeptClientRedisCache("redis://127.0.0.1:6379/0", {"OPTIONS": OPTIONS})
    client = cache._cache
    client._down_until = float("inf")  # as after a failure
    cache.set("rediscache-away-probe", "v")
    assert cache.get("rediscache-away-probe") is None
    client._down_until = 0.0  # the retry period is over
    cache.set("rediscache-away-probe", "v", 5)
    assert cache.get("rediscache-away-probe") == "v"
    cache.delete("rediscache-away-probe")


def test_rate_limit_counts_answer_as_first_calls_while_redis_is_away(away):
    assert away._cache.counts([("a", 60), ("b", 60)]) == [1, 1]
