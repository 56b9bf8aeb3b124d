"""Small shared pieces of the benchmarks: percentiles, a figure printer, a server."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESIGNMALL = str(Path(sys.executable).with_name("designmall"))


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``samples`` (pct within 0..100)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def figure(name: str, value: float | int | str, unit: str = "") -> None:
    shown = (
        f"{value:,.1f}"
        if isinstance(value, float)
        else f"{value:,}"
        if isinstance(value, int)
        else value
    )
    print(f"  {name:<44} {shown:>12} {unit}".rstrip(), flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The benchmarks play thousands of buyers from one address, and one buyer with hundreds of
# unpaid checkouts: the abuse limits (rate limits, unpaid holds) would refuse them.
BENCH_ENV = {
    "RATE_LIMITS_ENABLED": "false",
    "ORDER_MAX_UNPAID_CHECKOUTS": "0",
    "ORDER_MAX_UNPAID_UNITS": "0",
}


def setup_django(database_url: str | None = None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designmall.settings")
    for name, value in BENCH_ENV.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()


@contextlib.contextmanager
def live_server(env: dict[str, str], *, workers: int = 2, threads: int = 8) -> Iterator[str]:
    """``designmall serve`` in a subprocess; yields its base URL once healthy."""
    port = free_port()
    full_env = {
        **BENCH_ENV,
        **os.environ,
        **env,
        "WEB_CONCURRENCY": str(workers),
        "WEB_THREADS": str(threads),
    }
    proc = subprocess.Popen(
        [DESIGNMALL, "serve", "--bind", f"127.0.0.1:{port}"],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # A busy shared machine can take over a minute to start two workers.
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
