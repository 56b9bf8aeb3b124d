from django.urls import path

from designmall.api.health import healthz

api_urlpatterns = [path("healthz", healthz, name="healthz")]
