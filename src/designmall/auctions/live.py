"""Telling the live layer that a lot changed: the publishing side only.

After a change commits (``transaction.on_commit``), the services publish one small JSON
message on the lot's channel. With ``REDIS_URL`` set that is Redis pub-sub, so every web
process's SSE streams hear it; without it nothing is sent and the live layer polls the
database (a lot's ``version`` grows with every change a watcher should see). Publishing
never fails a bid: a Redis error is logged and dropped (the pollers catch up).

The message (``lot_message``)::

    {"lot": "lot_…", "version": 12, "price_fen": 560000, "bid_count": 9,
     "leader": "竞拍者 7K2Q", "ends_at": "2026-…+00:00", "status": "active",
     "events": ["bid_accepted", "outbid", "price_changed", "end_extended"],
     "outbid": ["u_…"]}

``outbid`` names (by public id) the bidders who just lost the lead, so the stream can
tell each of them at once; it is for the server only: strip it before sending a message
to browsers. ``leader`` is the anonymised handle (``selectors.bidder_handle``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "designmall:auctions:lot:"


def channel(lot_public_id: str) -> str:
    """The pub-sub channel of one lot."""
    return f"{CHANNEL_PREFIX}{lot_public_id}"


class Publisher(Protocol):
    def publish(self, channel: str, message: str) -> None: ...


class NullPublisher:
    """The embedded default: nobody subscribes; the live layer polls the database."""

    def publish(self, channel: str, message: str) -> None:
        return None


class RedisPublisher:
    """Redis pub-sub; one client (a connection pool) per process, made on first use."""

    def __init__(self, url: str):
        self.url = url
        self._client = None
        self._lock = threading.Lock()

    def _redis(self):
        with self._lock:
            if self._client is None:
                import redis

                self._client = redis.Redis.from_url(
                    self.url, socket_timeout=1, socket_connect_timeout=1
                )
            return self._client

    def publish(self, channel: str, message: str) -> None:
        try:
            self._redis().publish(channel, message)
        except Exception:  # the live layer is best effort; the database is the truth
            log.warning("publishing to %s failed", channel, exc_info=True)


_publishers: dict[str, Publisher] = {}
_publishers_lock = threading.Lock()


def publisher() -> Publisher:
    """The publisher for the current settings (Redis when ``REDIS_URL`` is set)."""
    url = getattr(settings, "REDIS_URL", "") or ""
    with _publishers_lock:
        if url not in _publishers:
            _publishers[url] = RedisPublisher(url) if url else NullPublisher()
        return _publishers[url]


def lot_message(
    lot, *, leader_handle: str, events: Iterable[str] = (), outbid: Iterable[str] = ()
) -> dict[str, Any]:
    return {
        "lot": lot.public_id,
        "version": lot.version,
        "price_fen": lot.price_fen,
        "bid_count": lot.bid_count,
        "leader": leader_handle,
        "ends_at": lot.ends_at.isoformat(),
        "status": lot.status,
        "events": list(dict.fromkeys(events)),
        "outbid": list(outbid),
    }


def publish_on_commit(message: dict[str, Any], *, outbid_user_ids: Iterable[int] = ()) -> None:
    """Publish ``message`` on its lot's channel once the current transaction commits
    (at once outside one); nothing if it rolls back. ``outbid_user_ids`` are looked up
    (``outbid``: their public ids) only then, and only when someone listens: not while
    the lot's lock is held."""
    ids = set(outbid_user_ids)

    def send() -> None:
        target = publisher()
        if isinstance(target, NullPublisher):
            return
        if ids:
            from designmall.accounts.models import User

            found = User.objects.filter(pk__in=ids).values_list("public_id", flat=True)
            message["outbid"] = sorted(found)
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        target.publish(channel(message["lot"]), body)

    transaction.on_commit(send)
