from django.urls import path, re_path

from designmall.api import v1
from designmall.api.errors import route_not_found
from designmall.api.health import healthz

api_urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", v1.urls()),
    # Anything under the prefix that no operation serves: 404 in the error shape.
    re_path(r"^api/v1/", route_not_found),
]
