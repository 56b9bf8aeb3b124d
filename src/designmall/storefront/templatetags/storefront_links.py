"""``{% link %}``: the ``{% url %}`` of a storefront page, worked out once per process.

A page links to the same few dozen addresses on every render (the header,
the category bar, the footer, product cards); reversing each costs more than
the rest of its line. The address depends only on the URL configuration, the
script prefix and the arguments, so it is remembered for those.
"""

import functools

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@functools.lru_cache(maxsize=4096)
def _reverse(prefix: str, urlconf, name: str, args: tuple[str, ...]) -> str:
    return reverse(name, urlconf=urlconf, args=args)


@register.simple_tag
def link(name: str, *args) -> str:
    """The address of the view ``name`` with positional ``args``, like ``{% url %}``."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _reverse(get_script_prefix(), urlconf, name, tuple(str(a) for a in args))
