import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from designmall.core.errors import DomainError
from designmall.demo.accounts import DEMO_PASSWORD, accounts_table
from designmall.demo.generator import DEFAULT_PRODUCTS, DEFAULT_SEED
from designmall.demo.services import SeedReport, database_tidy, demo_seed
from designmall.demo.week import week_line
from designmall.events.week import local_today

# What the progress bar says at each step of ``demo_seed`` (its ``on_stage`` names); a step
# another module adds shows its own name.
STEP_LABELS = {
    "pictures": "1/6 drawing pictures (products, designers, sketches)",
    "wipe": "   wiping the previous demo",
    "rows": "2/6 writing the catalog (designers, shops, products)",
    "programme": "3/6 the design week programme and the auction sale",
    "orders": "4/6 the demo buyer's and seller's orders",
    "search index": "5/6 building the search index",
    "analyse": "6/6 refreshing database statistics",
}
# The counts the summary names on its own lines; any others (another module's) follow.
_SHOWN = {
    "products", "skus", "images", "designers", "shops", "users", "categories",
    "venues", "halls", "events", "sessions", "reservations", "tickets", "checkin_lists",
    "auction lots", "auction bids", "orders", "presale campaigns", "pre-orders",
}  # fmt: skip


def _summary(report: SeedReport, seed: int) -> str:
    c, t = report.counts, report.seconds
    lines = [
        f"seed {seed}: {c['products']:,} products, {c['skus']:,} SKUs, {c['images']:,} images, "
        f"{c['designers']:,} designers (with portraits), {c['shops']:,} shops, "
        f"{c['users']:,} accounts, {c['categories']:,} categories",
        f"programme: {c.get('venues', 0)} venues, {c.get('halls', 0)} halls, "
        f"{c.get('events', 0)} events, {c.get('sessions', 0):,} sessions, "
        f"{c.get('reservations', 0):,} reservations, {c.get('tickets', 0):,} tickets, "
        f"{c.get('checkin_lists', 0)} check-in lists",
        f"auction sale: {c.get('auction lots', 0)} lots, {c.get('auction bids', 0):,} bids "
        "by simulated bidders",
        f"pre-sales: {c.get('presale campaigns', 0)} campaigns (taking deposits, in the "
        f"balance window, full payment, closed with a forfeited deposit), "
        f"{c.get('pre-orders', 0)} pre-orders",
        f"orders: {c.get('orders', 0)} of the demo buyer at the demo seller's shop, one in "
        "every state (pending payment, paid, shipped, completed, ready for pickup, refunded, "
        "cancelled, after-sales)"
        if c.get("orders")
        else "orders: none (the demo's orders need the sandbox payment gateway)",
    ]
    others = {k: v for k, v in c.items() if k not in _SHOWN}
    if others:
        lines.append("also: " + ", ".join(f"{v:,} {k}" for k, v in sorted(others.items())))
    lines.append(
        f"pictures {t['pictures']:.1f} s ({report.pictures_drawn} drawn), "
        f"rows {t['rows']:.1f} s ({report.rows / max(t['rows'], 1e-9):,.0f} rows/s, "
        f"{c['products'] / max(t['rows'], 1e-9):,.0f} products/s), "
        f"search index {t['search index']:.1f} s, total {t['total']:.1f} s"
    )
    if "wipe" in t:
        lines.append(f"(wiped the previous catalog first: {t['wipe']:.1f} s)")
    return "\n".join(lines)


def _label(stage: str) -> str:
    return STEP_LABELS.get(stage, stage)


class Command(BaseCommand):
    help = (
        "Build the demo design week: demo accounts, designers, shops, categories and "
        "products with SKUs and pictures. The same --seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--products", type=int, default=DEFAULT_PRODUCTS)
        parser.add_argument(
            "--no-accounts", action="store_true", help="do not list the demo accounts at the end"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="wipe the existing catalog and demo accounts first",
        )

    def handle(self, *args, seed, products, reset, no_accounts, verbosity, **options):
        if products < 1:
            raise CommandError("--products must be at least 1")
        with tqdm(total=products, unit=" products", file=sys.stderr, disable=verbosity < 1) as bar:
            try:
                report = demo_seed(
                    seed=seed,
                    products=products,
                    reset=reset,
                    on_progress=bar.update,
                    on_stage=lambda stage: bar.set_description(_label(stage)),
                )
            except DomainError as exc:
                raise CommandError(exc.message) from None
            bar.set_description(_label("analyse"))
            database_tidy()
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(_summary(report, seed)))
            if report.week is not None:
                self.stdout.write(week_line(report.week, local_today()))
            if not no_accounts:
                self.stdout.write(f"demo accounts (password {DEMO_PASSWORD}):\n{accounts_table()}")
