import os
import signal
import time
from datetime import date

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import color_style
from django.db import connections

from designmall.core import clock
from designmall.demo.accounts import DEMO_PASSWORD, accounts_table
from designmall.demo.auctions import auctions_ensure_live
from designmall.demo.deals import deals_ensure_live
from designmall.demo.generator import DEFAULT_PRODUCTS
from designmall.demo.services import catalog_exists
from designmall.demo.serving import (
    DEFAULT_PORT,
    ProcessGroup,
    designmall_argv,
    env_int,
    port_is_free,
    wait_until_healthy,
)
from designmall.demo.week import sqlite_files, week_line, week_over_notice
from designmall.events.week import WeekDates, local_today, week_dates


def startup_banner(url: str, *, week: WeekDates, today: date) -> str:
    """What the terminal shows once the demo is up: where, which day of the design week
    (and, after it, how to rebuild it), the demo accounts."""
    over = week_over_notice(week, today)
    return (
        color_style().SUCCESS(f"\n设计周商城已启动 / Design Mall is running: {url}")
        + f"\n  {week_line(week, today)}"
        + f"\n  后台 / back office: {url}admin/"
        + (f"\n\n{over}" if over else "")
        + f"\n\n演示账号 / demo accounts (密码 / password: {DEMO_PASSWORD}):\n"
        + accounts_table()
        + "\n\n按 Ctrl-C 停止 / press Ctrl-C to stop\n"
    )


class Command(BaseCommand):
    help = (
        "Run the demo: migrate, build the demo design week once, then run the worker and "
        "the web server on 127.0.0.1:$PORT until Ctrl-C. Needs no network."
    )
    # It migrates first; Django's warning about unapplied migrations would only confuse.
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=None, help="default $PORT or 8000")
        parser.add_argument(
            "--products", type=int, default=DEFAULT_PRODUCTS, help="catalog size on first run"
        )
        parser.add_argument("--access-log", action="store_true")
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="start from an empty database (SQLite: its file is deleted; otherwise "
            "seed --reset): a new demo week around today",
        )

    def handle(self, *args, host, port, products, access_log, fresh, verbosity, **options):
        port = port or env_int("PORT", DEFAULT_PORT)
        if not port_is_free(host, port):
            raise CommandError(f"端口 {port} 已被占用 / port {port} is in use: try PORT={port + 1}")
        self.stdout.write(f"data: {settings.VAR_DIR} ({settings.DATABASES['default']['ENGINE']})")
        files = sqlite_files(settings.DATABASES["default"]) if fresh else []
        if files:
            connections.close_all()
            for path in files:
                path.unlink(missing_ok=True)
            self.stdout.write(f"fresh: deleted {files[0]}")
        call_command("migrate", interactive=False, verbosity=0)
        if fresh and not files:
            self.stdout.write("catalog: rebuilding the demo design week around today…")
            call_command(
                "seed", products=products, reset=True, no_accounts=True, verbosity=verbosity
            )
        elif catalog_exists():
            self.stdout.write("catalog: reusing the existing demo data")
        else:
            self.stdout.write("catalog: building the demo design week (once)…")
            call_command("seed", products=products, no_accounts=True, verbosity=verbosity)
        over = week_over_notice(week_dates(), local_today())
        if over:
            self.stdout.write(self.style.WARNING(over))
        if auctions_ensure_live(now=clock.now()):
            self.stdout.write("auctions: every lot had closed; an encore sale is live now")
        if deals_ensure_live(now=clock.now()):
            self.stdout.write("deals: a flash deal is on now and another starts in 10 minutes")
        # The demo's worker has the demo bidders bid on live lots now and then.
        os.environ.setdefault("DEMO_SIMULATED_BIDDERS", "1")
        # The children open their own connections; this process needs none while it waits.
        connections.close_all()

        stopping = []

        def stop(signum, _frame):
            stopping.append(signum)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        children = ProcessGroup()
        try:
            children.start("worker", designmall_argv("worker"))
            serve = ["serve", "--bind", f"{host}:{port}"] + (["--access-log"] if access_log else [])
            web = children.start("web", designmall_argv(*serve))
            probe_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
            url = f"http://{probe_host}:{port}/"
            healthy = wait_until_healthy(
                f"{url}healthz", process=web, give_up=lambda: bool(stopping)
            )
            if not healthy and not stopping:
                raise CommandError("the web server did not come up; see its log above")
            if not stopping:
                self.stdout.write(startup_banner(url, week=week_dates(), today=local_today()))
            while not stopping:
                gone = children.exited()
                if gone:
                    name, code = gone
                    raise CommandError(f"the {name} process stopped unexpectedly (exit {code})")
                time.sleep(0.5)
        finally:
            self.stdout.write("stopping the web server and the worker…")
            children.stop()
        self.stdout.write("stopped.")
