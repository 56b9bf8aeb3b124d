"""``core.bilingual``: one declaration gives a model ``<name>_zh``, ``<name>_en`` and
``<name>`` in the active language with fallback, and every bilingual model uses it."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from designmall.core.bilingual import Bilingual, is_english, pick, pick_from
from tests.factories import make_category, make_designer, make_product, make_shop


@pytest.mark.parametrize(
    ("language", "zh", "en", "shown"),
    [
        ("zh-hans", "椅子", "Chair", "椅子"),
        ("en", "椅子", "Chair", "Chair"),
        ("en", "椅子", "", "椅子"),  # no English: the Chinese
        ("zh-hans", "", "Chair", "Chair"),  # no Chinese: the English
        ("en-gb", "椅子", "Chair", "Chair"),
    ],
)
def test_pick_gives_the_language_asked_for_and_falls_back_to_the_other(language, zh, en, shown):
    assert pick(zh, en, language=language) == shown
    with translation.override(language):
        assert pick(zh, en) == shown
        assert pick_from({"title_zh": zh, "title_en": en}, "title") == shown


def test_is_english_follows_the_active_language():
    with translation.override("en"):
        assert is_english()
    with translation.override("zh-hans"):
        assert not is_english()


def test_a_declaration_adds_both_columns_and_the_picking_property():
    product_fields = {f.name for f in apps.get_model("catalog", "Product")._meta.fields}
    assert {"title_zh", "title_en", "description_zh", "description_en"} <= product_fields
    assert "title" not in product_fields


@pytest.mark.django_db
def test_models_read_the_active_language_and_write_the_chinese():
    shop = make_shop(name_zh="木作实验室", name_en="Wood Lab")
    product = make_product(shop=shop, title_zh="胡桃木椅子", title_en="Walnut Chair")
    with translation.override("en"):
        assert (product.title, product.shop.name, str(product)) == (
            "Walnut Chair",
            "Wood Lab",
            "Walnut Chair",
        )
    with translation.override("zh-hans"):
        assert product.title == "胡桃木椅子"
    product.title = "黑胡桃木椅子"  # the property sets the source language
    assert (product.title_zh, product.title_en) == ("黑胡桃木椅子", "Walnut Chair")
    designer = make_designer(name_zh="朱小杰", name_en="")
    with translation.override("en"):
        assert designer.name == "朱小杰"
    category = make_category(name_zh="灯具", name_en="Lighting")
    with translation.override("en"):
        assert category.name == "Lighting"


def test_every_bilingual_model_declares_its_pairs_with_the_helper():
    """No model keeps a hand-written pair: each ``x_zh``/``x_en`` pair has its ``x``
    property from ``Bilingual`` (a ``property`` whose getter the helper made)."""
    pairs = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.fields}
        for name in names:
            if name.endswith("_zh") and f"{name[:-3]}_en" in names:
                pairs.append((model, name[:-3]))
    assert len(pairs) >= 15
    for model, base in pairs:
        attribute = getattr(model, base, None)
        assert isinstance(attribute, property), (model.__name__, base)
        assert attribute.fget.__qualname__.startswith("Bilingual."), (model.__name__, base)


def test_the_helper_builds_the_fields_it_is_given():
    declared = Bilingual(
        models.CharField("zh", max_length=10), models.CharField("en", max_length=20, blank=True)
    )
    assert (declared.zh.max_length, declared.en.max_length, declared.en.blank) == (10, 20, True)
