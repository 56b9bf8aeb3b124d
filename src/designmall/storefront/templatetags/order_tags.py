"""Template filters of the cart and order pages."""

from __future__ import annotations

from django import template

from designmall.core.money import format_fen
from designmall.orders.models import OrderStatus, carrier_label

register = template.Library()


@register.filter
def fen(value) -> str:
    """Integer fen as money for people: ``129900`` -> ``¥1,299.00``."""
    return format_fen(value)


@register.filter
def order_status(value: str) -> str:
    """An order status code as its name: ``paid`` -> 待发货 (translated)."""
    try:
        return OrderStatus(value).label
    except ValueError:
        return value


@register.filter
def carrier_name(code: str) -> str:
    return carrier_label(code)
