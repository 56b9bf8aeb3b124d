"""Health: the database answers and every migration is applied."""

import threading

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def health() -> dict:
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {
            "ok": False,
            "database": f"unreachable: {exc.__class__.__name__}",
            "migrations": "unknown",
        }
    if not _all_applied.is_set():
        pending = _pending_migrations(connection)
        if pending:
            return {"ok": False, "database": "ok", "migrations": f"{len(pending)} pending"}
        _all_applied.set()
    return {"ok": True, "database": "ok", "migrations": "ok"}


# Once this code's migrations are all applied they stay applied: later checks (a load
# balancer asks every few seconds) skip reading every migration file, ~10 ms of Python.
_all_applied = threading.Event()


def _pending_migrations(connection) -> list:
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())
