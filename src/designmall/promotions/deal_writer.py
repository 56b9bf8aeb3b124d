"""The writer of deal orders answered at admission (``deals.deal_grab``): one daemon
thread per web process, started on the first admission after the process starts (or
forks), writing the orders queued to it one by one (``deals.deal_write_admission``).

Why a thread of its own: the request that won a unit is answered at once, and the
server's request threads stay free for the next buyers (nearly all of whom are answered
"sold out" from Redis) instead of each holding a thread for the dozen statements of an
order. The queue is in memory only, and need not be more: what makes the order certain is
the admission and its request kept in Redis until the order is in the database. A process
that dies with orders still queued leaves them there, and the reconciler
(``deals.deal_reconcile``, every minute in ``designmall worker``) writes them once they are
``DEAL_ADMISSION_GRACE_SECONDS`` old; a double write is refused by the ticket's unique token.

``DEAL_WRITER_THREAD`` false (the tests) queues nothing: orders are then written by
``deals.deal_write_queued`` or the reconciler.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import close_old_connections

if TYPE_CHECKING:
    from designmall.promotions.models import Deal

log = logging.getLogger(__name__)

_lock = threading.Lock()
_queue: queue.SimpleQueue | None = None
_pid = 0


def submit(deal: Deal, token: str) -> None:
    """Queue the order of the admission ``token`` of ``deal`` to this process's writer."""
    if not getattr(settings, "DEAL_WRITER_THREAD", True):
        return
    _writer_queue().put((deal, token))


def _writer_queue() -> queue.SimpleQueue:
    global _queue, _pid
    if _queue is None or _pid != os.getpid():
        with _lock:
            if _queue is None or _pid != os.getpid():
                fresh: queue.SimpleQueue = queue.SimpleQueue()
                threading.Thread(
                    target=_write_forever, args=(fresh,), name="deal-writer", daemon=True
                ).start()
                _queue, _pid = fresh, os.getpid()
    return _queue


def _write_forever(todo: queue.SimpleQueue) -> None:
    from designmall.promotions.deals import deal_write_admission

    while True:
        deal, token = todo.get()
        close_old_connections()  # a connection broken by the last error is not reused
        try:
            deal_write_admission(deal=deal, token=token)
        except Exception:  # the admission stays in Redis: the reconciler writes it
            log.exception("deal %s: order of %s left to the reconciler", deal.public_id, token)
