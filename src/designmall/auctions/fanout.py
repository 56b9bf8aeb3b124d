"""One Redis subscription per web process, shared by all of its lot streams.

A hot lot's last minutes bring hundreds of watchers into each process. Subscribing each
stream on its own would cost a Redis connection per watcher, and re-reading the lot per
watcher would cost a database connection per watcher per bid (streams give theirs back
between events). Here one thread per process pattern-subscribes to every lot's channel
and wakes the streams of that lot; the first stream to wake reads the lot's row once for
the version announced and the others share that read.

If Redis cannot be reached (or the subscription drops) the streams are not left waiting
for messages that never come: until the subscription is back, ``LotSignal.wait`` reads the
lot's version from the database every ``poll_seconds``, as the embedded default does. On
every (re)subscription all waiting streams re-read once, for whatever was published while
nobody listened.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from designmall.auctions import live

log = logging.getLogger(__name__)

RECENT_MESSAGES = 64  # per lot: enough to tell each stream who was outbid since it last looked
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
CLIENT_NAME = "designmall-auction-hub"  # + ":pid", as Redis's CLIENT LIST shows it


class LotSignal:
    """What this process knows of one lot's channel: the newest version announced, the
    latest messages' ``outbid`` lists, and the last row read for its watchers."""

    def __init__(self, hub: LotHub, public_id: str):
        self.hub = hub
        self.public_id = public_id
        self.watchers = 0
        self.version = -1
        self.recent: deque[tuple[int, tuple[str, ...]]] = deque(maxlen=RECENT_MESSAGES)
        self.row: Any = None
        self.row_lock = threading.Lock()

    def outbid_after(self, seen: int) -> list[str]:
        return [who for version, outbid in self.recent if version > seen for who in outbid]

    def read(self, seen: int, read_row: Callable[[], Any]) -> Any:
        """The lot's row for a stream that has sent ``seen``: the shared read when it is
        as new as every version announced, else a fresh one (which then is shared)."""
        with self.row_lock:
            row = self.row
            if row is None or row.version <= seen or row.version < self.version:
                row = read_row()
                if row is not None and (self.row is None or row.version >= self.row.version):
                    self.row = row
            return row


class Subscription:
    """One stream's interest in a lot: its signal and the subscription it last relied on."""

    def __init__(self, signal: LotSignal):
        self.signal = signal
        self.epoch = -1  # none yet: the first wait after subscribing re-reads

    def wait(
        self,
        seen: int,
        timeout: float,
        *,
        read_version: Callable[[], int | None],
        poll_seconds: float,
    ) -> tuple[bool, list[str]]:
        """(changed, outbid public ids): whether a version after ``seen`` is known, or
        may exist (a new subscription: what was published before it was missed), within
        about ``timeout`` seconds."""
        signal, hub = self.signal, self.signal.hub
        with hub.condition:
            if hub.connected:
                if self.epoch != hub.epoch:
                    self.epoch = hub.epoch
                    return True, []
                hub.condition.wait_for(
                    lambda: signal.version > seen or self.epoch != hub.epoch or not hub.connected,
                    timeout=max(timeout, 0.0),
                )
                if signal.version > seen:
                    return True, signal.outbid_after(seen)
                if self.epoch != hub.epoch:
                    return False, []  # the next wait re-reads
                if hub.connected:
                    return False, []
            # Not subscribed (yet, or any more): poll the database as the embedded default.
            hub.condition.wait_for(lambda: hub.connected, timeout=min(poll_seconds, timeout))
        version = read_version()
        return (version is not None and version > seen), []

    def read(self, seen: int, read_row: Callable[[], Any]) -> Any:
        return self.signal.read(seen, read_row)

    def close(self) -> None:
        self.signal.hub.unwatch(self.signal)


class LotHub:
    """The process's subscriber thread and the signals of the lots it has watchers for."""

    def __init__(self, url: str):
        self.url = url
        self.condition = threading.Condition()
        self.connected = False
        self.epoch = 0
        self.lots: dict[str, LotSignal] = {}
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def watch(self, public_id: str) -> Subscription:
        """Register a stream's interest in a lot (``close`` the subscription when done)."""
        self._ensure_started()
        with self.condition:
            signal = self.lots.get(public_id)
            if signal is None:
                signal = self.lots[public_id] = LotSignal(self, public_id)
            signal.watchers += 1
            subscription = Subscription(signal)
            if self.connected:
                # Registered before the stream's first read: nothing published from now on
                # is missed, so that read needs no repeating.
                subscription.epoch = self.epoch
            return subscription

    def unwatch(self, signal: LotSignal) -> None:
        with self.condition:
            signal.watchers -= 1
            if signal.watchers <= 0 and self.lots.get(signal.public_id) is signal:
                del self.lots[signal.public_id]

    def stop(self, timeout: float = 3.0) -> None:
        """Unsubscribe and end the thread (tests; a process simply exits)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _ensure_started(self) -> None:
        with self.condition:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(
                    target=self._run, name="auction-lot-hub", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        import redis

        failures = 0
        while not self._stopping.is_set():
            client = redis.Redis.from_url(
                self.url,
                socket_connect_timeout=2,
                health_check_interval=30,
                client_name=f"{CLIENT_NAME}:{os.getpid()}",
            )
            pubsub = client.pubsub(ignore_subscribe_messages=False)
            try:
                pubsub.psubscribe(live.CHANNEL_PREFIX + "*")
                while not self._stopping.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "psubscribe":
                        failures = 0
                        self._set_connected(True)
                    elif message["type"] == "pmessage":
                        self._deliver(message)
            except Exception:  # a dropped subscription: streams poll until it is back
                log.warning("the auction live subscription failed", exc_info=True)
            finally:
                self._set_connected(False)
                try:
                    pubsub.close()
                    client.close()
                except Exception:
                    log.debug("closing the auction live subscription failed", exc_info=True)
            failures += 1
            self._stopping.wait(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS)) - 1])

    def _set_connected(self, connected: bool) -> None:
        with self.condition:
            if connected != self.connected:
                self.connected = connected
                if connected:
                    self.epoch += 1
                self.condition.notify_all()

    def _deliver(self, message: dict[str, Any]) -> None:
        try:
            channel = message["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            body = json.loads(message["data"])
            version = int(body["version"])
            outbid = tuple(str(who) for who in body.get("outbid") or ())
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            log.warning("unreadable live message on %r", message.get("channel"))
            return
        public_id = channel.removeprefix(live.CHANNEL_PREFIX)
        with self.condition:
            signal = self.lots.get(public_id)
            if signal is None:
                return  # nobody in this process watches that lot
            signal.recent.append((version, outbid))
            signal.version = max(signal.version, version)
            self.condition.notify_all()


_hubs: dict[tuple[int, str], LotHub] = {}
_hubs_lock = threading.Lock()


def hub(url: str) -> LotHub:
    """This process's hub for ``url`` (a forked worker makes its own)."""
    key = (os.getpid(), url)
    with _hubs_lock:
        found = _hubs.get(key)
        if found is None:
            found = _hubs[key] = LotHub(url)
        return found


def wait_connected(url: str, timeout: float = 5.0) -> bool:
    """Start this process's hub for ``url`` and wait until it listens (tests, benchmarks)."""
    found = hub(url)
    found._ensure_started()
    deadline = time.monotonic() + timeout
    with found.condition:
        return found.condition.wait_for(
            lambda: found.connected, timeout=max(deadline - time.monotonic(), 0)
        )
