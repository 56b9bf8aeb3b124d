"""Demo data that makes sense: a description fits its product's material, maker and origin,
and a shop sells its own kind of work."""

import pytest

from designmall.demo import coherence, data
from designmall.demo.generator import COUNTRIES, LEAVES, build_plan, iter_products


def all_lines() -> set[str]:
    return {
        line[0]
        for top in data.CATEGORIES
        for group in (top.crafts, top.uses, top.cares)
        for line in group
    }


def test_every_rule_names_a_line_that_exists():
    assert set(coherence.FITS) <= all_lines()


@pytest.mark.parametrize("leaf_slug", sorted(LEAVES))
def test_every_product_kind_gets_at_least_one_craft_line(leaf_slug):
    top, leaf = LEAVES[leaf_slug]
    for material in leaf.materials or (("", ""),):
        for noun in leaf.nouns:
            product = coherence.Product(leaf=leaf.slug, material=material[0], noun=noun[0])
            assert coherence.fitting(top.crafts, product), (leaf.slug, material, noun)


@pytest.fixture(scope="module")
def planned():
    plan = build_plan(products=3000)
    return plan, list(iter_products(plan))


def test_descriptions_agree_with_material_and_kind(planned):
    _plan, products = planned
    for product in products:
        text = product.description_zh
        if "笔芯" in text:
            assert product.title_zh.endswith(("钢笔", "圆珠笔")), product.title_zh
        if "榫卯" in text or "木蜡油" in text:
            assert any(wood in product.title_zh for wood in coherence.WOODS), product.title_zh
        if "真品证书" in text:
            assert any(metal in product.title_zh for metal in coherence.PRECIOUS)
        if "大豆蜡" in text or "烛芯" in text:
            assert product.category == "candles"
    aluminium_boxes = [p for p in products if p.title_zh.endswith("铝收纳盒")]
    assert all("笔芯" not in p.description_zh for p in aluminium_boxes)


def test_descriptions_name_the_maker_and_the_products_origin(planned):
    plan, products = planned
    for product in products:
        shop = plan.shops[product.shop]
        designer = plan.designers[product.designer]
        assert shop.name_zh in product.description_zh and shop.name_en in product.description_en
        assert designer.name_zh in product.description_zh
        country = COUNTRIES[product.country]
        assert f"产地：{country.name[0]}" in product.description_zh
        assert f", {country.name[1]}" in product.description_en
        assert product.origin == ("domestic" if product.country == "CN" else "international")


def test_a_shop_sells_its_own_kind_of_work(planned):
    plan, products = planned
    for product in products:
        top, _leaf = LEAVES[product.category]
        assert top is plan.shops[product.shop].specialty, (product.title_zh, product.shop)
