"""The ledger's periodic check, run by ``designmall worker``."""

from __future__ import annotations

import logging
from datetime import timedelta

from designmall.core.tasks import periodic
from designmall.ledger.services import ledger_verify

log = logging.getLogger(__name__)


class LedgerUnsound(Exception):
    """The books have problems; the worker records this as the task's last error."""


@periodic(every=timedelta(hours=1), name="ledger.verify")
def ledger_check() -> None:
    problems = ledger_verify()
    if problems:
        for problem in problems:
            log.error("ledger: %s", problem)
        raise LedgerUnsound("; ".join(problems))
