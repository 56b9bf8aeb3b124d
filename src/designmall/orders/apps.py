from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "designmall.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from designmall.orders import payables

        payables.register()
