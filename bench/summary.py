"""The regression guard at the end of ``make bench``: one table of every hot-path target and
whether this run met it.

Each benchmark gives its rows to ``report`` (what was measured, the figure, the goal, met or
not). Run by ``python -m bench``, the rows are appended to the file it names in
``BENCH_SUMMARY_FILE`` (the benchmarks run as subprocesses) and ``python -m bench`` prints
them all last (``print_table(rows_read(path))``); a benchmark run alone prints its own
table at its end. The goals are checked here, in the benchmark, never in a timed test.

    from bench import summary
    summary.report([
        summary.at_least("flash sale", "successes/s while units last", 480.0,
                         reference=1200.0, share=0.5, reference_name="pgbench hot row"),
        summary.below("flash sale", "p99", 212.0, limit=300, unit="ms"),
        summary.equal("flash sale", "oversold units", 0, expected=0),
    ])
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

ENV = "BENCH_SUMMARY_FILE"


@dataclass(frozen=True)
class Row:
    bench: str  # "flash sale", "reservation rush", "hot-lot bids", "flash deal"...
    target: str  # what is measured
    figure: str  # this run's figure, as shown
    goal: str  # the target, as shown ("" for a line shown beside the targets)
    met: bool | None  # None: a figure for reference (pgbench's, say), not a target


def _shown(value: float | int, unit: str = "") -> str:
    text = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
    return f"{text} {unit}".rstrip()


def at_least(
    bench: str,
    target: str,
    value: float,
    *,
    reference: float,
    share: float,
    reference_name: str,
    unit: str = "/s",
) -> Row:
    """``value`` must be at least ``share`` of ``reference`` (a figure of the same run)."""
    ratio = value / reference if reference else 0.0
    return Row(
        bench,
        target,
        f"{_shown(value, unit)} ({ratio:.0%})",
        f">= {share:.0%} of {reference_name} ({_shown(reference, unit)})",
        reference > 0 and value >= share * reference,
    )


def below(bench: str, target: str, value: float, *, limit: float, unit: str = "ms") -> Row:
    return Row(bench, target, _shown(value, unit), f"< {_shown(limit, unit)}", value < limit)


def equal(bench: str, target: str, value: object, *, expected: object) -> Row:
    return Row(bench, target, str(value), f"= {expected}", value == expected)


def beside(bench: str, what: str, figure: str) -> Row:
    """A figure shown beside the targets without being one (the same run's pgbench)."""
    return Row(bench, what, figure, "", None)


def report(rows: list[Row]) -> None:
    """Record a benchmark's rows: into ``BENCH_SUMMARY_FILE`` when ``python -m bench`` runs
    it, else printed as this benchmark's own table."""
    path = os.environ.get(ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
    else:
        print_table(rows)


def rows_read(path: str | Path) -> list[Row]:
    file = Path(path)
    if not file.exists():
        return []
    return [Row(**json.loads(line)) for line in file.read_text("utf-8").splitlines() if line]


def print_table(rows: list[Row]) -> None:
    if not rows:
        print("\nsummary: no targets reported")
        return
    headers = ("bench", "target", "this run", "goal", "met")
    verdicts = {True: "yes", False: "NO", None: ""}
    table = [headers] + [(r.bench, r.target, r.figure, r.goal, verdicts[r.met]) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    targets = [r for r in rows if r.met is not None]
    met = sum(bool(r.met) for r in targets)
    print(f"\n=== summary: {met} of {len(targets)} targets met in this run ===")
    for n, row in enumerate(table):
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if n == 0:
            print("  " + "  ".join("-" * width for width in widths))
