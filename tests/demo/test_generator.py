"""The plan behind the demo data, without a database."""

import pytest

from designmall.demo.accounts import DEMO_ACCOUNTS
from designmall.demo.generator import (
    LEAVES,
    SELLER_ANCHORS,
    build_plan,
    iter_products,
    nice_yuan,
)


@pytest.mark.parametrize(
    ("yuan", "price"),
    [(3.2, 8), (41.0, 48), (263.7, 268), (1234.0, 1180), (1281.0, 1280), (12_345.0, 11_800)],
)
def test_prices_are_rounded_to_shop_prices(yuan, price):
    assert nice_yuan(yuan) == price


def test_planning_is_deterministic_for_a_seed():
    def titles(seed):
        return [
            (p.title_zh, p.title_en, p.price_min_fen)
            for p in iter_products(build_plan(seed=seed, products=150))
        ]

    assert titles(3) == titles(3)
    assert titles(3) != titles(4)


def test_the_plan_has_exactly_the_requested_number_of_products():
    assert sum(1 for _ in iter_products(build_plan(products=1234))) == 1234


def test_a_tiny_catalog_is_the_demo_sellers_anchor_products():
    products = list(iter_products(build_plan(products=3)))
    assert [(p.shop, p.category) for p in products] == [(0, s[0]) for s in SELLER_ANCHORS[:3]]
    assert products[0].title_zh == "胡桃木休闲椅子"
    assert products[0].title_en == "Walnut Lounge Chair"
    assert products[1].title_zh == "实木椅子"
    assert products[1].title_en == "Solid Wood Chair"


def test_sku_variants_of_a_size_cost_more_than_smaller_ones():
    for product in iter_products(build_plan(seed=11, products=400)):
        _top, leaf = LEAVES[product.category]
        axis = next(a for a in leaf.axes if a.name in product.skus[0].attributes)
        if axis.step_pct:
            prices = [s.price_fen for s in product.skus]
            assert prices == sorted(prices)


def test_every_demo_account_is_planned_once():
    emails = [u.email for u in build_plan(products=1).users]
    assert len(emails) == len(set(emails))
    assert {a.email for a in DEMO_ACCOUNTS} <= set(emails)
