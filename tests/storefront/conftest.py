"""A small design-week catalog for the storefront pages."""

from dataclasses import dataclass

import pytest

from designmall.catalog.models import Category, Designer, Product, ProductStatus, Shop
from tests.factories import (
    make_category,
    make_designer,
    make_product,
    make_shop,
)


@dataclass
class Catalog:
    furniture: Category
    chairs: Category
    lighting: Category
    designer: Designer
    shop: Shop
    chair: Product
    lamp: Product
    draft: Product


@pytest.fixture
def catalog(db) -> Catalog:
    furniture = make_category(slug="furniture", name_zh="家具", name_en="Furniture")
    chairs = make_category(slug="chairs", parent=furniture, name_zh="椅子", name_en="Chairs")
    lighting = make_category(slug="lighting", name_zh="灯具", name_en="Lighting")
    designer = make_designer(
        name_zh="朱小杰", name_en="Zhu Xiaojie", is_renowned=True, bio_zh="上海的家具设计师。"
    )
    shop = make_shop(designer=designer, name_zh="木作实验室", name_en="Wood Lab")
    chair = make_product(
        shop=shop,
        category=chairs,
        designer=designer,
        title_zh="胡桃木餐椅",
        title_en="Walnut Dining Chair",
        description_zh="手工制作的餐椅。",
        description_en="A handmade dining chair.",
        skus=[(129_900, 5), (139_900, 0)],
    )
    lamp = make_product(
        shop=shop,
        category=lighting,
        title_zh="纸灯笼台灯",
        title_en="Paper Lantern Lamp",
        origin="international",
        country="JP",
        skus=[(69_900, 0)],
    )
    draft = make_product(
        shop=shop, category=chairs, title_zh="未发布的椅子", status=ProductStatus.DRAFT
    )
    return Catalog(furniture, chairs, lighting, designer, shop, chair, lamp, draft)


@pytest.fixture
def english(client):
    """The client speaks English from now on (the cookie the language switch sets)."""
    client.cookies["django_language"] = "en"
    return client
