from django.urls import path

from designmall.storefront import views

app_name = "storefront"
urlpatterns = [path("", views.home, name="home")]
