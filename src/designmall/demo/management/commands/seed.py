import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from designmall.core.errors import DomainError
from designmall.demo.accounts import DEMO_PASSWORD, accounts_table
from designmall.demo.generator import DEFAULT_PRODUCTS, DEFAULT_SEED
from designmall.demo.services import SeedReport, database_tidy, demo_seed
from designmall.demo.week import week_line
from designmall.events.week import local_today


def _summary(report: SeedReport, seed: int) -> str:
    c, t = report.counts, report.seconds
    lines = [
        f"seed {seed}: {c['products']:,} products, {c['skus']:,} SKUs, {c['images']:,} images, "
        f"{c['designers']:,} designers, {c['shops']:,} shops, {c['users']:,} accounts, "
        f"{c['categories']:,} categories",
        f"programme: {c.get('venues', 0)} venues, {c.get('halls', 0)} halls, "
        f"{c.get('events', 0)} events, {c.get('sessions', 0):,} sessions, "
        f"{c.get('reservations', 0):,} reservations, {c.get('checkin_lists', 0)} check-in lists",
        f"pre-sales: {c.get('presale campaigns', 0)} campaigns (taking deposits, in the "
        f"balance window, full payment, closed with a forfeited deposit), "
        f"{c.get('pre-orders', 0)} pre-orders",
        f"pictures {t['pictures']:.1f} s ({report.pictures_drawn} drawn), "
        f"rows {t['rows']:.1f} s ({report.rows / max(t['rows'], 1e-9):,.0f} rows/s, "
        f"{c['products'] / max(t['rows'], 1e-9):,.0f} products/s), "
        f"search index {t['search index']:.1f} s, total {t['total']:.1f} s",
    ]
    if "wipe" in t:
        lines.append(f"(wiped the previous catalog first: {t['wipe']:.1f} s)")
    return "\n".join(lines)


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
                    on_stage=bar.set_description,
                )
            except DomainError as exc:
                raise CommandError(exc.message) from None
            bar.set_description("analyse")
            database_tidy()
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(_summary(report, seed)))
            if report.week is not None:
                self.stdout.write(week_line(report.week, local_today()))
            if not no_accounts:
                self.stdout.write(f"demo accounts (password {DEMO_PASSWORD}):\n{accounts_table()}")
