"""What a product page shows of the catalog, kept in the shared cache between renders.

Every visitor of a product page, anonymous or logged in, in either language,
sees the same product, SKUs, images, designer, shop, category and "more from
this shop"; only stock and the personal parts of the layout differ. So the
catalog part is read once (five statements built once) and kept as plain model instances
for ``STOREFRONT_PRODUCT_DATA_SECONDS``; texts pick their language when the
page is rendered, so one entry serves both languages. Stock per SKU is read
on every render.

An entry is dropped (by ``pagecache.drop_product_pages``) when the catalog
announces that one of its products changed (``catalog.signals.products_changed``,
sent after the commit of a change to a product, its SKUs, price, stock flag or
status, its shop's status, or the names of its shop, designer or category) and
when an image, designer, shop or category is saved, together with the entries
of the changed products' shop-mates, whose "more from this shop" shows them. A render that
read the database just before a change and stores after its announcement
keeps the old data until the entry expires; hence the short lifetime.

The parts of the page drawn from that data alone (gallery; facts, shop and
designer cards and description; "more from this shop") are rendered once per
language and kept beside it, marked with the token of the data entry they
were drawn from: a refilled entry has a new token, so parts drawn from the
old one are never shown with it. Both come back in one cache round trip.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import SafeString

from designmall.catalog.models import Product, ProductImage, Sku
from designmall.catalog.search import SearchFilters, product_ids_newest
from designmall.catalog.selectors import product_page_catalog, shop_products_with_covers

DEFAULT_SECONDS = 300
MORE_FROM_SHOP = 4
# Part of the key: entries written by older code (other fields) are never read.
_KEY_VERSION = 3  # 2: products carry per_buyer_limit; 3: option names per language


@dataclass
class ProductData:
    product: Product  # with shop, designer, category and its parent loaded
    skus: list[Sku]  # active ones, cheapest first
    images: list[ProductImage]
    more_from_shop: list[Product]  # newest others on sale, each with ``cover`` set
    token: str = field(default_factory=lambda: secrets.token_hex(8))

    def option_names(self) -> list[str]:
        """The SKUs' option names in the active language, in first-seen order."""
        names: list[str] = []
        for sku in self.skus:
            names.extend(name for name, _value in sku.options if name not in names)
        return names


@dataclass(frozen=True)
class BuyChoices:
    """What a product page's buy form is drawn from, besides the current stock."""

    skus: list[Sku]
    attribute_names: list[str]
    price_display: str
    # For the coupons that cover the product (drawn with the buy form); defaults for
    # entries stored before these were kept.
    product_id: int = 0
    shop_id: int = 0
    category_id: int | None = None


PART_TEMPLATES = {
    "gallery": "storefront/includes/product_gallery.html",
    "about": "storefront/includes/product_about.html",
    "more": "storefront/includes/product_more.html",
}


def _seconds() -> int:
    return int(getattr(settings, "STOREFRONT_PRODUCT_DATA_SECONDS", DEFAULT_SECONDS))


def _spread(seconds: int) -> int:
    """``seconds`` and up to a tenth more, at random: entries made together (by the first
    visitors after a deploy) expire spread out, not in one burst of renders."""
    return seconds + random.randint(0, seconds // 10) if seconds > 0 else seconds


def product_page_seconds() -> int:
    """How long a visitor's product page is kept (``pagecache``): its stock is drawn for
    each visitor, the rest from the data kept here, so as long as that data."""
    return _spread(max(settings.STOREFRONT_PAGE_CACHE_SECONDS, _seconds()))


def data_key(public_id: str) -> str:
    return f"storefront:product-data:v{_KEY_VERSION}:{public_id}"


def _read(public_id: str) -> ProductData:
    product, skus, images = product_page_catalog(public_id=public_id)
    newest = product_ids_newest(
        filters=SearchFilters(shop_id=product.shop_id), limit=MORE_FROM_SHOP + 1
    )
    others = [i for i in newest if i != product.id][:MORE_FROM_SHOP]
    return ProductData(
        product=product,
        skus=skus,
        images=images,
        more_from_shop=shop_products_with_covers(product.shop, others),
    )


def parts_key(public_id: str, language: str) -> str:
    """Parts hold links, so they differ by the script prefix the site is served under too."""
    prefix = get_script_prefix()
    return f"storefront:product-parts:v{_KEY_VERSION}:{public_id}:{language}:{prefix}"


def _render_parts(data: ProductData) -> dict[str, SafeString]:
    context = {
        "product": data.product,
        "images": data.images,
        "more_from_shop": data.more_from_shop,
    }
    return {name: render_to_string(t, context) for name, t in PART_TEMPLATES.items()}


def product_page(*, public_id: str, language: str) -> tuple[ProductData, dict[str, SafeString]]:
    """The catalog data of a product page and its parts rendered in ``language``.

    Raises NotFound unless the product is on sale.
    """
    seconds = _seconds()
    if seconds <= 0:
        data = _read(public_id)
        return data, _render_parts(data)
    key, key_of_parts = data_key(public_id), parts_key(public_id, language)
    found = cache.get_many([key, key_of_parts])
    data, parts = found.get(key), found.get(key_of_parts)
    storing = {}
    if data is None:
        data = storing[key] = _read(public_id)
    if parts is None or parts.get("token") != data.token:
        parts = storing[key_of_parts] = {**_render_parts(data), "token": data.token}
    if storing:  # a first visit stores both in one round trip
        cache.set_many(storing, _spread(seconds))
    return data, parts


def drop_product_data(public_ids) -> None:
    """Forget the data (and so the rendered parts) of these products' pages."""
    cache.delete_many([data_key(public_id) for public_id in public_ids])
