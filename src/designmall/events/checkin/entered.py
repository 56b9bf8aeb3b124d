"""What other domains do when a ticket first enters (the o2o passport stamps it).

``events`` imports none of them: an app registers ``handler(ticket_id)`` with
``@on_first_entry`` (in its ``AppConfig.ready``), and recording calls
``first_entry_announce`` in the transaction that writes the ticket's ``CheckIn``. The
handlers run after that transaction commits, each in its own: a failing handler is logged
and never undoes or delays an entry at the door. A ticket's first entry is announced
once, when its ``CheckIn`` row is created; handlers must be idempotent all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

log = logging.getLogger(__name__)

ENTRY_HANDLERS: list[Callable[[int], object]] = []


def on_first_entry(handler: Callable[[int], object]) -> Callable[[int], object]:
    """Register ``handler(ticket_id)`` to run after a ticket's first entry commits."""
    if handler not in ENTRY_HANDLERS:
        ENTRY_HANDLERS.append(handler)
    return handler


def _run(ticket_id: int) -> None:
    for handler in list(ENTRY_HANDLERS):
        try:
            handler(ticket_id)
        except Exception:
            log.exception("first-entry handler %s failed for ticket %s", handler, ticket_id)


def first_entry_announce(ticket_id: int) -> None:
    """Call the registered handlers for ``ticket_id`` once the current transaction commits."""
    if ENTRY_HANDLERS:
        transaction.on_commit(lambda: _run(ticket_id))
