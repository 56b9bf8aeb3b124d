from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StorefrontConfig(AppConfig):
    name = "designmall.storefront"
    label = "storefront"
    verbose_name = _("商城页面")

    def ready(self) -> None:
        # Cached pages are dropped whichever process changes a product (web or worker).
        from designmall.storefront import pagecache  # noqa: F401
