"""The production tier on this machine (issue 16): the flash sale and product pages through
nginx, with 1 and with 2 web nodes side by side, with the CPU each group of processes used;
and (``--pool-vs-pgbouncer``) how the nodes reach PostgreSQL: a connection per thread,
psycopg's pool, or PgBouncer in transaction mode, with the server connections in use at peak.

Each configuration is a fresh ``designmall.demo.cluster.Cluster`` (nginx with the shipped
site, the web nodes, a PostgreSQL primary of its own with ``max_connections`` 100, Redis; no
replica and no workers, so every read and write meets the one primary), with a seeded
catalog, driven from a subprocess of its own (Django is set up once per process). In each:

1. product pages, wrk at 16 clients over 2,000 random products on sale (``bench.pages``'
   script): ``first visits`` (uniform on an empty page cache: pages rendered), then
   ``cached`` (uniform, every product visited before: pages from the page cache);
2. the flash sale (``bench.store``: buyers with API tokens check out one unit of one SKU,
   64 at a time, ``POST /api/v1/checkout`` with an Idempotency-Key), with its proofs
   (orders = units, stock left 0, stock books agreeing).

Beside each figure: CPU used by nginx, the web nodes, PostgreSQL (and PgBouncer), Redis,
wrk and this driver, in % of one core over the run (the machine has ``os.cpu_count()`` cores; a
group's figure counts its processes and their children), the machine's total, and the
PostgreSQL client connections open at peak (``pg_stat_activity``, sampled every 0.1 s,
the driver's own left out). Two cores bound what a second node can add: the figures show
where the cores went.

    .venv/bin/python -m bench.cluster                         # 1 vs 2 nodes (make bench)
    .venv/bin/python -m bench.cluster --pool-vs-pgbouncer     # connections, 2 nodes
    .venv/bin/python -m bench.cluster --products 5000 --buyers 1000 --units 250 --seconds 10
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import summary
from bench.common import BENCH_ENV, DESIGNMALL

PRODUCTS = 20_000
BUYERS = 2_000
UNITS = 500
FLASH_CLIENTS = 64
PAGE_CLIENTS = 16
PAGE_SECONDS = 20
NODE_PROCESSES = 1
NODE_THREADS = 8
PG_MAX_CONNECTIONS = 100  # PostgreSQL's default
# The connections comparison: 2 nodes x 2 processes x 8 threads = 32 threads, with the
# same cap of 16 server connections for the pool (4 per process) and for PgBouncer.
POOL_NODE_PROCESSES = 2
POOL_PER_PROCESS = 4
PGBOUNCER_POOL = 16
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Setup:
    label: str
    nodes: int
    node_processes: int = NODE_PROCESSES
    node_threads: int = NODE_THREADS
    pool_size: int = 0  # DATABASE_POOL_SIZE per process; 0: a connection per thread
    pgbouncer_pool: int = 0
    env: dict[str, str] = field(default_factory=dict)


def node_setups() -> list[Setup]:
    return [Setup("1 node", nodes=1), Setup("2 nodes", nodes=2)]


def connection_setups() -> list[Setup]:
    threads = 2 * POOL_NODE_PROCESSES * NODE_THREADS
    common = {"nodes": 2, "node_processes": POOL_NODE_PROCESSES}
    return [
        Setup(f"a connection per thread ({threads} threads)", **common),
        Setup(
            f"psycopg pool, {POOL_PER_PROCESS}/process",
            **common,
            pool_size=POOL_PER_PROCESS,
        ),
        Setup(f"PgBouncer transaction, {PGBOUNCER_POOL}", **common, pgbouncer_pool=PGBOUNCER_POOL),
    ]


# --- CPU per group of processes, from /proc -----------------------------------------------


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU ticks: own and reaped children's)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        # After the name: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based.
        ticks = sum(int(fields[n]) for n in (11, 12, 13, 14))
        found[int(entry)] = (int(fields[1]), ticks)
    return found


def _group_ticks(roots: list[int], table: dict[int, tuple[int, int]]) -> int:
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0, [r for r in roots if r in table]
    while todo:
        pid = todo.pop()
        total += table[pid][1]
        todo.extend(children.get(pid, []))
    return total


def _machine_busy_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU ticks of the cluster's groups of processes between ``start`` and ``stop``."""

    def __init__(self, cluster) -> None:
        postmaster = cluster.pg_data["primary"] / "postmaster.pid"
        self.groups = {
            "nginx": [cluster.processes["nginx"].pid],
            "web nodes": [p.pid for n, p in cluster.processes.items() if n.startswith("web")],
            "PostgreSQL": [int(postmaster.read_text().split()[0])],
            "Redis": [cluster.processes["redis"].pid],
        }
        if "pgbouncer" in cluster.processes:
            self.groups["PgBouncer"] = [cluster.processes["pgbouncer"].pid]

    def _snapshot(self) -> dict[str, float]:
        table = _processes()
        shot = {name: _group_ticks(roots, table) / CLK_TCK for name, roots in self.groups.items()}
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        mine = resource.getrusage(resource.RUSAGE_SELF)
        shot["wrk"] = children.ru_utime + children.ru_stime  # wrk: our only child meanwhile
        shot["bench driver"] = mine.ru_utime + mine.ru_stime
        busy, total = _machine_busy_ticks()
        shot["machine"] = busy / CLK_TCK
        shot["machine_all"] = total / CLK_TCK
        return shot

    def start(self) -> None:
        self._first = self._snapshot()
        self._started = time.monotonic()

    def stop(self) -> dict[str, float]:
        last = self._snapshot()
        wall = time.monotonic() - self._started
        used = {name: 100 * (last[name] - self._first[name]) / wall for name in last}
        cores = os.cpu_count() or 1
        # The machine's busy share as % of one core (of cores x 100 in all).
        used["machine"] = (
            100
            * cores
            * (last["machine"] - self._first["machine"])
            / max(1e-9, last["machine_all"] - self._first["machine_all"])
        )
        used.pop("machine_all")
        ours = sum(v for k, v in used.items() if k != "machine")
        used["others on the machine"] = max(0.0, used["machine"] - ours)
        return used


class PeakConnections:
    """The most client connections to the cluster's database seen at once, sampled."""

    def __init__(self, primary_url: str, ignore: list[int]) -> None:
        self.primary_url, self.ignore, self.peak = primary_url, ignore, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.primary_url, autocommit=True) as conn:
            ignore = [*self.ignore, conn.info.backend_pid]
            while not self._stop.is_set():
                (count,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = 'designmall'"
                    " AND backend_type = 'client backend' AND pid <> ALL(%s)",
                    [ignore],
                ).fetchone()
                self.peak = max(self.peak, count)
                self._stop.wait(0.1)

    def __enter__(self) -> PeakConnections:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# --- one configuration, in a subprocess of its own -------------------------------------------


def _measured(cluster, django_pid: int, fn, *args, **kwargs) -> tuple[dict, dict, int]:
    meter = CpuMeter(cluster)
    with PeakConnections(cluster.primary_url, [django_pid]) as peak:
        meter.start()
        result = fn(*args, **kwargs)
        cpu = meter.stop()
    return result, cpu, peak.peak


def run_one(setup: Setup, options: dict) -> dict:
    from designmall.demo.cluster import Cluster

    extra = {**BENCH_ENV, **setup.env}
    if setup.pool_size:
        extra["DATABASE_POOL_SIZE"] = str(setup.pool_size)
    cluster = Cluster(
        nodes=setup.nodes,
        workers=0,
        replica=False,
        node_processes=setup.node_processes,
        node_threads=setup.node_threads,
        pg_max_connections=PG_MAX_CONNECTIONS,
        pgbouncer_pool=setup.pgbouncer_pool,
        log=False,
        extra_env=extra,
    )
    with cluster, tempfile.TemporaryDirectory(prefix="designmall-bench-cluster-") as tmp:
        folder = Path(tmp)
        direct = cluster.env(direct=True)
        started = time.perf_counter()
        subprocess.run(
            [DESIGNMALL, "seed", "-v", "0", "--products", str(options["products"])],
            env=direct,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seeded = time.perf_counter() - started
        for name in ("DATABASE_URL", "REDIS_URL", "DESIGNMALL_VAR", "SECRET_KEY", "SITE_URL"):
            os.environ[name] = direct[name]
        from bench.common import setup_django

        setup_django()
        from django.db import connection

        from bench import pages, store
        from designmall.accounts.services import roles_sync_groups

        roles_sync_groups()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (django_pid,) = cursor.fetchone()
        tokens = store._buyers_with_tokens(options["buyers"])
        results: dict = {"seed_seconds": seeded}

        paths = pages._product_paths(pages.PRODUCTS + pages.WARM_UP)
        warm_up, paths = paths[: pages.WARM_UP], paths[pages.WARM_UP :]
        (folder / "paths.txt").write_text("\n".join(paths) + "\n")
        (folder / "pages.lua").write_text(pages.WRK_SCRIPT)
        clients, seconds = options["page_clients"], options["seconds"]
        pages._visit_each(cluster.url, warm_up, clients)
        for label, visit_first in (("first visits", False), ("cached", True)):
            if visit_first:
                pages._visit_each(cluster.url, paths, clients)
                pages._wrk(
                    cluster.url, pattern="uniform", clients=clients, seconds=3, folder=folder
                )
            result, cpu, peak = _measured(
                cluster,
                django_pid,
                pages._wrk,
                cluster.url,
                pattern="uniform",
                clients=clients,
                seconds=seconds,
                folder=folder,
            )
            results[f"pages: {label}"] = {**result, "cpu": cpu, "peak_connections": peak}

        flash_folder = folder / "flash"
        flash_folder.mkdir()
        meter_box: dict = {}

        def timed_wrk(*args, **kwargs):
            # CPU over wrk's run only (not the sale's set-up and proofs around it).
            meter = CpuMeter(cluster)
            meter.start()
            try:
                return store.wrk(*args, **kwargs)
            finally:
                meter_box["cpu"] = meter.stop()

        with PeakConnections(cluster.primary_url, [django_pid]) as peak:
            sale = store.flash_sale(
                cluster.url,
                flash_folder,
                tokens,
                units=options["units"],
                clients=options["flash_clients"],
                runner=timed_wrk,
            )
        results["flash sale"] = {
            key: sale[key]
            for key in (
                "successes_per_second",
                "per_second",
                "p50_ms",
                "p99_ms",
                "orders",
                "units",
                "available",
                "held",
                "statuses",
                "unanswered",
            )
        } | {"books": len(sale["books"]), "cpu": meter_box["cpu"], "peak_connections": peak.peak}
        from django.db import connections

        connections.close_all()
    return results


# --- the side-by-side report -----------------------------------------------------------------

CPU_GROUPS = ("nginx", "web nodes", "PostgreSQL", "PgBouncer", "Redis", "wrk", "bench driver")


def _row(name: str, values: list[str]) -> None:
    print(f"  {name:<40}" + "".join(f"{v:>22}" for v in values), flush=True)


def _report(setups: list[Setup], results: list[dict], load: str) -> None:
    print(f"\nbusy machine: load average {load} (others' work shares the cores)")
    _row("", [s.label[:21] for s in setups])
    for part in ("pages: first visits", "pages: cached", "flash sale"):
        print(f"{part}")
        rows: list[tuple[str, str, str]] = []
        if part == "flash sale":
            rows += [
                ("successes/s while units last", "successes_per_second", "{:,.1f}"),
                ("answers/s (201 + 409)", "per_second", "{:,.1f}"),
            ]
        else:
            rows += [("pages/s", "per_second", "{:,.1f}")]
        rows += [("p50 ms", "p50_ms", "{:,.1f}"), ("p99 ms", "p99_ms", "{:,.1f}")]
        for name, key, shape in rows:
            _row(name, [shape.format(r[part][key]) for r in results])
        if part == "flash sale":
            _row(
                "orders / units / stock left / books bad",
                [
                    f"{r[part]['orders']}/{r[part]['units']}/{r[part]['available']}"
                    f"/{r[part]['books']}"
                    for r in results
                ],
            )
        else:
            _row("errors", [str(r[part]["errors"]) for r in results])
        _row("PostgreSQL connections at peak", [str(r[part]["peak_connections"]) for r in results])
        for group in (*CPU_GROUPS, "machine", "others on the machine"):
            if any(group in r[part]["cpu"] for r in results):
                _row(
                    f"CPU % of a core: {group}",
                    [
                        f"{r[part]['cpu'][group]:.0f}" if group in r[part]["cpu"] else "-"
                        for r in results
                    ],
                )


def _summary_rows(setups: list[Setup], results: list[dict], *, nodes: bool) -> list:
    rows = []
    for setup, result in zip(setups, results, strict=True):
        sale = result["flash sale"]
        bench = f"cluster {setup.label}: flash sale ({sale['units']} units)"
        oversold = max(0, sale["orders"] - sale["units"]) + max(0, -sale["available"])
        rows += [
            summary.below(bench, "p99", sale["p99_ms"], limit=300),
            summary.equal(bench, "units oversold", oversold, expected=0),
            summary.equal(
                bench,
                "units sold / stock books disagreeing",
                f"{sale['orders']} / {sale['books']}",
                expected=f"{sale['units']} / 0",
            ),
            summary.below(
                f"cluster {setup.label}",
                "PostgreSQL connections at peak",
                max(r["peak_connections"] for k, r in result.items() if k != "seed_seconds"),
                limit=PG_MAX_CONNECTIONS,
                unit="",
            ),
        ]
    if nodes and len(results) == 2:
        one, two = results
        for part, key, target in (
            ("pages: first visits", "per_second", "pages/s"),
            ("pages: cached", "per_second", "pages/s"),
            ("flash sale", "successes_per_second", "successes/s while units last"),
        ):
            rows.append(
                summary.at_least(
                    f"cluster 2 nodes: {part}",
                    target,
                    two[part][key],
                    reference=one[part][key],
                    share=1.0,
                    reference_name="1 node",
                )
            )
    return rows


def run(setups: list[Setup], options: dict, *, nodes: bool) -> list[dict]:
    missing = [p for p in ("wrk", "redis-server") if not shutil.which(p)]
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        missing.append("nginx")
    if any(s.pgbouncer_pool for s in setups) and not (
        shutil.which("pgbouncer") or Path("/usr/sbin/pgbouncer").exists()
    ):
        missing.append("pgbouncer")
    if missing:
        print(f"bench.cluster skipped: {', '.join(missing)} not installed (apt-get install …)")
        return []
    print(
        f"cluster: {options['products']:,} products seeded; pages {options['page_clients']}"
        f" clients x {options['seconds']} s; flash sale {options['buyers']:,} buyers /"
        f" {options['units']} units @{options['flash_clients']}; PostgreSQL max_connections"
        f" {PG_MAX_CONNECTIONS}; no replica, no workers",
        flush=True,
    )
    loads = []
    results = []
    with tempfile.TemporaryDirectory(prefix="designmall-bench-cluster-") as tmp:
        for n, setup in enumerate(setups):
            print(
                f"--- {setup.label}: {setup.nodes} node(s) x {setup.node_processes} process(es)"
                f" x {setup.node_threads} threads",
                flush=True,
            )
            out = Path(tmp) / f"{n}.json"
            job = {"setup": setup.__dict__, "options": options, "out": str(out)}
            subprocess.run(
                [sys.executable, "-m", "bench.cluster", "--one", json.dumps(job)],
                check=True,
                env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            )
            results.append(json.loads(out.read_text()))
            loads.append(os.getloadavg())
    load = " / ".join(f"{a:.2f}, {b:.2f}, {c:.2f}" for a, b, c in loads)
    _report(setups, results, load)
    summary.report(_summary_rows(setups, results, nodes=nodes))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__)
    parser.add_argument("--pool-vs-pgbouncer", action="store_true")
    parser.add_argument("--products", type=int, default=PRODUCTS)
    parser.add_argument("--buyers", type=int, default=BUYERS)
    parser.add_argument("--units", type=int, default=UNITS)
    parser.add_argument("--flash-clients", type=int, default=FLASH_CLIENTS)
    parser.add_argument("--page-clients", type=int, default=PAGE_CLIENTS)
    parser.add_argument("--seconds", type=int, default=PAGE_SECONDS, help="each page run")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one configuration
    args = parser.parse_args(argv)
    if args.one:
        job = json.loads(args.one)
        result = run_one(Setup(**job["setup"]), job["options"])
        Path(job["out"]).write_text(json.dumps(result))
        return
    options = {
        "products": args.products,
        "buyers": args.buyers,
        "units": args.units,
        "flash_clients": args.flash_clients,
        "page_clients": args.page_clients,
        "seconds": args.seconds,
    }
    if args.pool_vs_pgbouncer:
        run(connection_setups(), options, nodes=False)
    else:
        run(node_setups(), options, nodes=True)


if __name__ == "__main__":
    main()
