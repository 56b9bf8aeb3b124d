import importlib
import signal
import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand

from designmall.core.jobs import BATCH as JOB_BATCH
from designmall.core.jobs import HANDLERS, run_due_jobs
from designmall.core.tasks import REGISTRY, run_due_tasks


def load_task_modules() -> None:
    for app in apps.get_app_configs():
        if app.name.startswith("designmall."):
            try:
                importlib.import_module(f"{app.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app.name}.tasks":
                    raise


class Command(BaseCommand):
    help = "Run the periodic sweepers and the queued jobs until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run what is due once and exit")

    def handle(self, *args, once=False, **options):
        load_task_modules()
        self.stdout.write(f"worker: {len(REGISTRY)} periodic tasks: {', '.join(sorted(REGISTRY))}")
        self.stdout.write(f"worker: {len(HANDLERS)} job handlers: {', '.join(sorted(HANDLERS))}")
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            ran = run_due_tasks()
            jobs = run_due_jobs()
            if (ran or jobs) and options["verbosity"] > 1:
                self.stdout.write(f"ran: {', '.join(ran) or '-'}; jobs: {jobs}")
            if once:
                break
            if jobs < JOB_BATCH:  # a full batch: more may be due, go on at once
                time.sleep(settings.WORKER_POLL_SECONDS)
