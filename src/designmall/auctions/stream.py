"""Live bidding for watchers: what one viewer sees of a lot now (``lot_live``), and the
server-sent-event stream of its changes (``lot_event_stream``).

Both give the same payload: the public state of the lot (price, next minimum bid, bid
count, the leader as an anonymised handle, the end with its extensions, phase and
status, ``version``) and, for a logged-in viewer only, their own side: ``leading``,
``outbid`` (they bid and someone else leads) and ``just_outbid`` (they lost the lead
since the last event). Nobody's id is ever sent: the live layer's ``outbid`` list of
user ids (``live``) is only compared with the viewer's own.

Where changes come from:

- with ``REDIS_URL``: the lots' pub-sub channels (``live.channel``), heard by one
  subscription per process (``fanout``) that wakes the lot's streams. A message is only a
  wake-up call: the lot's row is re-read (by key, once per version for all of the
  process's watchers of the lot) so the payload is the very one the polling endpoint
  gives, and versions already sent are skipped.
- without it (the embedded default): the lot's ``version`` read from the database every
  ``poll_seconds``; the full row is read only when it grew.

Streams are kept cheap for threaded workers: the database connection is closed between
polls (a stream would otherwise hold one for minutes), a comment line every
``keepalive_seconds`` keeps proxies from cutting it, and the stream ends after
``max_seconds`` so ``EventSource`` reconnects (with ``Last-Event-ID``: the version last
seen, so nothing already shown is sent again) and threads are freed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import translation

from designmall.accounts.models import User
from designmall.auctions import fanout
from designmall.auctions.models import Bid, Lot
from designmall.auctions.selectors import Phase, bidder_code, handle_label, lot_phase
from designmall.auctions.snapshot import lot_state
from designmall.core import clock, metrics
from designmall.core.money import format_fen

POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
MAX_SECONDS = 180.0
RETRY_MS = 2_000


@dataclass
class Viewer:
    """Who watches: their user id and code on the lot, and whether they ever bid on it."""

    user_id: int | None = None
    public_id: str | None = None
    has_bid: bool = False

    @classmethod
    def of(cls, user: User | None, lot: Lot) -> Viewer:
        if user is None or not user.is_authenticated:
            return cls()
        has_bid = Bid.objects.filter(lot_id=lot.pk, bidder_id=user.pk, accepted=True).exists()
        return cls(user_id=user.pk, public_id=user.public_id, has_bid=has_bid)


def _money(name: str, fen: int | None) -> dict[str, Any]:
    return {f"{name}_fen": fen, f"{name}_display": format_fen(fen) if fen is not None else ""}


def lot_live(lot: Lot, *, viewer: Viewer, was_leading: bool = False, outbid_ids=()) -> dict:
    """The payload for ``viewer`` from the lot's row as read. ``was_leading``: the viewer
    led in the last payload they were sent; ``outbid_ids``: user public ids the live layer
    named as just outbid (either makes ``just_outbid`` when they no longer lead)."""
    now = clock.now()
    phase = lot_phase(lot, now)
    minimum = lot_state(lot).minimum_bid_fen if phase != Phase.CLOSED else None
    code = bidder_code(lot.pk, lot.leader_id) if lot.leader_id else None
    payload: dict[str, Any] = {
        "lot": lot.public_id,
        "version": lot.version,
        "state": phase,
        "status": lot.status,
        **_money("price", lot.price_fen),
        **_money("minimum_bid", minimum),
        "bid_count": lot.bid_count,
        "leader": handle_label(code),
        "starts_at": lot.starts_at.isoformat(),
        "ends_at": lot.ends_at.isoformat(),
        "extended": lot.extended,
        "reserve_met": lot.reserve_fen is None
        or (lot.price_fen is not None and lot.price_fen >= lot.reserve_fen),
        "server_time": now.isoformat(),
        "you": None,
    }
    if viewer.user_id is not None:
        leading = lot.leader_id == viewer.user_id
        if leading:
            viewer.has_bid = True
        lost = not leading and (was_leading or viewer.public_id in set(outbid_ids))
        payload["you"] = {
            "leading": leading,
            "outbid": viewer.has_bid and not leading,
            "just_outbid": lost,
        }
    return payload


def sse_frame(payload: dict) -> str:
    """One SSE event: ``id`` is the version (what ``Last-Event-ID`` sends back)."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"id: {payload['version']}\nevent: lot\ndata: {data}\n\n"


def _release_connection() -> None:
    """Give the database connection back between polls (not inside a transaction, which
    only happens in tests that wrap everything in one)."""
    if not connection.in_atomic_block:
        connection.close()


def _read_lot(lot_id: int) -> Lot | None:
    # With its increment table: the payload's next minimum needs it, after the connection
    # is given back.
    lot = Lot.objects.select_related("increment_table").filter(pk=lot_id).first()
    _release_connection()
    return lot


def _read_version(lot_id: int) -> int | None:
    version = Lot.objects.filter(pk=lot_id).values_list("version", flat=True).first()
    _release_connection()
    return version


class _PollSource:
    """Waits for the lot's version to grow, reading it every ``poll_seconds``."""

    def __init__(self, lot_id: int, poll_seconds: float, sleep: Callable[[float], None]):
        self.lot_id, self.poll_seconds, self.sleep = lot_id, poll_seconds, sleep

    def wait(self, seen: int, timeout: float) -> tuple[bool, list[str]]:
        """(changed, outbid public ids) after at most about ``timeout`` seconds."""
        self.sleep(min(self.poll_seconds, max(timeout, 0)))
        version = _read_version(self.lot_id)
        return (version is not None and version > seen), []

    def read(self, seen: int) -> Lot | None:
        return _read_lot(self.lot_id)

    def close(self) -> None:
        return None


class _SharedSource:
    """This process's one Redis subscription (``fanout``): woken by the lot's messages,
    reading the row once per version for all of the process's watchers of the lot."""

    def __init__(self, url: str, lot_id: int, public_id: str, poll_seconds: float):
        self.lot_id, self.poll_seconds = lot_id, poll_seconds
        self.subscription = fanout.hub(url).watch(public_id)

    def wait(self, seen: int, timeout: float) -> tuple[bool, list[str]]:
        return self.subscription.wait(
            seen,
            timeout,
            read_version=lambda: _read_version(self.lot_id),
            poll_seconds=self.poll_seconds,
        )

    def read(self, seen: int) -> Lot | None:
        return self.subscription.read(seen, lambda: _read_lot(self.lot_id))

    def close(self) -> None:
        self.subscription.close()


class StreamSlots:
    """How many streams this process may hold open at once. Each holds a server thread for
    its whole life, so without a limit watchers would starve every other request; a
    watcher refused a slot polls the ``/live`` endpoint instead."""

    def __init__(self):
        self._lock = threading.Lock()
        self.open = 0

    def limit(self) -> int:
        return int(getattr(settings, "AUCTION_STREAMS_PER_PROCESS", 12))

    def take(self) -> bool:
        with self._lock:
            if self.open >= self.limit():
                return False
            self.open += 1
        metrics.LIVE_STREAMS.inc()
        return True

    def give_back(self) -> None:
        with self._lock:
            self.open -= 1
        metrics.LIVE_STREAMS.dec()


slots = StreamSlots()


class SlotHeld:
    """A stream's frames that give its slot back when the server closes the response
    (the client went away, or the stream ended), even if never iterated."""

    def __init__(self, frames: Iterator[str]):
        self._frames = frames
        self._held = True

    def __iter__(self) -> Iterator[str]:
        return self._frames

    def close(self) -> None:
        try:
            close = getattr(self._frames, "close", None)
            if close is not None:
                close()
        finally:
            if self._held:
                self._held = False
                slots.give_back()


def parse_last_event_id(value: str | None) -> int | None:
    """The version a reconnecting ``EventSource`` saw last (``Last-Event-ID``), if any."""
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    return int(value)


def lot_event_stream(
    *,
    lot: Lot,
    viewer: Viewer,
    last_version: int | None = None,
    language: str | None = None,
    redis_url: str | None = None,
    poll_seconds: float | None = None,
    keepalive_seconds: float | None = None,
    max_seconds: float | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[str]:
    """The SSE text of ``lot``'s changes for ``viewer``: at once the current state (unless
    ``last_version`` is already current), then one ``lot`` event per new version, a
    comment every ``keepalive_seconds`` without one, until ``max_seconds`` have passed or
    the lot is gone. Defaults come from the ``AUCTION_STREAM_*`` settings."""
    poll = poll_seconds or getattr(settings, "AUCTION_STREAM_POLL_SECONDS", POLL_SECONDS)
    keepalive = keepalive_seconds or getattr(
        settings, "AUCTION_STREAM_KEEPALIVE_SECONDS", KEEPALIVE_SECONDS
    )
    lifetime = max_seconds or getattr(settings, "AUCTION_STREAM_MAX_SECONDS", MAX_SECONDS)
    url = getattr(settings, "REDIS_URL", "") if redis_url is None else redis_url
    lot_id, public_id = lot.pk, lot.public_id
    _release_connection()
    yield f"retry: {RETRY_MS}\n\n"

    def frames() -> Iterator[str]:
        # Subscribed before the first read, so no change falls between the two.
        source = (
            _SharedSource(url, lot_id, public_id, poll) if url else _PollSource(lot_id, poll, sleep)
        )
        try:
            started = last_sent_at = monotonic()
            seen = -1 if last_version is None else last_version
            leading = False
            current = _read_lot(lot_id)
            while current is not None:
                if current.version > seen:
                    payload = lot_live(current, viewer=viewer, was_leading=leading)
                    seen, last_sent_at = current.version, monotonic()
                    leading = bool(payload["you"] and payload["you"]["leading"])
                    yield sse_frame(payload)
                current = None
                while current is None:
                    elapsed = monotonic() - started
                    if elapsed >= lifetime:
                        return
                    wait = min(keepalive - (monotonic() - last_sent_at), lifetime - elapsed)
                    changed, outbid = source.wait(seen, max(wait, 0.0))
                    if changed:
                        current = source.read(seen)
                        if current is None:
                            return
                        if outbid and viewer.public_id in outbid:
                            leading = True  # the live layer says they just lost the lead
                    elif monotonic() - last_sent_at >= keepalive:
                        last_sent_at = monotonic()
                        yield ": keep-alive\n\n"
        finally:
            source.close()
            _release_connection()

    if language:
        with translation.override(language):
            yield from frames()
    else:
        yield from frames()
