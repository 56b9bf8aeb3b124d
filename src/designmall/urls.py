from django.contrib import admin
from django.urls import include, path, re_path

from designmall.api.urls import api_urlpatterns
from designmall.core.media import serve_media

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *api_urlpatterns,
    path("payments/", include("designmall.payments.urls")),
    path("", include("designmall.storefront.urls")),
    # Uploaded and generated images. Behind a real web server this path is
    # served by it (with the same types and headers: core/media.py); here the app serves
    # them so the demo needs nothing else, never as a page.
    re_path(r"^media/(?P<path>.*)$", serve_media),
]
