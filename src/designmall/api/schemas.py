"""Schema pieces shared by the routers: strict input, bounded values, pages, references.

Input schemas derive from ``Input``: unknown fields are refused and types are
strict (``"12"`` is not an int, ``1`` is not a string). Text fields carry a
maximum length and refuse NUL characters (PostgreSQL cannot store them).
Output schemas are built by the ``*_out`` functions here and next to each
operation, from models the selectors and services return.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Generic, Literal, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from designmall.catalog.models import Category, Designer, ProductImage, Shop
from designmall.catalog.services import MAX_PRICE_FEN, MAX_STOCK

# --- input ------------------------------------------------------------------------------


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


def text(max_length: int, *, min_length: int = 0) -> Any:
    """A string type of at most ``max_length`` characters (and at least ``min_length``)."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
    ]


PUBLIC_ID_PATTERN = r"^[a-z]{1,4}_[0-9a-z]{16}$"
PublicId = Annotated[str, StringConstraints(pattern=PUBLIC_ID_PATTERN)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
PriceFen = Annotated[int, Field(ge=1, le=MAX_PRICE_FEN)]
PriceBoundFen = Annotated[int, Field(ge=0, le=MAX_PRICE_FEN)]
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK)]
CommissionBp = Annotated[int, Field(ge=0, le=10_000)]
OriginValue = Literal["domestic", "international"]
ProductStatusValue = Literal["draft", "pending_review", "live", "delisted"]
ShopStatusValue = Literal["pending", "approved", "rejected", "suspended"]

MAX_PAGE = 1000  # as deep as product search pages go
DEFAULT_PER_PAGE = 24


class PageQuery(BaseModel):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=100)


class ReasonIn(Input):
    reason: text(1000, min_length=1)


class OptionalReasonIn(Input):
    reason: text(1000) = ""


# --- output -----------------------------------------------------------------------------

T = TypeVar("T")


class Page(Schema, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int
    pages: int


def page_out(queryset: QuerySet, query: PageQuery, present) -> dict[str, Any]:
    """One page of ``queryset``, each row through ``present``; a page past the end is empty."""
    total = queryset.count()
    start = (query.page - 1) * query.per_page
    rows = list(queryset[start : start + query.per_page]) if start < total else []
    return {
        "items": [present(row) for row in rows],
        "total": total,
        "page": query.page,
        "per_page": query.per_page,
        "pages": max(1, math.ceil(total / query.per_page)),
    }


class ShopRef(Schema):
    public_id: str
    name_zh: str
    name_en: str


class DesignerRef(Schema):
    public_id: str
    name_zh: str
    name_en: str


class CategoryRef(Schema):
    slug: str
    name_zh: str
    name_en: str


class ImageOut(Schema):
    id: str
    url: str
    alt: str
    position: int


def shop_ref(shop: Shop) -> dict[str, Any]:
    return {"public_id": shop.public_id, "name_zh": shop.name_zh, "name_en": shop.name_en}


def designer_ref(designer: Designer | None) -> dict[str, Any] | None:
    if designer is None:
        return None
    return {
        "public_id": designer.public_id,
        "name_zh": designer.name_zh,
        "name_en": designer.name_en,
    }


def category_ref(category: Category) -> dict[str, Any]:
    return {"slug": category.slug, "name_zh": category.name_zh, "name_en": category.name_en}


def absolute_url(request: HttpRequest, file_field) -> str | None:
    return request.build_absolute_uri(file_field.url) if file_field else None


def image_out(request: HttpRequest, image: ProductImage) -> dict[str, Any]:
    return {
        "id": image.public_id,
        "url": absolute_url(request, image.image),
        "alt": image.alt,
        "position": image.position,
    }
