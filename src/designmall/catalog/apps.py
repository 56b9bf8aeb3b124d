from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "designmall.catalog"
    label = "catalog"
    verbose_name = "Catalog"
