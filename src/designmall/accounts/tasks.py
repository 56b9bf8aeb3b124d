from datetime import timedelta

from django.contrib.sessions.models import Session

# The recovery emails' job handlers (password reset, email change) register on import.
from designmall.accounts import recovery  # noqa: F401
from designmall.core import clock
from designmall.core.tasks import periodic


@periodic(every=timedelta(hours=1))
def sessions_clear_expired() -> None:
    """Delete expired web sessions (idempotent)."""
    Session.objects.filter(expire_date__lt=clock.now()).delete()
