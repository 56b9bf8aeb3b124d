"""gunicorn's server hooks for the metrics of several worker processes (core/metrics.py).

Loaded by the gunicorn master (``--config python:designmall.core.gunicornhooks``, see
demo/serving.py), before any worker is forked and before prometheus-client is imported:

- ``on_starting``: the run's metrics folder. ``PROMETHEUS_MULTIPROC_DIR`` when set (its
  files from an earlier run are removed: counters start at zero with the server), else a
  new folder of our own (on the RAM disk when there is one), removed at exit. The workers
  inherit the variable, so each writes its values there.
- ``child_exit``: a worker that exits is marked dead, so its live gauges (streams open)
  no longer count; its counters still do.

Nothing here imports Django: the master never loads the site.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_made_here: list[str] = []


def prepare_multiproc_dir(environ=os.environ) -> str:
    """Make (or empty) this run's metrics folder and name it in ``environ``."""
    given = (environ.get(VARIABLE) or "").strip()
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
    else:
        shm = Path("/dev/shm")
        folder = Path(
            tempfile.mkdtemp(prefix="designmall-metrics-", dir=shm if shm.is_dir() else None)
        )
        _made_here.append(str(folder))
    environ[VARIABLE] = str(folder)
    return str(folder)


def on_starting(server) -> None:
    prepare_multiproc_dir()


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, os.environ[VARIABLE])


def on_exit(server) -> None:
    for folder in _made_here:
        shutil.rmtree(folder, ignore_errors=True)
