"""Query parsing and document text: pure functions, no database."""

from hypothesis import given, settings
from hypothesis import strategies as st

from designmall.catalog.searchengines import postgres, sqlite
from designmall.catalog.searchengines.text import (
    MAX_QUERY_TERMS,
    DocumentBuilder,
    Term,
    query_terms,
)


def test_chinese_is_segmented_and_english_lowercased():
    assert query_terms("北欧休闲椅 Lounge CHAIR") == [
        Term("北欧", han=True),
        Term("休闲椅", han=True),
        Term("lounge", han=False),
        Term("chair", han=False),
    ]


def test_punctuation_operators_and_stop_words_are_dropped():
    assert query_terms('"chair" AND -the (lamp)*') == [Term("chair", False), Term("lamp", False)]


def test_repeated_words_count_once():
    assert query_terms("chair Chair 椅子 椅子") == [Term("chair", False), Term("椅子", True)]


def test_long_queries_keep_a_few_terms():
    words = " ".join(f"word{n}" for n in range(50))
    assert len(query_terms(words)) == MAX_QUERY_TERMS
    assert len(query_terms("椅" * 10_000)) == 1


def test_english_terms_of_three_letters_or_more_match_as_prefixes():
    assert [t.prefix for t in query_terms("a4 lou 椅子")] == [False, True, False]


def test_fts5_expression_quotes_every_term():
    expression = sqlite.match_expression([Term("chair", False), Term("休闲椅", True)])
    assert expression == '"chair"* AND ("休闲椅" OR title_chars : "休 闲 椅")'


def test_tsquery_quotes_every_term():
    terms = [Term("chair", False), Term("灯", True), Term("椅子", True), Term("休闲椅", True)]
    english, simple = postgres.tsqueries(terms)
    assert english == "'chair':*"
    assert simple == "'灯' & '椅子' & ('休闲椅' | '休闲' & '闲椅')"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_terms_of_letters_and_digits_only(text):
    terms = query_terms(text)
    assert len(terms) <= MAX_QUERY_TERMS
    for term in terms:
        assert term.text and all(c.isalnum() for c in term.text)


def test_document_separates_chinese_words_from_the_rest():
    document = DocumentBuilder().build(
        product_id=1,
        titles=("胡桃木休闲椅", "Walnut Lounge Chair"),
        names=("林晓禾", "Lin Xiaohe"),
        descriptions=("采用传统榫卯结构。", "Mortise and tenon."),
    )
    assert "休闲椅" in document.title_words.split()
    assert document.title_chars == "胡 桃 木 休 闲 椅"
    assert "Walnut Lounge Chair" in document.title_other
    assert "Lin Xiaohe" in document.meta_other
    assert "榫卯" in document.body_words.split()
    assert "Mortise" in document.body_other
