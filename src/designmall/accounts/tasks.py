from datetime import timedelta

from django.contrib.sessions.models import Session

from designmall.core import clock
from designmall.core.tasks import periodic


@periodic(every=timedelta(hours=1))
def sessions_clear_expired() -> None:
    """Delete expired web sessions (idempotent)."""
    Session.objects.filter(expire_date__lt=clock.now()).delete()
