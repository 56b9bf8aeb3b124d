"""Bilingual shop data: one way for every model to hold a text in Chinese and English.

Shop data (titles, names, descriptions, option labels) is written in Chinese and, where the
seller or the platform gives one, in English. A model declares such a text once::

    class Product(models.Model):
        title = Bilingual(
            models.CharField(_("中文标题"), max_length=120),
            models.CharField(_("英文标题"), max_length=160, blank=True),
        )

which adds the two real columns ``title_zh`` and ``title_en`` (the names every query, form,
admin and API uses) and makes ``product.title`` the text of the active language: the English
one in English, falling back to the Chinese one when there is no English (and the other way
round). Assigning ``product.title = "…"`` (or ``Product(title="…")``) sets the Chinese text,
the source language. The ``bilingual`` shorthand builds both fields from one field class.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import get_language

LANGUAGES = ("zh", "en")


def is_english(language: str | None = None) -> bool:
    """Whether ``language`` (by default the active one) is English."""
    return (language if language is not None else get_language() or "zh-hans").startswith("en")


def pick(zh: Any, en: Any, *, language: str | None = None) -> Any:
    """The text for ``language`` (by default the active one), falling back to the other."""
    if is_english(language):
        return en or zh
    return zh or en


def pick_from(data: dict, name: str, *, language: str | None = None) -> Any:
    """``pick`` on the ``<name>_zh`` / ``<name>_en`` keys of a dict (a ``values()`` row,
    a cached or JSON record)."""
    return pick(data.get(f"{name}_zh") or "", data.get(f"{name}_en") or "", language=language)


class Bilingual:
    """Declares ``<name>_zh`` and ``<name>_en`` on a model and ``<name>`` picking between them.

    Put it in a model's body like a field; Django hands it the model and the attribute name.
    ``<name>`` becomes a property (so ``Model(<name>=…)`` works as for any property): reading
    gives the active language's text with fallback, writing sets the Chinese text.
    """

    def __init__(self, zh: models.Field, en: models.Field) -> None:
        self.zh = zh
        self.en = en

    def contribute_to_class(self, cls: type[models.Model], name: str) -> None:
        zh_name, en_name = f"{name}_zh", f"{name}_en"
        cls.add_to_class(zh_name, self.zh)
        cls.add_to_class(en_name, self.en)

        def read(obj: models.Model) -> Any:
            return pick(getattr(obj, zh_name), getattr(obj, en_name))

        def write(obj: models.Model, value: Any) -> None:
            setattr(obj, zh_name, value)

        read.__doc__ = f"``{zh_name}`` or ``{en_name}``, as the active language asks."
        setattr(cls, name, property(read, write))


def bilingual(
    field_class: type[models.Field],
    zh_label: Any,
    en_label: Any,
    *,
    en_max_length: int | None = None,
    en_blank: bool = True,
    **options: Any,
) -> Bilingual:
    """A ``Bilingual`` of two fields of ``field_class`` sharing ``options``: the English one
    may be blank (unless ``en_blank=False``) and longer (``en_max_length``)."""
    en_options = dict(options)
    if en_blank:
        en_options["blank"] = True
    if en_max_length is not None:
        en_options["max_length"] = en_max_length
    return Bilingual(field_class(zh_label, **options), field_class(en_label, **en_options))
