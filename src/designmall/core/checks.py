"""Health: the database answers and every migration is applied."""

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
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return {
        "ok": not pending,
        "database": "ok",
        "migrations": "ok" if not pending else f"{len(pending)} pending",
    }
