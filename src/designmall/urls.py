from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from designmall.api.urls import api_urlpatterns
from designmall.core.media import serve_media
from designmall.core.metrics import metrics_view

# The back office carries the show's name, in the page's language.
admin.site.site_header = _("设计周商城后台")
admin.site.site_title = _("设计周商城")
admin.site.index_title = _("运营后台")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *api_urlpatterns,
    path("payments/", include("designmall.payments.urls")),
    # Prometheus' scrape: for METRICS_ALLOWED_IPS / METRICS_TOKEN only (core/metrics.py).
    path("metrics", metrics_view, name="metrics"),
    path("", include("designmall.storefront.urls")),
    # Uploaded and generated images. Behind a real web server this path is
    # served by it (with the same types and headers: core/media.py); here the app serves
    # them so the demo needs nothing else, never as a page.
    re_path(r"^media/(?P<path>.*)$", serve_media),
]

# Requests Django refuses before a view (an unreadable body): the API's error shape there.
handler400 = "designmall.api.errors.bad_request"
