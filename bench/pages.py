"""Product page latency at 16 concurrent clients, against a live server, with wrk.

Assumes the configured database (DATABASE_URL) holds a seeded catalog. Starts
``designmall serve`` (2 workers) and has ``wrk`` (a C load generator, so the
clients take little of the two cores) fetch product pages over keep-alive
connections, over 2,000 random products on sale, in two patterns:

- ``uniform``: every product equally likely;
- ``popular``: Zipf-distributed (s = 1), as real visitors crowd a few products.

Each server starts on a cache of its own (``CACHE_PREFIX``), so runs don't
inherit each other's pages. The runs:

- ``first visits``: uniform on an empty cache, so nearly every page is a
  product's first visit: its catalog data read and the whole page rendered.
  The worst case (after a deploy that empties the cache, say);
- ``uniform`` and ``popular``, the steady state of a site that has been up a
  while: every product was visited once before the clock starts, so pages
  come from the page cache with their stock drawn anew;
- for reference, ``uniform`` with the page cache off (catalog data kept):
  every page rendered, as for a logged-in buyer.

Prints p50/p99 latency and pages per second for each, and how wrk's connections were
spread over the server's two workers halfway through (a 16/0 split halves the cores a run
gets: read patterns side by side only with like splits).

    .venv/bin/python -m bench.pages [--clients 16] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import figure, live_server, setup_django

PRODUCTS = 2_000
WORKERS = 2  # live_server's default
WARM_UP = 100
# Picks a path by the PATTERN env variable: uniform, or Zipf by inverse CDF.
WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do paths[#paths + 1] = line end
local cumulative, total = {}, 0
for i = 1, #paths do
  total = total + (os.getenv("PATTERN") == "popular" and 1 / i or 1)
  cumulative[i] = total
end
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local function pick()
  local r, lo, hi = math.random() * total, 1, #paths
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cumulative[mid] < r then lo = mid + 1 else hi = mid end
  end
  return paths[lo]
end
request = function()
  return wrk.format("GET", pick(), {["Accept-Language"] = "zh-hans"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %.3f %.3f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""
_RESULT = re.compile(r"^RESULT (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+)$", re.M)


def _product_paths(limit: int) -> list[str]:
    from designmall.catalog.selectors import products_on_sale

    ids = list(products_on_sale().order_by("?").values_list("public_id", flat=True)[:limit])
    return [f"/p/{pid}/" for pid in ids]


def _connections_per_worker(base: str) -> str:
    """How the server's established connections are spread over its worker processes, as
    "10/6": wrk's keep-alive connections stay with the worker that accepted them, and one
    worker can use one core, so a lopsided split slows a whole run ("" without ``ss``)."""
    port = base.rsplit(":", 1)[1]
    try:
        listing = subprocess.run(
            ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    counts = sorted(Counter(re.findall(r"pid=(\d+)", listing)).values(), reverse=True)
    counts += [0] * (WORKERS - len(counts))  # a worker that accepted none
    return "/".join(str(n) for n in counts)


def _wrk(base: str, *, pattern: str, clients: int, seconds: int, folder: Path) -> dict:
    env = {**os.environ, "PATTERN": pattern, "PATHS_FILE": str(folder / "paths.txt")}
    split: list[str] = []
    sampler = threading.Timer(seconds / 2, lambda: split.append(_connections_per_worker(base)))
    sampler.start()
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(2, clients)}",
            f"-c{clients}",
            f"-d{seconds}s",
            "-s",
            str(folder / "pages.lua"),
            base,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sampler.join()
    requests, errors, duration_us, p50, p99 = _RESULT.search(out).groups()
    return {
        "connections_per_worker": split[0] if split else "",
        "p50_ms": float(p50),
        "p99_ms": float(p99),
        "per_second": int(requests) / (int(duration_us) / 1e6),
        "errors": int(errors),
    }


def _visit_each(base: str, paths: list[str], clients: int) -> None:
    """Every path once, ``clients`` at a time: a site that has been up a while."""

    def visit(path: str) -> None:
        request = urllib.request.Request(base + path, headers={"Accept-Language": "zh-hans"})
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(visit, paths))


def run(*, clients: int, seconds: int) -> dict[str, dict]:
    if not shutil.which("wrk"):
        raise SystemExit("bench.pages needs wrk: apt-get install wrk")
    setup_django()
    paths = _product_paths(PRODUCTS + WARM_UP)
    if len(paths) <= WARM_UP:
        raise SystemExit("too few products on sale: seed the catalog first")
    # Products only the warm-up visits: a new server's first renders (templates compiled,
    # connections opened) are not products' first visits.
    warm_up, paths = paths[:WARM_UP], paths[WARM_UP:]
    env = {k: v for k in ("DATABASE_URL",) if (v := os.environ.get(k))}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "paths.txt").write_text("\n".join(paths) + "\n")
        (folder / "pages.lua").write_text(WRK_SCRIPT)
        # (label, pattern, visit every product first, extra settings)
        runs = [
            ("first visits: uniform, empty cache", "uniform", False, {}),
            ("uniform, every product visited before", "uniform", True, {}),
            ("popular, every product visited before", "popular", True, {}),
            ("uniform, page cache off", "uniform", True, {"STOREFRONT_PAGE_CACHE_SECONDS": "0"}),
        ]
        for label, pattern, visited, extra in runs:
            cache = {"CACHE_PREFIX": f"bench-pages-{secrets.token_hex(4)}"}
            with live_server({**env, **cache, **extra}) as base:
                _visit_each(base, warm_up, clients)
                if visited:
                    _visit_each(base, paths, clients)
                    _wrk(base, pattern=pattern, clients=clients, seconds=3, folder=folder)
                result = _wrk(
                    base, pattern=pattern, clients=clients, seconds=seconds, folder=folder
                )
            results[label] = result
            print(f"product page, {clients} concurrent clients, {label}")
            figure("p50", result["p50_ms"], "ms")
            figure("p99", result["p99_ms"], "ms")
            figure("pages/s", result["per_second"])
            figure("errors and non-2xx/3xx responses", result["errors"])
            figure("wrk connections per server worker", result["connections_per_worker"])
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args(argv)
    run(clients=args.clients, seconds=args.seconds)


if __name__ == "__main__":
    main()
