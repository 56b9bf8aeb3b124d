"""What the hot-path benchmarks share: pgbench's hot-row order transaction measured in the
same run at 16 and 64 clients, the selling phase's rate (successes while units last), and
the summary rows each benchmark hands to ``bench.summary``.

The selling phase runs from the moment the load starts until the last success (by the
server's timestamps on the rows written): a rush whose refusals are cheap has a high
answers/s while buyers feel only how fast the units went.
"""

from __future__ import annotations

import subprocess
from datetime import datetime

from bench import summary
from bench.common import figure

PGBENCH_CLIENTS = (16, 64)
PGBENCH_SECONDS = 8
P99_TARGET_MS = 300.0


def pgbench_hot_row(database_url: str, seconds: int = PGBENCH_SECONDS) -> dict[int, float]:
    """pgbench's hot-row order transactions/s at 16 and 64 clients (a count missing when the
    server refused the connections: PostgreSQL's 100 are shared)."""
    from bench.pgbench import hot_row

    found: dict[int, float] = {}
    print("pgbench: the hot-row order transaction (conditional decrement + 2 inserts)")
    for clients in PGBENCH_CLIENTS:
        try:
            found[clients] = hot_row(database_url, clients=clients, seconds=seconds)["per_second"]
        except subprocess.CalledProcessError as exc:
            print(f"  {clients} clients: not measured ({(exc.stderr or '').strip()[:120]})")
            continue
        figure(f"transactions/s, {clients} clients", found[clients])
    return found


def selling_rate(successes: int, started: datetime, last_success: datetime | None) -> float:
    """Successes per second from the load's start to the last success."""
    if not successes or last_success is None:
        return 0.0
    return successes / max((last_success - started).total_seconds(), 1e-3)


def _share(value: float, of: float | None) -> str:
    return "n/a" if not of else f"{value / of:.0%}"


def rows(
    *,
    path: str,
    unit: str,
    result: dict,
    pgbench: dict[int, float],
    selling_share: float,
    correct_name: str,
    correct: bool,
    thread_ceiling: float | None = None,
) -> list[summary.Row]:
    """The summary rows of one hot path against the same run's pgbench (64 clients, the
    HTTP load's own count; 16 beside it)."""
    reference = pgbench.get(64)
    selling, answers = result["selling_per_second"], result["per_second"]
    out = [
        summary.Row(
            path,
            f"{unit}/s while units last",
            f"{selling:,.1f}/s ({_share(selling, reference)} of pgbench 64)",
            f">= {selling_share:.0%} of pgbench",
            None if not reference else selling >= selling_share * reference,
        ),
        summary.Row(
            path,
            "answers/s",
            f"{answers:,.1f}/s ({_share(answers, reference)} of pgbench 64)",
            ">= 100% of pgbench",
            None if not reference else answers >= reference,
        ),
        summary.Row(
            path,
            "p50 / p99",
            f"{result['p50_ms']:,.0f} / {result['p99_ms']:,.0f} ms",
            f"p99 < {P99_TARGET_MS:.0f} ms",
            result["p99_ms"] < P99_TARGET_MS,
        ),
        summary.Row(path, correct_name, "yes" if correct else "NO", "yes", correct),
    ]
    for clients, tps in sorted(pgbench.items()):
        out.append(summary.beside(path, f"pgbench hot row, {clients} clients", f"{tps:,.1f} tx/s"))
    if thread_ceiling:
        out.append(
            summary.beside(
                path,
                "psycopg 64-thread ceiling (GIL-bound)",
                f"{thread_ceiling:,.1f}/s (answers {_share(answers, thread_ceiling)})",
            )
        )
    return out
