from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuctionsConfig(AppConfig):
    name = "designmall.auctions"
    label = "auctions"
    verbose_name = _("拍卖")

    def ready(self) -> None:
        from designmall.auctions import payables

        payables.register()
