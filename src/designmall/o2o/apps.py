from django.apps import AppConfig


class O2OConfig(AppConfig):
    name = "designmall.o2o"
    label = "o2o"
    verbose_name = "O2O"

    def ready(self) -> None:
        from designmall.events.checkin.entered import on_first_entry
        from designmall.o2o.passport import checkin_stamp

        on_first_entry(checkin_stamp)  # an event's check-in stamps the visitor's passport
