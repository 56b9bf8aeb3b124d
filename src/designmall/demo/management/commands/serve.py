import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from designmall.demo.serving import (
    DEFAULT_KEEPALIVE_SECONDS,
    DEFAULT_THREADS,
    default_bind,
    env_int,
    granian_argv,
    gunicorn_argv,
    port_is_free,
)


class Command(BaseCommand):
    help = (
        "Serve the site with gunicorn (threaded workers). Bind from --bind or 127.0.0.1:$PORT; "
        "workers from WEB_CONCURRENCY (2), threads from WEB_THREADS (16), idle keep-alive "
        "connections kept WEB_KEEPALIVE_SECONDS (75)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=None, help="host:port (default 127.0.0.1:$PORT)")
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument("--threads", type=int, default=None)
        parser.add_argument(
            "--access-log",
            action="store_true",
            default=None,
            help="log every request to stdout (also ACCESS_LOG=1)",
        )

    def handle(self, *args, bind, workers, threads, access_log, **options):
        if settings.PAYMENTS_SANDBOX_REFUSED:
            raise CommandError(
                "refusing to serve: the sandbox cashier is on (PAYMENTS_GATEWAY=sandbox or "
                "PAYMENTS_SANDBOX_ENABLED=true) while HTTPS=true and DEBUG=false, so anyone "
                "who knows a trade number could mark it paid. Set PAYMENTS_GATEWAY=alipay, "
                "or PAYMENTS_SANDBOX_IN_PRODUCTION=true if this site is meant to take no "
                "real money (a staging site)."
            )
        threads = threads or env_int("WEB_THREADS", DEFAULT_THREADS)
        # The workers' settings size the live streams by their thread count.
        os.environ["WEB_THREADS"] = str(threads)
        bind = bind or default_bind()
        workers = workers or env_int("WEB_CONCURRENCY", 2)
        access_log = bool(access_log or env_int("ACCESS_LOG", 0))
        if os.environ.get("SERVER", "gunicorn") == "granian":
            # Measured against gunicorn, not adopted (docs/BENCHMARKS.md, 2026-12-06).
            argv = granian_argv(bind=bind, workers=workers, threads=threads, access_log=access_log)
        else:
            argv = gunicorn_argv(
                bind=bind,
                workers=workers,
                threads=threads,
                access_log=access_log,
                keepalive=env_int("WEB_KEEPALIVE_SECONDS", DEFAULT_KEEPALIVE_SECONDS),
            )
        host, _, port = bind.rpartition(":")
        if "--reuse-port" in argv and port.isdigit() and not port_is_free(host, int(port)):
            # With SO_REUSEPORT a second server could share the port without a word.
            raise CommandError(f"port {port} on {host} is in use")
        self.stdout.write(f"serve: http://{bind}/")
        sys.stdout.flush()
        # gunicorn takes this process over: its signals (TERM, INT, HUP) are its own.
        os.execv(argv[0], argv)
