from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "designmall.events"
    label = "events"
    verbose_name = "Events"

    def ready(self) -> None:
        from designmall.events import payables

        payables.register()
