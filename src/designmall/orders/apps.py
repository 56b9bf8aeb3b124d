from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "designmall.orders"
    label = "orders"
    verbose_name = _("订单")

    def ready(self) -> None:
        from designmall.orders import payables

        payables.register()
