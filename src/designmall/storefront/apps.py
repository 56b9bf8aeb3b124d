from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "designmall.storefront"
    label = "storefront"
    verbose_name = "Storefront"
