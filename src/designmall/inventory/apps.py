from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "designmall.inventory"
    label = "inventory"
    verbose_name = "Inventory"
