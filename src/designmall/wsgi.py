import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from designmall.core.gate import ActiveRequestLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designmall.settings")
application = get_wsgi_application()
if settings.WEB_ACTIVE_REQUESTS > 0:
    application = ActiveRequestLimit(application, settings.WEB_ACTIVE_REQUESTS)
