from django.urls import path

from designmall.storefront.views import account, browse, seller

app_name = "storefront"
urlpatterns = [
    path("", browse.home, name="home"),
    path("search", browse.search, name="search"),
    path("c/<slug:slug>/", browse.category, name="category"),
    path("p/<str:public_id>/", browse.product, name="product"),
    path("d/<str:public_id>/", browse.designer, name="designer"),
    path("s/<str:public_id>/", browse.shop, name="shop"),
    path("login/", account.login, name="login"),
    path("register/", account.register, name="register"),
    path("logout/", account.logout, name="logout"),
    path("seller/", seller.center, name="seller"),
    path("seller/apply/", seller.shop_apply, name="seller_apply"),
    path("seller/products/new/", seller.product_new, name="seller_product_new"),
    path("seller/products/<str:public_id>/", seller.product_edit, name="seller_product"),
    path("seller/products/<str:public_id>/skus/", seller.sku_add, name="seller_sku_add"),
    path("seller/skus/<str:public_id>/", seller.sku_edit, name="seller_sku"),
    path("seller/products/<str:public_id>/images/", seller.image_add, name="seller_image_add"),
    path(
        "seller/products/<str:public_id>/images/remove/",
        seller.image_remove,
        name="seller_image_remove",
    ),
    path("seller/products/<str:public_id>/submit/", seller.product_submit, name="seller_submit"),
    path("seller/products/<str:public_id>/delist/", seller.product_delist, name="seller_delist"),
]
