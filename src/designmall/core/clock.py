"""The one clock. Everything that asks "what time is it?" calls ``now()``.

Tests move it with ``frozen_at(dt)`` or ``advance(delta)``; production code
never reads ``datetime.now``/``timezone.now`` itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

_state = threading.local()
_lock = threading.Lock()
_global: dict[str, object] = {"frozen": None, "offset": timedelta(0)}


def now() -> datetime:
    with _lock:
        frozen = _global["frozen"]
        offset = _global["offset"]
    if frozen is not None:
        return frozen + offset  # type: ignore[operator]
    return timezone.now() + offset  # type: ignore[operator]


def set_frozen(moment: datetime | None) -> None:
    if moment is not None and timezone.is_naive(moment):
        raise ValueError("the clock takes aware datetimes only")
    with _lock:
        _global["frozen"] = moment
        _global["offset"] = timedelta(0)


def advance(delta: timedelta) -> None:
    """Move the clock forward (or back) by ``delta``; works frozen or running."""
    with _lock:
        _global["offset"] = _global["offset"] + delta  # type: ignore[operator]


def reset() -> None:
    set_frozen(None)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    set_frozen(moment)
    try:
        yield
    finally:
        reset()


def database_reference() -> tuple[datetime | None, timedelta]:
    """What a database function needs to tell the time as ``now()`` would, from inside a
    lock: the frozen moment (``None`` when the clock runs) and the offset. A running clock
    is the machine's, so the database reads it as ``clock_timestamp() + offset``."""
    with _lock:
        return _global["frozen"], _global["offset"]  # type: ignore[return-value]
