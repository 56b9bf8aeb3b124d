"""Rate limits per user and per client address, counted in the shared cache.

``rate_limit(scope, user=..., address=...)`` is the one check: it counts one
request of ``scope`` for the user and for the address, and raises
``TooManyRequests`` (``code="rate_limited"``, with ``retry_after``) when either
is over its limit. ``@rate_limited(scope)`` applies it to a view or an API
operation (only to the methods that change something, POST by default); the API
answers 429 in its error shape with ``Retry-After``, and pages show a readable
page (``storefront.middleware``).

The limits are settings: ``RATE_LIMITS[scope] = {"user": "N/S", "address": "N/S"}``,
N requests in S seconds (``"0"`` or a missing entry: no limit), and
``RATE_LIMITS_ENABLED`` switches them all (off only for benchmarks that play thousands
of buyers from one address).

Counting is a fixed window per limit (the window's number is part of the key, so a
count ends with its window and ``Retry-After`` is the time to the next one), in the
cache every process shares: with ``REDIS_URL``, one round trip (``SET NX EX`` and
``INCR`` for every key, pipelined), exact under concurrency; otherwise Django's
cache (the database cache in the embedded tier), whose increment is a read and a
write, so concurrent requests may count a little less than they are.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.utils.translation import gettext as _

from designmall.core import clock
from designmall.core.errors import TooManyRequests
from designmall.core.rediscache import KeptClientRedisCache

KINDS = ("user", "address")


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int


def parse_rate(value: Any) -> Rate | None:
    """``"30/60"`` -> 30 requests in 60 seconds; ``None``, ``""``, ``"0"``, ``"off"``: no limit."""
    if value in (None, "", 0, "0", "off"):
        return None
    if isinstance(value, Rate):
        return value
    requests, _slash, seconds = str(value).partition("/")
    rate = Rate(int(requests), int(seconds or 1))
    if rate.requests <= 0 or rate.seconds <= 0:
        return None
    return rate


def rates_of(scope: str) -> dict[str, Rate]:
    """The limits in force for ``scope``, by kind (``"user"``, ``"address"``)."""
    if not getattr(settings, "RATE_LIMITS_ENABLED", True):
        return {}
    configured = getattr(settings, "RATE_LIMITS", {}).get(scope) or {}
    rates = {kind: parse_rate(configured.get(kind)) for kind in KINDS}
    return {kind: rate for kind, rate in rates.items() if rate is not None}


def _backend():
    """The cache backend itself (``django.core.cache.cache`` is a proxy to it)."""
    return caches[DEFAULT_CACHE_ALIAS]


def _count(keys: list[tuple[str, int]]) -> list[int]:
    """Add one to each ``(key, seconds to live)`` and return the new counts."""
    cache = _backend()
    if isinstance(cache, KeptClientRedisCache):
        return cache._cache.counts([(cache.make_and_validate_key(k), ttl) for k, ttl in keys])
    counts = []
    for key, ttl in keys:
        cache.add(key, 0, timeout=ttl)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between the two calls
            cache.set(key, 1, timeout=ttl)
            counts.append(1)
    return counts


def _ident(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:24]


def rate_limit(scope: str, *, user: Any = None, address: str | None = None) -> None:
    """Count one request of ``scope`` for ``user`` (an authenticated user, or None) and
    ``address`` (the client's IP, or None); raise ``TooManyRequests`` ``rate_limited``
    (``retry_after``: seconds to the end of the longest window over its limit) when
    either is over its limit. Refused requests count too: hammering does not shorten
    the wait."""
    rates = rates_of(scope)
    if not rates:
        return
    idents = {
        "user": str(user.pk)
        if user is not None and getattr(user, "is_authenticated", False)
        else None,
        "address": _ident(address) if address else None,
    }
    now = clock.now().timestamp()
    wanted: list[tuple[str, Rate, float]] = []
    for kind, rate in rates.items():
        if idents.get(kind) is None:
            continue
        window = math.floor(now / rate.seconds)
        ends = (window + 1) * rate.seconds
        wanted.append((f"rl:{scope}:{kind}:{idents[kind]}:{rate.seconds}:{window}", rate, ends))
    if not wanted:
        return
    counts = _count([(key, rate.seconds + 1) for key, rate, _ends in wanted])
    over = [ends for (_key, rate, ends), n in zip(wanted, counts, strict=True) if n > rate.requests]
    if over:
        retry_after = math.ceil(max(over) - now)
        raise TooManyRequests(
            _("操作太频繁，请 %(seconds)d 秒后再试。") % {"seconds": max(1, retry_after)},
            code="rate_limited",
            details={"scope": scope},
            retry_after=retry_after,
        )


def client_address(request: Any) -> str | None:
    """The client's address as the web server gives it (``REMOTE_ADDR``); behind a
    proxy, the proxy must set it (gunicorn's ``--forwarded-allow-ips``)."""
    return request.META.get("REMOTE_ADDR") or None


def rate_limited(scope: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Decorate a view or an API operation: each request with one of ``methods`` is
    counted against ``RATE_LIMITS[scope]`` for its user (``request.auth`` in the API,
    ``request.user`` on pages) and its address before the view runs."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                user = getattr(request, "auth", None) or getattr(request, "user", None)
                rate_limit(scope, user=user, address=client_address(request))
            return view(request, *args, **kwargs)

        # The view's parameters with their annotations resolved in the view's module: the
        # API reads them from the signature, and would look string annotations up here.
        with contextlib.suppress(NameError):
            wrapper.__signature__ = inspect.signature(view, eval_str=True)
        return wrapper

    return decorate
