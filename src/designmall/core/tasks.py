"""Periodic tasks (sweepers) run by ``designmall worker``.

Apps register idempotent functions with ``@periodic(every=...)`` in their
``tasks.py``. Several workers may run at once: each run is claimed with one
conditional update on ``PeriodicTaskRun.next_run_at``, so a task runs once per
period however many workers poll.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction

from designmall.core import clock
from designmall.core.models import PeriodicTaskRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    every: timedelta
    func: Callable[[], object]


REGISTRY: dict[str, PeriodicTask] = {}


def sweep(ids: list[int], step: Callable[[int], object], what: str) -> int:
    """Run a sweeper's ``step`` for each id; a step that fails is logged and skipped (its
    own transaction rolled back), so one bad row does not stop the rest. Returns how many
    steps succeeded."""
    done = 0
    for pk in ids:
        try:
            with transaction.atomic():
                step(pk)
            done += 1
        except Exception:
            log.exception("%s %s failed", what, pk)
    return done


def periodic(*, every: timedelta, name: str | None = None):
    def decorate(func: Callable[[], object]):
        task_name = name or f"{func.__module__}.{func.__qualname__}"
        REGISTRY[task_name] = PeriodicTask(task_name, every, func)
        return func

    return decorate


def _claim(task: PeriodicTask) -> bool:
    now = clock.now()
    with contextlib.suppress(IntegrityError):  # another worker created it first
        PeriodicTaskRun.objects.get_or_create(name=task.name, defaults={"next_run_at": now})
    claimed = PeriodicTaskRun.objects.filter(name=task.name, next_run_at__lte=now).update(
        next_run_at=now + task.every, last_started_at=now
    )
    return claimed == 1


def run_due_tasks() -> list[str]:
    """Run every registered task whose time has come; returns the names run."""
    ran = []
    for task in list(REGISTRY.values()):
        if not _claim(task):
            continue
        error = ""
        try:
            # Not one transaction around the task: each step commits on its own, so a sweep
            # never holds the rows of its earlier steps (nor any lock across a gateway call).
            task.func()
        except Exception:  # a failing sweeper must not stop the others
            error = traceback.format_exc()
            log.exception("periodic task %s failed", task.name)
        PeriodicTaskRun.objects.filter(name=task.name).update(
            last_finished_at=clock.now(), last_error=error[-4000:]
        )
        ran.append(task.name)
    return ran
