"""Catalog reads for everyone: products on sale, categories, designers, open shops."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, model_validator

from designmall.api.errors import with_errors
from designmall.api.schemas import (
    CategoryRef,
    DesignerRef,
    ImageOut,
    OriginValue,
    Page,
    PageQuery,
    PriceBoundFen,
    PublicId,
    ShopRef,
    Slug,
    absolute_url,
    category_ref,
    designer_ref,
    image_out,
    page_out,
    shop_ref,
    text,
)
from designmall.catalog.models import Category, Designer, Product, ProductImage, Shop, Sku
from designmall.catalog.namesearch import Makers, makers_matching
from designmall.catalog.search import SearchFilters, product_search
from designmall.catalog.selectors import (
    category_forest,
    category_with_descendant_ids,
    designer_by_public_id,
    designers_listed,
    first_images,
    product_on_sale,
    shop_open_by_public_id,
)
from designmall.core.money import format_fen
from designmall.inventory.selectors import available_by_sku

router = Router(tags=["catalog"])


class ProductCardOut(Schema):
    public_id: str
    title_zh: str
    title_en: str
    price_fen: int | None
    price_display: str
    in_stock: bool
    origin: str
    country: str
    cover: ImageOut | None
    category: CategoryRef
    shop: ShopRef
    designer: DesignerRef | None


def product_card_out(
    request: HttpRequest, product: Product, cover: ProductImage | None
) -> dict[str, Any]:
    return {
        "public_id": product.public_id,
        "title_zh": product.title_zh,
        "title_en": product.title_en,
        "price_fen": product.price_min_fen,
        "price_display": format_fen(product.price_min_fen),
        "in_stock": product.in_stock,
        "origin": product.origin,
        "country": product.country,
        "cover": image_out(request, cover) if cover else None,
        "category": category_ref(product.category),
        "shop": shop_ref(product.shop),
        "designer": designer_ref(product.designer),
    }


# --- GET /products ------------------------------------------------------------------------


class SearchPageOut(Page[ProductCardOut]):
    total_capped: bool = Field(
        description="The query matches more products than `total` (the count stops there);"
        " only `pages` pages can be fetched."
    )
    shops: list[ShopRef] = Field(
        default_factory=list,
        description="Open shops whose name holds every word of `q` (first page, no"
        " category/designer/shop filter), to show above the products.",
    )
    designers: list[DesignerRef] = Field(
        default_factory=list,
        description="Designers whose name holds every word of `q`, like `shops`.",
    )


class ProductQuery(PageQuery):
    q: text(100) = ""
    category: Slug | None = None
    designer: PublicId | None = None
    shop: PublicId | None = None
    origin: OriginValue | None = None
    price_min: PriceBoundFen | None = None
    price_max: PriceBoundFen | None = None
    in_stock: bool | None = None
    sort: Literal["relevance", "newest", "price", "-price"] = "relevance"

    @model_validator(mode="after")
    def _price_range(self) -> ProductQuery:
        if (
            self.price_min is not None
            and self.price_max is not None
            and self.price_min > self.price_max
        ):
            raise ValueError("price_min must not be above price_max")
        return self


@router.get("/products", response=with_errors({200: SearchPageOut}, 404, 422))
def product_list(request: HttpRequest, query: Query[ProductQuery]):
    """Search products on sale. Prices are in fen; ``category`` includes its subcategories.

    An unknown ``category``, ``designer`` or ``shop`` is 404 (``category_not_found`` ...).
    """
    filters = SearchFilters(
        origin=query.origin,
        price_min_fen=query.price_min,
        price_max_fen=query.price_max,
        in_stock=query.in_stock,
    )
    if query.category:
        _category, filters.category_ids = category_with_descendant_ids(slug=query.category)
    if query.designer:
        filters.designer_id = designer_by_public_id(public_id=query.designer).id
    if query.shop:
        filters.shop_id = shop_open_by_public_id(public_id=query.shop).id
    found = product_search(
        query=query.q.strip(),
        filters=filters,
        sort=query.sort,
        page=query.page,
        per_page=query.per_page,
    )
    products = list(found.products)
    # Whatever the search engine loaded, cards need these: one query each at most.
    prefetch_related_objects(products, "shop", "designer", "category")
    covers = first_images(products)
    makers = (
        makers_matching(query.q)
        if query.q.strip()
        and found.page == 1
        and not (query.category or query.designer or query.shop)
        else Makers()
    )
    return {
        "items": [product_card_out(request, p, covers.get(p.id)) for p in products],
        "total": found.total,
        "total_capped": found.capped,
        "shops": [shop_ref(s) for s in makers.shops],
        "designers": [designer_ref(d) for d in makers.designers],
        "page": found.page,
        "per_page": found.per_page,
        "pages": found.pages,
    }


# --- GET /products/{public_id} ------------------------------------------------------------


class SkuOut(Schema):
    public_id: str
    code: str
    attributes: dict[str, str]
    # The English of each option, keyed by its Chinese name: {"颜色": ["Colour", "Black"]}.
    attributes_en: dict[str, list[str]]
    # The options as [name, value] pairs and their values joined, in the request's language.
    options: list[list[str]]
    label: str
    price_fen: int
    price_display: str
    in_stock: bool


def sku_out(sku: Sku, available: int) -> dict[str, Any]:
    return {
        "public_id": sku.public_id,
        "code": sku.code,
        "attributes": sku.attributes,
        "attributes_en": sku.attributes_en,
        "options": [list(pair) for pair in sku.options],
        "label": sku.label,
        "price_fen": sku.price_fen,
        "price_display": format_fen(sku.price_fen),
        "in_stock": available > 0,
    }


class ProductDetailOut(ProductCardOut):
    description_zh: str
    description_en: str
    published_at: datetime | None
    per_buyer_limit: int | None = Field(
        description="The most units one buyer may buy (paid and unpaid orders); null: no limit."
    )
    skus: list[SkuOut]
    images: list[ImageOut]


@router.get("/products/{pid:public_id}", response=with_errors({200: ProductDetailOut}, 404))
def product_detail(request: HttpRequest, public_id: str):
    """A product on sale with its sellable SKUs and images. Anything else is 404."""
    product = product_on_sale(public_id=public_id)
    images = list(product.images.all())
    skus = list(product.skus.all())
    available = available_by_sku(sku.id for sku in skus)
    return {
        **product_card_out(request, product, images[0] if images else None),
        "description_zh": product.description_zh,
        "description_en": product.description_en,
        "published_at": product.published_at,
        "per_buyer_limit": product.per_buyer_limit,
        "skus": [sku_out(sku, available[sku.id]) for sku in skus],
        "images": [image_out(request, image) for image in images],
    }


# --- GET /categories ----------------------------------------------------------------------


class CategoryNodeOut(Schema):
    slug: str
    name_zh: str
    name_en: str
    children: list[CategoryNodeOut]


def category_node_out(category: Category) -> dict[str, Any]:
    return {
        **category_ref(category),
        "children": [category_node_out(child) for child in category.subcategories],
    }


@router.get("/categories", response=with_errors({200: list[CategoryNodeOut]}))
def category_list(request: HttpRequest):
    """The whole category tree, in display order."""
    return [category_node_out(root) for root in category_forest()]


# --- GET /designers -----------------------------------------------------------------------


class DesignerOut(Schema):
    public_id: str
    name_zh: str
    name_en: str
    country: str
    is_renowned: bool
    portrait_url: str | None


def designer_out(request: HttpRequest, designer: Designer) -> dict[str, Any]:
    return {
        **designer_ref(designer),
        "country": designer.country,
        "is_renowned": designer.is_renowned,
        "portrait_url": absolute_url(request, designer.portrait),
    }


class DesignerQuery(PageQuery):
    renowned: bool | None = None


@router.get("/designers", response=with_errors({200: Page[DesignerOut]}, 422))
def designer_list(request: HttpRequest, query: Query[DesignerQuery]):
    """Designers by name; ``renowned=true`` for the renowned ones only."""
    return page_out(
        designers_listed(renowned=query.renowned), query, lambda d: designer_out(request, d)
    )


# --- GET /designers/{public_id} -----------------------------------------------------------


class DesignerDetailOut(DesignerOut):
    bio_zh: str
    bio_en: str


@router.get("/designers/{pid:public_id}", response=with_errors({200: DesignerDetailOut}, 404))
def designer_detail(request: HttpRequest, public_id: str):
    designer = designer_by_public_id(public_id=public_id)
    return {**designer_out(request, designer), "bio_zh": designer.bio_zh, "bio_en": designer.bio_en}


# --- GET /shops/{public_id} ---------------------------------------------------------------


class ShopOut(Schema):
    public_id: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    country: str
    designer: DesignerRef | None


def shop_out(shop: Shop) -> dict[str, Any]:
    return {
        **shop_ref(shop),
        "description_zh": shop.description_zh,
        "description_en": shop.description_en,
        "country": shop.country,
        "designer": designer_ref(shop.designer),
    }


@router.get("/shops/{pid:public_id}", response=with_errors({200: ShopOut}, 404))
def shop_detail(request: HttpRequest, public_id: str):
    """An open (approved) shop. Pending, rejected or suspended shops are 404."""
    return shop_out(shop_open_by_public_id(public_id=public_id))
