from django.apps import AppConfig


class AuctionsConfig(AppConfig):
    name = "designmall.auctions"
    label = "auctions"
    verbose_name = "Auctions"

    def ready(self) -> None:
        from designmall.auctions import payables

        payables.register()
