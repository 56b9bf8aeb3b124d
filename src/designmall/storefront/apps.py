from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "designmall.storefront"
    label = "storefront"
    verbose_name = "Storefront"

    def ready(self) -> None:
        # Cached pages are dropped whichever process changes a product (web or worker).
        from designmall.storefront import pagecache  # noqa: F401
