from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "designmall.demo"
    label = "demo"
    verbose_name = "Demo"
