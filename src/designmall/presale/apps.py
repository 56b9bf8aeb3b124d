from django.apps import AppConfig


class PresaleConfig(AppConfig):
    name = "designmall.presale"
    label = "presale"
    verbose_name = "Pre-sale"

    def ready(self) -> None:
        from designmall.presale import payables

        payables.register()
