from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from designmall.api.urls import api_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *api_urlpatterns,
    path("payments/", include("designmall.payments.urls")),
    path("", include("designmall.storefront.urls")),
    # Uploaded and generated images. Behind a real web server this path is
    # served by it; here the app serves them so the demo needs nothing else.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
