import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from designmall.core.gate import ActiveRequestLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designmall.settings")
application = get_wsgi_application()
if settings.WEB_ACTIVE_REQUESTS > 0:
    application = ActiveRequestLimit(application, settings.WEB_ACTIVE_REQUESTS)
if settings.DEAL_REDIS_URL:
    from designmall.api.deal_front import DealSoldOutFront

    # In front of the queue: a sold-out deal's buyers are answered from Redis at once.
    application = DealSoldOutFront(application)
