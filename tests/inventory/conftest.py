"""SKUs with a known stock, and the counters read back for checking."""

from __future__ import annotations

import pytest

from designmall.catalog.models import Product, Sku
from designmall.inventory.selectors import stock_of, stock_verify
from tests.factories import make_product


def counters(sku: Sku) -> dict[str, int]:
    level = stock_of([sku.id])[sku.id]
    return {
        "received": level.received,
        "available": level.available,
        "held": level.held,
        "sold": level.sold,
        "written_off": level.written_off,
    }


def in_stock(product: Product) -> bool:
    product.refresh_from_db(fields=["in_stock"])
    return product.in_stock


def assert_books_balance() -> None:
    assert stock_verify() == []


@pytest.fixture
def stocked(db):
    """``stocked(5)``: a SKU of a live product with 5 units received and available."""

    def build(available: int = 5, **product_fields) -> Sku:
        return make_product(skus=[(10_000, available)], **product_fields).skus.get()

    return build
