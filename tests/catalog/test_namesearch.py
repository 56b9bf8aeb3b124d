"""Search names shops and designers: every word of the query in a Chinese or English name."""

import pytest

from designmall.catalog.models import ShopStatus
from designmall.catalog.namesearch import MAX_MAKERS, makers_matching
from tests.factories import make_designer, make_product, make_shop

pytestmark = pytest.mark.django_db


def test_a_chinese_name_is_found_by_its_jieba_words():
    shop = make_shop(name_zh="山与海陶瓷工作室", name_en="Mountain and Sea Ceramics")
    make_shop(name_zh="木作实验室", name_en="Wood Lab")
    assert makers_matching("陶瓷").shops == [shop]
    assert makers_matching("山与海 陶瓷").shops == [shop]  # every word, in any order
    assert makers_matching("陶瓷工作室").shops == [shop]  # cut by jieba, matched word by word
    assert makers_matching("陶瓷 木作").shops == []


def test_an_english_name_is_found_case_and_width_insensitively():
    designer = make_designer(name_zh="朱小杰", name_en="Zhu Xiaojie")
    assert makers_matching("zhu").designers == [designer]
    assert makers_matching("ＸＩＡＯＪＩＥ").designers == [designer]  # full-width input
    assert makers_matching("朱小杰").designers == [designer]
    assert makers_matching("the").designers == []  # stop words name nobody


def test_only_open_shops_are_named():
    make_shop(name_zh="关门的店", name_en="Closed Shop", status=ShopStatus.SUSPENDED)
    make_shop(name_zh="待审的店", name_en="Pending Shop", status=ShopStatus.PENDING)
    assert makers_matching("shop").shops == []


def test_blank_or_symbol_queries_name_nobody():
    make_shop(name_zh="店", name_en="Shop")
    for query in ("", "   ", "!!! ***", None):
        assert not makers_matching(query)


def test_exact_name_first_and_results_capped():
    for n in range(MAX_MAKERS + 2):
        make_designer(name_zh=f"陈设计{n}", name_en=f"Chen Studio {n}", is_renowned=n == 3)
    exact = make_designer(name_zh="陈", name_en="Chen")
    found = makers_matching("chen").designers
    assert len(found) == MAX_MAKERS
    assert found[0] == exact or found[0].is_renowned  # capped before ordering: exact if kept
    assert makers_matching("Chen Studio 3").designers[0].name_en == "Chen Studio 3"


def test_shops_with_more_on_sale_come_first():
    quiet = make_shop(name_zh="灯光一号", name_en="Light One")
    busy = make_shop(name_zh="灯光二号", name_en="Light Two")
    make_product(shop=busy)
    make_product(shop=busy)
    assert makers_matching("灯光").shops == [busy, quiet]
    assert makers_matching("灯光").shops[0].live_count == 2
