"""The capacity model of docs/CAPACITY.md, recomputed from its measured figures.

Every figure below is copied from a benchmark run (the source says which command and which
dated section of docs/BENCHMARKS.md); every assumption is named. Change either and run

    .venv/bin/python -m bench.capacity

to print the doc's tables again (markdown). Nothing here measures anything.
"""

from __future__ import annotations

import math

# (value, unit, p99 measured, p99 target, source). One "node" is what the benchmarks serve
# from: `designmall serve`, 2 gunicorn processes x 8 threads, on 2 cores shared with
# PostgreSQL, Redis and the load generator.
MEASURED = {
    "pages": (
        184.4,
        "pages/s",
        231.5,
        100,
        "bench.pages, popular, visited before (quiet 2026-12-06)",
    ),
    "checkouts": (
        123.4,
        "checkouts/s",
        311,
        300,
        "bench.store, 3-shop checkout @16 (2026-11-27 s4)",
    ),
    "bids": (
        167.5,
        "bids answered/s",
        2043.7,
        300,
        "bench.auctions, hot lot @64 (quiet 2026-12-06)",
    ),
    "scans": (66.4, "scans/s", 508.0, 300, "bench.events, online check-in @16 (quiet 2026-12-06)"),
    "deal": (1464.2, "buyers answered/s", 4439.7, 500, "bench.deals, Redis admission @256 (quiet)"),
    "streams": (250, "streams/process", 163.1, 1000, "bench.auctions, 500 watchers / 2 processes"),
    "jobs": (
        1309.5,
        "jobs/s, 2 workers",
        None,
        None,
        "bench.jobs, 100,000 jobs (quiet 2026-12-06)",
    ),
    "hot_row": (1019.1, "tx/s on one row", None, None, "pgbench hot row @64, lowest quiet run"),
    "tpcb": (886.0, "tx/s, TPC-B", None, None, "pgbench tpcb-like -c 16 (busy 2026-12-06)"),
    "redis": (9511.1, "Lua calls/s", None, None, "redis-benchmark EVAL -c 50 (busy 2026-12-06)"),
}

ASSUMED = {
    "visits": 3_000_000,  # over the show
    "days": 10,
    "peak_hour_share": 0.15,  # of a day's visits
    "peak_minute_factor": 2.0,  # the busiest minute of the peak hour over its mean
    "pages_per_visit": 10,
    "requests_per_page": 1.5,  # Django requests per page view (page + API/fragment on half)
    "buy_share": 0.03,  # visits that check out
    "venue_share": 0.4,  # visits that come to the venue
    "scans_per_venue_visit": 5,  # 1 gate + 4 booth / passport scans
    "visit_minutes": 12,  # how long a visit stays (Little's law: visitors at once)
    "watch_share": 0.10,  # visitors at once with a live lot page open
    "closing_bids_per_second": 50,  # all lots' soft closes at the peak
    "deal_buyers": 50_000,
    "deal_seconds": 10,
    "deal_units": 500,
    "jobs_per_order": 5,  # mails, notifications, stock and search refresh
    "redis_calls_per_page": 2,  # page cache and session / rate-limit reads
    "planning_load": 0.5,  # plan each node at half its saturated throughput
    "processes_per_node": 2,
    "workers": 2,
    "max_connections": 100,
    "reserved_connections": 10,  # superuser, replication, migrations, psql
}


def model(measured=MEASURED, a=ASSUMED) -> list[tuple[str, str, float]]:
    """(quantity, formula, result) rows, in the order the doc shows them."""
    rows: list[tuple[str, str, float]] = []

    def row(name: str, formula: str, value: float) -> float:
        rows.append((name, formula, value))
        return value

    m = {key: value[0] for key, value in measured.items()}
    load = a["planning_load"]
    day = row("visits per day", "visits / days", a["visits"] / a["days"])
    hour = row("visits in the peak hour", "day x peak_hour_share", day * a["peak_hour_share"])
    per_s = row("visits/s, peak hour", "hour / 3600", hour / 3600)
    pages = row(
        "page requests/s, peak minute",
        "visits/s x pages_per_visit x requests_per_page x peak_minute_factor",
        per_s * a["pages_per_visit"] * a["requests_per_page"] * a["peak_minute_factor"],
    )
    checkouts = row(
        "checkouts/s, peak minute",
        "visits/s x buy_share x peak_minute_factor",
        per_s * a["buy_share"] * a["peak_minute_factor"],
    )
    scans = row(
        "scans/s, peak minute",
        "visits/s x venue_share x scans_per_venue_visit x peak_minute_factor",
        per_s * a["venue_share"] * a["scans_per_venue_visit"] * a["peak_minute_factor"],
    )
    bids = row("bids/s, closing surge", "closing_bids_per_second", a["closing_bids_per_second"])
    at_once = row(
        "visitors at once", "visits/s x visit_minutes x 60", per_s * a["visit_minutes"] * 60
    )
    streams = row("live streams open", "visitors at once x watch_share", at_once * a["watch_share"])
    deal = row(
        "flash deal buys/s", "deal_buyers / deal_seconds", a["deal_buyers"] / a["deal_seconds"]
    )

    def nodes(name: str, demand: float, key: str) -> float:
        return row(
            f"web nodes for {name}",
            f"{name} / ({m[key]:,.1f} x planning_load)",
            demand / (m[key] * load),
        )

    parts = [
        nodes("pages", pages, "pages"),
        nodes("checkouts", checkouts, "checkouts"),
        nodes("scans", scans, "scans"),
        nodes("bids", bids, "bids"),
        row(
            "web nodes for streams",
            f"streams / ({m['streams']} x processes_per_node)",
            streams / (m["streams"] * a["processes_per_node"]),
        ),
    ]
    everyday = row("web nodes, peak hour", "ceil(sum of the five above)", math.ceil(sum(parts)))
    flash = row(
        "web nodes added for the flash deal",
        "ceil(deal / (1,464.2 x planning_load))",
        math.ceil(deal / (m["deal"] * load)),
    )
    total = row("web nodes, opening night", "peak hour + flash deal", everyday + flash)
    orders = a["deal_units"] + checkouts * 60  # the deal's orders plus a peak minute's checkouts
    jobs = row(
        "jobs in the opening-night minute",
        "(deal_units + checkouts/s x 60) x jobs_per_order",
        orders * a["jobs_per_order"],
    )
    row(
        "worker processes for the jobs",
        "jobs / 60 / (1,309.5 / 2 x planning_load)",
        jobs / 60 / (m["jobs"] / 2 * load),
    )
    processes = row(
        "processes holding connections",
        "total x processes_per_node + workers",
        total * a["processes_per_node"] + a["workers"],
    )
    usable = a["max_connections"] - a["reserved_connections"]
    row(
        "largest DATABASE_POOL_SIZE that fits",
        "floor((max_connections - reserved) / processes)",
        usable // processes,
    )
    for pool in (2, 1):
        row(
            f"show load multiple where a pool of {pool} stops fitting",
            f"(max_connections - reserved) / (processes x {pool})",
            usable / (processes * pool),
        )
    writes = row(
        "primary write transactions/s, peak",
        "checkouts x 2 + scans + bids + deal_units / deal_seconds + jobs / 60 x 2",
        checkouts * 2 + scans + bids + a["deal_units"] / a["deal_seconds"] + jobs / 60 * 2,
    )
    if m["tpcb"]:
        row(
            "show load multiple where the primary's writes run out",
            "tpcb x planning_load / writes",
            m["tpcb"] * load / writes,
        )
    row(
        "deal unit rate multiple where one hot row runs out",
        "hot_row x planning_load / (deal_units / deal_seconds)",
        m["hot_row"] * load / (a["deal_units"] / a["deal_seconds"]),
    )
    calls = row(
        "Redis calls/s, opening night",
        "deal + pages x redis_calls_per_page + bids",
        deal + pages * a["redis_calls_per_page"] + bids,
    )
    if m["redis"]:
        row(
            "Redis headroom (one instance)",
            "redis x planning_load / calls",
            m["redis"] * load / calls,
        )
    return rows


def main() -> None:
    print("| source figure | value | p99 measured / target |\n|---|---|---|")
    for value, unit, p99, target, source in MEASURED.values():
        p99_shown = f"{p99:,.0f} / {target:,} ms" if p99 is not None else "–"
        print(f"| {source} | {value:,.1f} {unit} | {p99_shown} |")
    print("\n| quantity | formula | result |\n|---|---|---|")
    for name, formula, value in model():
        print(f"| {name} | {formula} | {value:,.1f} |")


if __name__ == "__main__":
    main()
