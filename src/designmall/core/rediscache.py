"""Django's Redis cache, with one Redis client per connection pool instead of one per call,
and the show going on while Redis is away.

Django's ``RedisCacheClient.get_client`` makes a new ``redis.Redis`` for every
cache operation, and each one builds its table of ~170 response callbacks: about
0.15 ms of Python per call, several times per page. A ``redis.Redis`` is safe to
share between threads (each command borrows a connection from the pool), so one
per pool is kept. The pool checks its process id, so a forked worker still gets
connections of its own.

When Redis cannot be reached, the cache is a cache that keeps nothing: reads miss, writes
are dropped, ``add`` and ``incr`` answer as for a first call (rate limits and throttles
open rather than lock everyone out), and pages are drawn from the database. After a
failure the process leaves Redis alone for ``REDIS_RETRY_SECONDS`` instead of paying a
connect timeout per call, then tries again: a restarted Redis is used again without
restarting the web nodes.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from designmall.core.metrics import redis_timer

logger = logging.getLogger(__name__)


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError, OSError)


class KeptClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._errors = _redis_errors()
        self._down_until = 0.0
        self._lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client

    # --- Redis away: answer as an empty cache ------------------------------------------

    def _guarded(self, method, fallback, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        except self._errors as error:
            with self._lock:
                if time.monotonic() >= self._down_until:
                    logger.warning("Redis unreachable, the cache keeps nothing for now: %s", error)
                self._down_until = time.monotonic() + settings.REDIS_RETRY_SECONDS
            return fallback
        finally:
            redis_timer(method.__name__).observe(time.perf_counter() - started)

    def get(self, key, default):
        return self._guarded(super().get, default, key, default)

    def get_many(self, keys):
        return self._guarded(super().get_many, {}, keys)

    def has_key(self, key):
        return self._guarded(super().has_key, False, key)

    def set(self, key, value, timeout):
        return self._guarded(super().set, None, key, value, timeout)

    def set_many(self, data, timeout):
        return self._guarded(super().set_many, None, data, timeout)

    def add(self, key, value, timeout):
        return self._guarded(super().add, True, key, value, timeout)

    def touch(self, key, timeout):
        return self._guarded(super().touch, False, key, timeout)

    def delete(self, key):
        return self._guarded(super().delete, False, key)

    def delete_many(self, keys):
        return self._guarded(super().delete_many, None, keys)

    def incr(self, key, delta):
        return self._guarded(super().incr, delta, key, delta)

    def clear(self):
        return self._guarded(super().clear, False)

    def counts(self, keys: list[tuple[str, int]]) -> list[int]:
        """Add one to each ``(made key, seconds to live)`` (created with that lifetime when
        new) in one round trip; the new counts. Redis away: each counts as the first."""

        def count() -> list[int]:
            pipe = self.get_client(keys[0][0], write=True).pipeline(transaction=False)
            for key, ttl in keys:
                pipe.set(key, 0, ex=ttl, nx=True)
                pipe.incr(key)
            return [int(n) for n in pipe.execute()[1::2]]

        return self._guarded(count, [1] * len(keys))


class KeptClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
