"""core.ratelimit: fixed windows per user and per address in the shared cache."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.test import RequestFactory

from designmall.core import clock, ratelimit
from designmall.core.errors import TooManyRequests
from designmall.core.ratelimit import Rate, parse_rate, rate_limit, rate_limited
from designmall.core.rediscache import KeptClientRedisCache
from tests.core.test_rediscache import REDIS_TEST_URL

pytestmark = pytest.mark.django_db


class User:
    is_authenticated = True

    def __init__(self, pk: int):
        self.pk = pk


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(datetime(2026, 11, 20, 10, 0, 45, tzinfo=UTC))


def refusal(scope, **who) -> TooManyRequests:
    with pytest.raises(TooManyRequests) as caught:
        rate_limit(scope, **who)
    return caught.value


@pytest.mark.parametrize(
    ("text", "rate"),
    [("30/60", Rate(30, 60)), ("5", Rate(5, 1)), ("0", None), ("off", None), ("", None)],
)
def test_rates_are_read_as_requests_per_seconds(text, rate):
    assert parse_rate(text) == rate


def test_a_user_over_the_limit_is_refused_until_the_window_ends(settings):
    settings.RATE_LIMITS = {"bid": {"user": "3/60"}}
    for _ in range(3):
        rate_limit("bid", user=User(1))

    error = refusal("bid", user=User(1))

    assert (error.code, error.status, error.retry_after) == ("rate_limited", 429, 15)
    assert error.details == {"scope": "bid", "retry_after": 15}
    rate_limit("bid", user=User(2))
    clock.advance(timedelta(seconds=15))
    rate_limit("bid", user=User(1))


def test_an_address_over_the_limit_is_refused_whoever_asks(settings):
    settings.RATE_LIMITS = {"bid": {"address": "2/60"}}
    rate_limit("bid", user=User(1), address="10.0.0.1")
    rate_limit("bid", user=User(2), address="10.0.0.1")

    refusal("bid", user=User(3), address="10.0.0.1")
    rate_limit("bid", user=User(3), address="10.0.0.2")


def test_the_longest_wait_of_the_limits_passed_is_the_retry_after(settings):
    settings.RATE_LIMITS = {"register": {"user": "1/60", "address": "1/3600"}}
    rate_limit("register", user=User(1), address="10.0.0.1")

    assert refusal("register", user=User(1), address="10.0.0.1").retry_after == 3600 - 45


def test_scopes_are_counted_apart(settings):
    settings.RATE_LIMITS = {"bid": {"user": "1/60"}, "checkout": {"user": "1/60"}}
    rate_limit("bid", user=User(1))
    rate_limit("checkout", user=User(1))


def test_anonymous_callers_count_by_address_only(settings):
    class Anonymous:
        is_authenticated = False
        pk = None

    settings.RATE_LIMITS = {"reservation": {"user": "1/60"}}
    for _ in range(3):
        rate_limit("reservation", user=Anonymous(), address="10.0.0.1")


def test_no_limits_when_switched_off_or_unset(settings):
    settings.RATE_LIMITS = {"bid": {"user": "1/60"}}
    settings.RATE_LIMITS_ENABLED = False
    for _ in range(3):
        rate_limit("bid", user=User(1))
    settings.RATE_LIMITS_ENABLED = True
    for _ in range(3):
        rate_limit("unknown-scope", user=User(1))


def test_the_decorator_counts_only_changes_and_reads_user_and_address(settings):
    settings.RATE_LIMITS = {"bid": {"user": "1/60"}}
    seen = []

    @rate_limited("bid")
    def view(request, public_id: str):
        seen.append(public_id)
        return "ok"

    factory = RequestFactory()
    for _ in range(3):
        get = factory.get("/")
        get.user = User(1)
        assert view(get, "a") == "ok"
    post = factory.post("/")
    post.user = User(1)
    view(post, "b")
    post.auth = User(1)  # the API's caller
    with pytest.raises(TooManyRequests):
        view(post, "c")
    assert seen == ["a", "a", "a", "b"]


def test_the_decorated_view_keeps_its_signature_with_resolved_annotations():
    import inspect

    @rate_limited("bid")
    def view(request, public_id: str, seats: int = 1):
        return None

    parameters = inspect.signature(view).parameters
    assert [p.annotation for p in parameters.values()][1:] == [str, int]


def test_the_settings_have_a_limit_for_each_abused_action(settings):
    from designmall import settings as defaults

    assert set(defaults.RATE_LIMITS) == {
        *("checkout", "reservation", "bid", "register", "login", "deal_buy"),
    }
    assert all(
        ratelimit.parse_rate(v)
        for limits in defaults.RATE_LIMITS.values()
        for v in [limits["address"]]
    )


# --- on Redis -----------------------------------------------------------------------------


@pytest.fixture
def redis_cache(monkeypatch):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis at " + REDIS_TEST_URL)
    found = KeptClientRedisCache(REDIS_TEST_URL, {"KEY_PREFIX": f"t{secrets.token_hex(4)}"})
    monkeypatch.setattr(ratelimit, "_backend", lambda: found)
    yield found
    found.clear()


def test_on_redis_parallel_requests_are_each_counted_once(settings, redis_cache):
    settings.RATE_LIMITS = {"checkout": {"user": "50/60", "address": "1000/60"}}
    outcomes = []

    def hit():
        try:
            rate_limit("checkout", user=User(7), address="10.0.0.1")
            outcomes.append("ok")
        except TooManyRequests:
            outcomes.append("refused")

    threads = [threading.Thread(target=hit) for _ in range(80)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 50 and outcomes.count("refused") == 30


def test_the_redis_backend_behind_the_cache_proxy_is_found(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "designmall.core.rediscache.KeptClientRedisCache",
            "LOCATION": REDIS_TEST_URL,
        }
    }
    assert isinstance(ratelimit._backend(), KeptClientRedisCache)


def test_on_redis_a_count_expires_with_its_window(settings, redis_cache):
    settings.RATE_LIMITS = {"bid": {"user": "1/60"}}
    rate_limit("bid", user=User(1))

    keys = list(redis_cache._cache.get_client(None).scan_iter(match="*rl:bid:*"))
    ttl = redis_cache._cache.get_client(None).ttl(keys[0])

    assert len(keys) == 1 and 0 < ttl <= 61
