from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "designmall.api"
    label = "api"
    verbose_name = "API"
