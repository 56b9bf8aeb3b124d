from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "designmall.promotions"
    label = "promotions"
    verbose_name = "Promotions"
