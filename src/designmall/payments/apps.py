from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "designmall.payments"
    label = "payments"
    verbose_name = "Payments"
