"""Running the web server (gunicorn) and the worker side by side for the demo."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

WSGI_APP = "designmall.wsgi:application"
DEFAULT_PORT = 8000
# Threads per worker: live lot pages each hold one for minutes (AUCTION_STREAMS_PER_PROCESS).
DEFAULT_THREADS = 16
# gunicorn's threaded worker, answering its own refusals in the API's error shape.
WORKER_CLASS = "designmall.core.httpworker.ShapedErrorsThreadWorker"
# How long an idle keep-alive connection is kept. A client or proxy that reuses one the
# server has just closed sends its request into a closed socket and gets no answer, so
# the server must keep idle connections longer than anything in front of it does
# (nginx's upstream keepalive_timeout and cloud load balancers idle out at 60 s); an idle
# connection costs a socket in the worker's poller, not a thread. gunicorn's default (2 s)
# dropped requests of clients pausing between two of them.
DEFAULT_KEEPALIVE_SECONDS = 75
# What gunicorn reads before Django: a request line of at most 4 KiB (else 414), header
# fields of at most 8 KiB each (else 431), at most 100 of them.
LIMIT_REQUEST_LINE = 4094
LIMIT_REQUEST_FIELD_SIZE = 8190
LIMIT_REQUEST_FIELDS = 100


def env_int(name: str, default: int, environ: Mapping[str, str] = os.environ) -> int:
    value = (environ.get(name) or "").strip()
    return int(value) if value else default


def default_bind(environ: Mapping[str, str] = os.environ) -> str:
    return f"127.0.0.1:{env_int('PORT', DEFAULT_PORT, environ)}"


def _gunicorn_has(setting: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(s.name == setting for s in KNOWN_SETTINGS)


def gunicorn_argv(
    *, bind: str, workers: int, threads: int, access_log: bool, keepalive: int = 0
) -> list[str]:
    """The command line that serves the site with gunicorn's threaded workers."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        WSGI_APP,
        # Server hooks: each run's metrics folder, shared by its workers (core/metrics.py).
        "--config",
        "python:designmall.core.gunicornhooks",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        WORKER_CLASS,
        "--keep-alive",
        str(keepalive or DEFAULT_KEEPALIVE_SECONDS),
        "--limit-request-line",
        str(LIMIT_REQUEST_LINE),
        "--limit-request-field_size",
        str(LIMIT_REQUEST_FIELD_SIZE),
        "--limit-request-fields",
        str(LIMIT_REQUEST_FIELDS),
        "--timeout",
        "60",
        # Ctrl-C should not wait half a minute for idle keep-alive connections.
        "--graceful-timeout",
        "10",
        "--error-logfile",
        "-",
    ]
    if access_log:
        argv += ["--access-logfile", "-"]
    if Path("/dev/shm").is_dir():
        # Worker heartbeats on a RAM disk: no stalls on a slow or containerised disk.
        argv += ["--worker-tmp-dir", "/dev/shm"]
    if _gunicorn_has("control_socket_disable"):
        # One shared control socket per home directory would make servers collide.
        argv.append("--no-control-socket")
    if workers > 1 and workers_listen_on_their_own_sockets():
        # Sharing the master's socket, the first idle worker accepts most of a burst of
        # keep-alive connections and keeps them (61 of 64 measured): one core serves them
        # while the other idles. A socket per worker lets the kernel spread them.
        argv.append("--reuse-port")
    return argv


def workers_listen_on_their_own_sockets() -> bool:
    """Whether this gunicorn gives each worker a listening socket of its own under
    ``--reuse-port`` (older versions set the flag on the master's one socket only)."""
    import inspect

    from gunicorn.arbiter import Arbiter

    return hasattr(socket, "SO_REUSEPORT") and "create_sockets" in inspect.getsource(
        Arbiter.spawn_worker
    )


def granian_argv(*, bind: str, workers: int, threads: int, access_log: bool) -> list[str]:
    """The command line that serves the site with Granian (a server with a Rust core) in
    WSGI mode, for comparing with gunicorn (``SERVER=granian designmall serve``; measured
    in docs/BENCHMARKS.md, 2026-12-06). Each worker runs the application on ``threads``
    blocking threads, as gunicorn's threaded worker does."""
    host, _colon, port = bind.rpartition(":")
    argv = [
        sys.executable,
        "-m",
        "granian",
        WSGI_APP,
        "--interface",
        "wsgi",
        "--host",
        host or "127.0.0.1",
        "--port",
        port,
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        # As many requests in flight per worker as it has threads; more wait in the backlog.
        "--backpressure",
        str(threads),
        "--respawn-failed-workers",
    ]
    if access_log:
        argv.append("--access-log")
    return argv


def designmall_argv(*args: str) -> list[str]:
    """Run another ``designmall`` command with this same interpreter."""
    return [sys.executable, "-m", "designmall.cli", *args]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_healthy(
    url: str,
    *,
    process: subprocess.Popen,
    give_up: Callable[[], bool] = lambda: False,
    timeout: float = 60,
) -> bool:
    """Poll ``url`` until it answers 200; False when the process dies, gives up or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None or give_up():
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    return False


class ProcessGroup:
    """Child processes started together and stopped together.

    Each child gets its own session, so a Ctrl-C in the terminal reaches only
    the parent, which then stops the children in order with SIGTERM (and
    SIGKILL after ``grace`` seconds).
    """

    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(argv, start_new_session=True)
        self.processes[name] = process
        return process

    def exited(self) -> tuple[str, int] | None:
        """The first child that has exited, with its exit code."""
        for name, process in self.processes.items():
            code = process.poll()
            if code is not None:
                return name, code
        return None

    def stop(self, *, grace: float = 15) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
