"""DATABASE_PGBOUNCER=true: Django settings fit for PgBouncer in transaction mode."""

import json
import os
import subprocess
import sys
from pathlib import Path

_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "server_side_cursors_off": db.get("DISABLE_SERVER_SIDE_CURSORS", False),
    "options": db["OPTIONS"],
    "replica_server_side_cursors_off":
        settings.DATABASES["replica"].get("DISABLE_SERVER_SIDE_CURSORS", False),
}))
"""


def _settings(**env: str) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    full_env = {
        **inherited,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:6432/designmall",
        "DATABASE_REPLICA_URL": "postgres://postgres@127.0.0.1:6433/designmall",
        "DJANGO_SETTINGS_MODULE": "designmall.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", _SETTINGS],
        env=full_env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
    )


def test_through_pgbouncer_no_server_side_cursors_options_or_prepared_statements():
    shown = json.loads(_settings(DATABASE_PGBOUNCER="true").stdout.splitlines()[-1])
    assert shown["server_side_cursors_off"] is True
    assert shown["replica_server_side_cursors_off"] is True
    assert "options" not in shown["options"]  # PgBouncer refuses the startup parameter
    assert "pool" not in shown["options"]
    # Django passes prepare_threshold=None unless given one: no prepared statements.
    assert "prepare_threshold" not in shown["options"]


def test_straight_to_postgresql_keeps_its_settings():
    shown = json.loads(_settings().stdout.splitlines()[-1])
    assert shown["server_side_cursors_off"] is False
    assert "random_page_cost" in shown["options"]["options"]


def test_pgbouncer_and_our_own_pool_together_are_refused():
    refused = _settings(DATABASE_PGBOUNCER="true", DATABASE_POOL_SIZE="4")
    assert refused.returncode != 0
    assert "DATABASE_POOL_SIZE and DATABASE_PGBOUNCER" in refused.stderr
