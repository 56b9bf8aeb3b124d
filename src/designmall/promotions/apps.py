from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "designmall.promotions"
    label = "promotions"
    verbose_name = "Promotions"

    def ready(self) -> None:
        from designmall.promotions import deal_payables

        deal_payables.register()
