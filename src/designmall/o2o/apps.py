from django.apps import AppConfig


class O2OConfig(AppConfig):
    name = "designmall.o2o"
    label = "o2o"
    verbose_name = "O2O"
