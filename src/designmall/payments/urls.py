from django.urls import path

from designmall.payments import views

app_name = "payments"
urlpatterns = [
    path("alipay/notify", views.alipay_notify, name="alipay_notify"),
    path("return/", views.payment_return, name="return"),
    path("sandbox/bills/<str:bill_date>.zip", views.sandbox_bill, name="sandbox_bill"),
    path("sandbox/<str:out_trade_no>/", views.sandbox_cashier, name="sandbox_cashier"),
    path("sandbox/<str:out_trade_no>/pay", views.sandbox_pay, name="sandbox_pay"),
    path("sandbox/<str:out_trade_no>/cancel", views.sandbox_cancel, name="sandbox_cancel"),
]
