"""Product search: what a buyer finds, in Chinese and English, on both engines."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from designmall.catalog import search, searchengines, services
from designmall.catalog.models import Origin, Product, ProductStatus, ShopStatus
from designmall.catalog.search import SearchFilters, product_search
from designmall.core import clock
from tests.factories import (
    make_category,
    make_designer,
    make_operator,
    make_product,
    make_shop,
)

pytestmark = pytest.mark.django_db


def titles(query="", **kwargs):
    return [p.title_zh for p in product_search(query=query, **kwargs).products]


def found(query="", **kwargs):
    return set(titles(query, **kwargs))


# --- Chinese and English -----------------------------------------------------------------


def test_chinese_word_finds_every_title_containing_it():
    make_product(title_zh="实木椅子")
    make_product(title_zh="休闲椅子")
    make_product(title_zh="黄铜台灯")
    assert found("椅子") == {"实木椅子", "休闲椅子"}


def test_chinese_query_is_segmented_so_word_order_in_title_does_not_matter():
    make_product(title_zh="北欧胡桃木休闲椅")
    make_product(title_zh="胡桃木餐桌")
    assert found("休闲椅 胡桃木") == {"北欧胡桃木休闲椅"}
    assert found("胡桃木休闲椅") == {"北欧胡桃木休闲椅"}


def test_chinese_word_segmented_differently_in_a_title_still_matches():
    make_product(title_zh="休闲椅子")  # segmented 休闲 / 椅子: no word 休闲椅
    assert found("休闲椅") == {"休闲椅子"}


def test_single_chinese_character_finds_titles_containing_it():
    make_product(title_zh="胡桃木落地灯")
    make_product(title_zh="黄铜吊灯")
    make_product(title_zh="羊毛地毯")
    assert found("灯") == {"胡桃木落地灯", "黄铜吊灯"}


def test_english_word_finds_title_whatever_the_case():
    make_product(title_zh="休闲椅", title_en="Lounge Chair")
    make_product(title_zh="台灯", title_en="Table Lamp")
    assert found("chair") == {"休闲椅"}
    assert found("CHAIR") == {"休闲椅"}


def test_english_plural_and_singular_find_each_other():
    make_product(title_zh="休闲椅", title_en="Lounge Chair")
    make_product(title_zh="餐椅", title_en="Dining Chairs")
    assert found("chairs") == {"休闲椅", "餐椅"}
    assert found("chair") == {"休闲椅", "餐椅"}


def test_english_word_start_matches_as_a_prefix():
    make_product(title_zh="休闲椅", title_en="Lounge Chair")
    assert found("loun") == {"休闲椅"}


def test_mixed_query_needs_every_word():
    make_product(title_zh="北欧休闲椅", title_en="Nordic Lounge Chair")
    make_product(title_zh="日式餐椅", title_en="Japanese Dining Chair")
    make_product(title_zh="北欧台灯", title_en="Nordic Lamp")
    assert found("北欧 chair") == {"北欧休闲椅"}


def test_full_width_letters_match_ascii():
    make_product(title_zh="休闲椅", title_en="Lounge Chair")
    assert found("ｃｈａｉｒ") == {"休闲椅"}


def test_designer_shop_and_category_names_are_searched():
    designer = make_designer(name_zh="林晓禾", name_en="Lin Xiaohe")
    shop = make_shop(name_zh="山野木作", name_en="Shanye Woodworks")
    parent = make_category(name_zh="家具", name_en="Furniture")
    category = make_category(parent=parent, name_zh="椅凳", name_en="Seating")
    make_product(title_zh="作品一号", designer=designer, shop=shop, category=category)
    make_product(title_zh="别家作品")
    for query in ("林晓禾", "xiaohe", "山野木作", "woodworks", "椅凳", "seating", "家具"):
        assert found(query) == {"作品一号"}, query


def test_descriptions_are_searched_in_both_languages():
    make_product(title_zh="茶杯", description_zh="景德镇手工拉坯", description_en="Hand thrown")
    assert found("拉坯") == {"茶杯"}
    assert found("thrown") == {"茶杯"}


def test_title_match_ranks_above_description_match():
    make_product(title_zh="陶瓷花瓶", description_zh="适合插一枝花")
    make_product(title_zh="玻璃花瓶")
    make_product(title_zh="铜质摆件", description_zh="可以当作花瓶使用")
    ranked = titles("花瓶")
    assert set(ranked[:2]) == {"陶瓷花瓶", "玻璃花瓶"}
    assert ranked[2] == "铜质摆件"


def test_query_without_matches_finds_nothing():
    make_product(title_zh="实木椅子")
    result = product_search(query="量子沙发")
    assert (result.products, result.total) == ([], 0)


# --- only what is on sale ------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [ProductStatus.DRAFT, ProductStatus.PENDING_REVIEW, ProductStatus.DELISTED]
)
def test_products_not_live_are_never_found(status):
    make_product(title_zh="实木椅子", status=status)
    assert found("椅子") == set()
    assert found() == set()


@pytest.mark.parametrize(
    "shop_status", [ShopStatus.PENDING, ShopStatus.SUSPENDED, ShopStatus.REJECTED]
)
def test_products_of_shops_not_open_are_never_found(shop_status):
    make_product(title_zh="实木椅子", shop=make_shop(status=shop_status))
    assert found("椅子") == set()
    assert found() == set()


def test_products_without_an_active_sku_are_not_listed():
    make_product(title_zh="实木椅子", skus=[])
    assert found("椅子") == set()


# --- filters ------------------------------------------------------------------------------


@pytest.fixture
def catalog():
    chairs = make_category(name_zh="椅子类", name_en="Chairs")
    lamps = make_category(name_zh="灯具类", name_en="Lamps")
    designer = make_designer()
    shop = make_shop()
    return {
        "chairs": chairs,
        "lamps": lamps,
        "designer": designer,
        "shop": shop,
        "cheap": make_product(title_zh="设计款A", category=chairs, skus=[(5_000, 3)]),
        "dear": make_product(
            title_zh="设计款B",
            category=chairs,
            designer=designer,
            skus=[(90_000, 0)],
            origin=Origin.INTERNATIONAL,
        ),
        "middle": make_product(title_zh="设计款C", category=lamps, shop=shop, skus=[(30_000, 1)]),
    }


def test_category_filter_keeps_the_given_categories(catalog):
    only_chairs = SearchFilters(category_ids=[catalog["chairs"].id])
    assert found("设计款", filters=only_chairs) == {"设计款A", "设计款B"}
    assert found(filters=only_chairs) == {"设计款A", "设计款B"}


def test_designer_filter(catalog):
    filters = SearchFilters(designer_id=catalog["designer"].id)
    assert found("设计款", filters=filters) == {"设计款B"}


def test_shop_filter(catalog):
    filters = SearchFilters(shop_id=catalog["shop"].id)
    assert found("设计款", filters=filters) == {"设计款C"}


def test_origin_filter(catalog):
    filters = SearchFilters(origin=Origin.INTERNATIONAL)
    assert found("设计款", filters=filters) == {"设计款B"}


def test_price_range_filter_bounds_the_lowest_price(catalog):
    filters = SearchFilters(price_min_fen=5_000, price_max_fen=30_000)
    assert found("设计款", filters=filters) == {"设计款A", "设计款C"}
    assert found("设计款", filters=SearchFilters(price_min_fen=30_001)) == {"设计款B"}


def test_in_stock_filter(catalog):
    filters = SearchFilters(in_stock=True)
    assert found("设计款", filters=filters) == {"设计款A", "设计款C"}


def test_filters_combine(catalog):
    filters = SearchFilters(category_ids=[catalog["chairs"].id], in_stock=True)
    assert found("设计款", filters=filters) == {"设计款A"}


# --- sorts --------------------------------------------------------------------------------


def test_price_sorts_ascending_and_descending(catalog):
    assert titles("设计款", sort="price") == ["设计款A", "设计款C", "设计款B"]
    assert titles("设计款", sort="-price") == ["设计款B", "设计款C", "设计款A"]
    assert titles(sort="price") == ["设计款A", "设计款C", "设计款B"]


def test_newest_sorts_by_publication_time():
    start = clock.now()
    for minutes, title in [(5, "椅子乙"), (1, "椅子甲"), (9, "椅子丙")]:
        clock.set_frozen(start + timedelta(minutes=minutes))
        make_product(title_zh=title)
    assert titles("椅子", sort="newest") == ["椅子丙", "椅子乙", "椅子甲"]


def test_without_a_query_relevance_falls_back_to_newest():
    start = clock.now()
    for minutes, title in [(5, "椅子乙"), (1, "椅子甲"), (9, "椅子丙")]:
        clock.set_frozen(start + timedelta(minutes=minutes))
        make_product(title_zh=title)
    assert titles() == ["椅子丙", "椅子乙", "椅子甲"]
    assert titles(sort="relevance") == ["椅子丙", "椅子乙", "椅子甲"]


def test_unknown_sort_is_the_default():
    make_product(title_zh="实木椅子")
    assert titles("椅子", sort="bogus; DROP TABLE x") == ["实木椅子"]


# --- pagination ---------------------------------------------------------------------------


def test_pages_split_the_hits_and_tell_the_total():
    for n in range(7):
        make_product(title_zh=f"椅子{n}号")
    seen = []
    for page in (1, 2, 3):
        result = product_search(query="椅子", page=page, per_page=3)
        assert (result.total, result.pages, result.page) == (7, 3, page)
        seen += [p.id for p in result.products]
    assert len(seen) == len(set(seen)) == 7


def test_page_past_the_end_is_empty_but_keeps_the_total():
    make_product(title_zh="实木椅子")
    for query in ("椅子", ""):
        result = product_search(query=query, page=5)
        assert (result.products, result.total) == ([], 1)
    result = product_search(query="椅子", sort="price", page=5)
    assert (result.products, result.total) == ([], 1)


def test_per_page_is_capped_and_page_starts_at_one():
    result = product_search(query="椅子", page=-3, per_page=10_000)
    assert (result.page, result.per_page) == (1, search.MAX_PER_PAGE)


def test_page_products_come_with_shop_designer_and_category(django_assert_num_queries):
    designer = make_designer(name_zh="林晓禾")
    shop = make_shop(name_zh="山野木作")
    category = make_category(name_zh="椅凳")
    make_product(title_zh="实木椅子", designer=designer, shop=shop, category=category)
    product = product_search(query="椅子").products[0]
    with django_assert_num_queries(0):
        names = (product.shop.name, product.designer.name, product.category.name)
    assert names == ("山野木作", "林晓禾", "椅凳")


def test_a_query_with_more_matches_than_the_cap_counts_up_to_the_cap(monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    for n in range(5):
        make_product(title_zh=f"椅子{n}号")
    result = product_search(query="椅子", per_page=2)
    assert (result.total, result.capped, result.pages) == (3, True, 2)
    assert product_search(query="椅子", per_page=2, page=3).products == []


def test_a_query_within_the_cap_has_its_exact_total(monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    for n in range(5):
        make_product(title_zh=f"椅子{n}号")
    result = product_search(query="椅子")
    assert (result.total, result.capped) == (5, False)


def test_broad_query_ranks_only_its_newest_matches_then_lists_the_rest(monkeypatch):
    monkeypatch.setattr(search, "RANKED_MATCHES", 3)
    make_product(title_zh="旧的椅子")
    make_product(title_zh="花架", description_zh="旁边可以放一把椅子")
    for n in range(4):
        make_product(title_zh=f"新椅子{n}号")
    seen = []
    for page in (1, 2, 3):
        result = product_search(query="椅子", page=page, per_page=2)
        assert result.total == 6
        seen += [p.title_zh for p in result.products]
    # The newest three are ranked; the older three follow, newest first.
    assert set(seen[:3]) == {"新椅子1号", "新椅子2号", "新椅子3号"}
    assert seen[3:] == ["新椅子0号", "花架", "旧的椅子"]


@pytest.mark.parametrize("sort", ["relevance", "newest", "price", "-price"])
def test_a_broad_query_walking_the_index_gives_the_same_pages(monkeypatch, catalog, sort):
    def pages():
        return [titles("设计款", sort=sort, page=page, per_page=2) for page in (1, 2)]

    expected = pages()
    engine = searchengines.for_vendor(connection.vendor)
    monkeypatch.setattr(engine, "is_broad", lambda *args, **kwargs: True)
    assert pages() == expected
    assert all(expected)  # two pages of matches


# --- odd input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"椅子',
        "*",
        "-",
        "AND",
        "OR NOT",
        "椅子 AND",
        "NEAR(椅子 chair)",
        "chair*",
        "title:椅子",
        "'; DROP TABLE catalog_product; --",
        "\\",
        "😀🪑",
        "椅" * 500,
        "chair " * 200,
        "!!!",
        "\x00",
        "%_",
    ],
)
def test_odd_queries_never_fail(query):
    make_product(title_zh="实木椅子", title_en="Solid Wood Chair")
    for sort in search.SORTS:
        product_search(query=query, sort=sort)


@pytest.mark.parametrize("query", ["!!!", "，。、", "😀", "the", "*-+"])
def test_query_with_nothing_searchable_finds_nothing(query):
    make_product(title_zh="实木椅子")
    assert product_search(query=query).total == 0


def test_operators_in_a_query_are_plain_words():
    make_product(title_zh="休闲椅", title_en="Lounge Chair")
    assert found('chair OR "lamp"') == set()  # "or" is a stop word; lamp is required
    assert found("chair -lounge") == {"休闲椅"}  # no exclusion: both words are in it


# --- kept in step with the catalog --------------------------------------------------------


def test_renamed_product_is_found_by_its_new_title_only_once_approved():
    product = make_product(title_zh="实木椅子")
    owner = product.shop.owner
    services.product_update(product=product, by=owner, title_zh="实木长凳")
    assert found("长凳") == set()  # back in review: not on sale
    services.product_approve(product=product, by=make_operator())
    assert found("长凳") == {"实木长凳"}
    assert found("椅子") == set()


def test_delisted_product_disappears():
    product = make_product(title_zh="实木椅子")
    services.product_delist(product=product, by=product.shop.owner)
    assert found("椅子") == set()


def test_products_of_a_suspended_shop_disappear_and_come_back_when_reinstated():
    product = make_product(title_zh="实木椅子")
    operator = make_operator()
    services.shop_suspend(shop=product.shop, by=operator, reason="资质过期")
    assert found("椅子") == set()
    services.shop_reinstate(shop=product.shop, by=operator)
    assert found("椅子") == {"实木椅子"}


def test_price_filter_follows_a_sku_price_change():
    product = make_product(title_zh="实木椅子", skus=[(10_000, 5)])
    under_200 = SearchFilters(price_max_fen=20_000)
    assert found("椅子", filters=under_200) == {"实木椅子"}
    sku = product.skus.get()
    services.sku_update(sku=sku, by=product.shop.owner, price_fen=25_000)
    assert found("椅子", filters=under_200) == set()
    assert found("椅子", filters=SearchFilters(price_min_fen=25_000)) == {"实木椅子"}


def test_in_stock_filter_follows_availability():
    product = make_product(title_zh="实木椅子", skus=[(10_000, 5)])
    services.product_availability_set(product_id=product.id, in_stock=False)
    assert found("椅子", filters=SearchFilters(in_stock=True)) == set()
    services.product_availability_set(product_id=product.id, in_stock=True)
    assert found("椅子", filters=SearchFilters(in_stock=True)) == {"实木椅子"}


def test_stock_running_out_changes_only_the_stock_flag_of_the_entry(monkeypatch):
    product = make_product(title_zh="实木椅子", skus=[(10_000, 5)])

    def no_segmenting(*args, **kwargs):
        raise AssertionError("the text was rebuilt")

    monkeypatch.setattr(search.DocumentBuilder, "build_all", no_segmenting)
    services.product_availability_set(product_id=product.id, in_stock=False)

    assert found("椅子") == {"实木椅子"}
    assert found("椅子", filters=SearchFilters(in_stock=True)) == set()


def test_deleted_product_leaves_the_index():
    product = make_product(title_zh="实木椅子")
    product_id = product.id
    product.skus.all().delete()
    Product.objects.filter(pk=product_id).delete()
    search.products_reindex([product_id])
    assert found("椅子") == set()
    assert product_search(query="椅子").total == 0


def test_rebuilding_everything_indexes_what_is_on_sale():
    make_product(title_zh="实木椅子")
    make_product(title_zh="休闲椅子")
    make_product(title_zh="草稿椅子", status=ProductStatus.DRAFT)
    Product.objects.filter(title_zh="实木椅子").update(title_zh="实木长凳")  # behind its back
    assert search.products_reindex_all() == 2
    assert found("椅子") == {"休闲椅子"}
    assert found("长凳") == {"实木长凳"}


def test_rebuilding_with_helper_processes_gives_the_same_index(monkeypatch):
    for n in range(5):
        make_product(title_zh=f"胡桃木椅子{n}号", title_en="Walnut Chair")
    expected = titles("胡桃木 chair")
    monkeypatch.setattr(search, "PARALLEL_FROM", 1)
    assert search.products_reindex_all() == 5
    assert titles("胡桃木 chair") == expected


def test_reindex_command_reports_the_count(capsys):
    make_product(title_zh="实木椅子")
    call_command("search_reindex")
    assert "1 products indexed" in capsys.readouterr().out
