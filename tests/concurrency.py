"""Real concurrent connections for the PostgreSQL concurrency tests (take ``on_postgres``:
it makes them run one at a time on the machine)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from django.db import connection

# PostgreSQL here allows 100 connections, shared with other test runs.
POOL = 32


def concurrently(
    works: list[Callable[[], object]], *, pool: int = POOL, timeout: float = 300
) -> list[object]:
    """Run every ``work()`` on ``pool`` threads, each with its own connection, released
    together; returns each work's result or exception, in order. A thread still running
    after ``timeout`` seconds fails the test (a deadlock)."""
    todo: queue.Queue = queue.Queue()
    for i, work in enumerate(works):
        todo.put((i, work))
    results: list[object] = [None] * len(works)
    threads_n = min(pool, len(works))
    barrier = threading.Barrier(threads_n)

    def run():
        try:
            barrier.wait()
            while True:
                try:
                    i, work = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[i] = work()
                except Exception as exc:  # each outcome is inspected
                    results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker hung: deadlock?"
    return results
