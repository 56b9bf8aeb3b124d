"""The Redis cache keeps one client per connection pool and otherwise behaves as Django's."""

from __future__ import annotations

import secrets
import threading

import pytest

from designmall.core.rediscache import KeptClientRedisCache

redis = pytest.importorskip("redis")

REDIS_TEST_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def cache():
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis at " + REDIS_TEST_URL)
    found = KeptClientRedisCache(REDIS_TEST_URL, {"KEY_PREFIX": f"t{secrets.token_hex(4)}"})
    yield found
    found.clear()


def test_values_round_trip(cache):
    cache.set("a", {"fen": 129_900}, 30)
    cache.set_many({"b": [1, 2], "c": "三"}, 30)

    assert cache.get_many(["a", "b", "c", "missing"]) == {
        "a": {"fen": 129_900},
        "b": [1, 2],
        "c": "三",
    }


def test_every_call_is_served_by_one_client(cache):
    first = cache._cache.get_client("x")

    assert cache._cache.get_client("y", write=True) is first


def test_threads_share_the_client_and_each_reads_its_own_values(cache):
    failures = []

    def work(n: int) -> None:
        for i in range(50):
            cache.set(f"k{n}:{i}", n * 1000 + i, 30)
            if cache.get(f"k{n}:{i}") != n * 1000 + i:
                failures.append((n, i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
