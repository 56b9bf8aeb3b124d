"""Small presentation helpers for the storefront templates."""

import zlib

from django import template
from django_countries import countries

from designmall.core.money import percent_from_bp

register = template.Library()


@register.filter
def hue(value) -> int:
    """A stable colour hue (0–359) for a placeholder, derived from an id or name."""
    return zlib.crc32(str(value).encode()) % 360


@register.filter
def initial(value) -> str:
    """The first letter or character of a name, for avatar and image placeholders."""
    text = str(value or "").strip()
    return text[:1].upper()


@register.filter
def country_name(code) -> str:
    """A country or region's name in the page's language (DE: 德国 / Germany), from
    django-countries' maintained list; the code itself if it names none."""
    return countries.name(code) or str(code or "")


@register.filter
def bp_percent(value) -> str:
    """Basis points as a percentage: 800 is "8%", 850 "8.5%", 1234 "12.34%"."""
    try:
        return percent_from_bp(int(value))
    except (TypeError, ValueError):
        return ""
