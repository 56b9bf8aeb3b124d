"""Small presentation helpers for the storefront templates."""

import zlib

from django import template

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
