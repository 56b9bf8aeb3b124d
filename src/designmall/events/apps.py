from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "designmall.events"
    label = "events"
    verbose_name = _("活动与票务")

    def ready(self) -> None:
        from designmall.events import payables

        payables.register()
