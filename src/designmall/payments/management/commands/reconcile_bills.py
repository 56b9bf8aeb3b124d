from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from designmall.core import clock
from designmall.payments.gateways import GATEWAY_NAMES
from designmall.payments.models import DiscrepancyKind
from designmall.payments.reconciliation import beijing_today, bill_reconcile, gateways_in_use


class Command(BaseCommand):
    help = (
        "Reconcile a day's gateway bill with our books (default: yesterday, every gateway "
        "in use); the worker does this daily on its own."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the bill's day, YYYY-MM-DD (Beijing time)")
        parser.add_argument("--gateway", choices=GATEWAY_NAMES)

    def handle(self, *args, **options):
        now = clock.now()
        try:
            day = (
                date.fromisoformat(options["date"])
                if options["date"]
                else beijing_today(now) - timedelta(days=1)
            )
        except ValueError:
            raise CommandError("--date must be YYYY-MM-DD") from None
        if day >= beijing_today(now):
            raise CommandError("a day's bill is published the next day: pick an earlier date")
        gateways = (
            [options["gateway"]]
            if options["gateway"]
            else gateways_in_use(since=now - timedelta(days=3))
        )
        worst = 0
        for gateway in gateways:
            report = bill_reconcile(gateway=gateway, bill_date=day)
            self.stdout.write(
                f"{day} {gateway}: {report.status}, {report.gateway_trades} trades, "
                f"{report.discrepancies.count()} discrepancies"
                + (f" ({report.error})" if report.error else "")
            )
            for item in report.discrepancies.all():
                self.stdout.write(
                    f"  {DiscrepancyKind(item.kind).name.lower()}: "
                    f"{item.out_trade_no or '-'} {item.trade_no or '-'} "
                    f"{item.out_request_no or ''} gateway={item.gateway_fen} books={item.books_fen}"
                    + (f" -> {item.action}" if item.action else "")
                )
            worst = max(worst, 0 if report.status == "matched" else 1)
        if worst:
            raise SystemExit(1)
