from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "designmall.ledger"
    label = "ledger"
    verbose_name = "Ledger"
