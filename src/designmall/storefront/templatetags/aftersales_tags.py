"""The after-sales panel of an order page, for its buyer or its seller."""

from __future__ import annotations

from django import template

from designmall.orders import aftersales_rules as asr
from designmall.orders.aftersales import line_claimable
from designmall.orders.models import AfterSalesKind, AfterSalesReason, carrier_choices
from designmall.orders.selectors import aftersales_of_order

register = template.Library()


@register.inclusion_tag("storefront/orders/_aftersales.html", takes_context=True)
def aftersales_panel(context, order, side: str):
    """The order's requests with their timelines and the steps ``side`` may take; for the
    buyer, the form to ask (when the order may take a request)."""
    lines = []
    if side == "buyer" and (
        order.status in asr.BEFORE_DELIVERY
        or order.status in asr.IN_TRANSIT
        or order.status in asr.AFTER_DELIVERY
    ):
        for line in order.lines.all():
            fen, units = line_claimable(line)
            if fen > 0 and units > 0:
                lines.append({"line": line, "fen": fen, "units": units})
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "order": order,
        "side": side,
        "requests": aftersales_of_order(order),
        "lines": lines,
        "kinds": AfterSalesKind.choices,
        "reasons": AfterSalesReason.choices,
        "carriers": carrier_choices(),
        "returns_allowed": order.status not in asr.BEFORE_DELIVERY,
    }
