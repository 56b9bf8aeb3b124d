from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "designmall.core"
    label = "core"
    verbose_name = _("系统")

    def ready(self):
        from django.db.backends.signals import connection_created

        from designmall.core.metrics import time_statements

        # Every statement on every connection is timed (designmall_db_query_duration_seconds).
        connection_created.connect(time_statements, dispatch_uid="designmall.metrics.db")
