from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "designmall.core"
    label = "core"
    verbose_name = "Core"
