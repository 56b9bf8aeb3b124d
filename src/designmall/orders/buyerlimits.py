"""What one buyer may hold and buy at once, checked inside the checkout's transaction.

- Unpaid holds: a buyer's checkouts waiting for payment (not expired by the clock)
  are at most ``ORDER_MAX_UNPAID_CHECKOUTS``, holding at most
  ``ORDER_MAX_UNPAID_UNITS`` units between them, the new one included (0: no cap).
  So one account cannot keep a SKU held by checking out again and again.
- Per-buyer purchase limits: a product's ``per_buyer_limit`` counts the units of it
  in the buyer's orders that are paid or still payable (not cancelled, expired,
  refunded, nor waiting for a payment whose time is up), the new ones included.

Both are counts, so two checkouts of one buyer at once must not both count before
either is written: ``buyer_lock`` locks the buyer's row first (``FOR NO KEY
UPDATE``: rows that merely reference the buyer are not held up, so nothing that
inserts them can deadlock with a checkout), and the counts are read after it, in
statements that see what the previous holder committed. SQLite's write
transactions (``BEGIN IMMEDIATE``) are serial anyway. The statements are built once
(``core.leansql``): the unpaid count is one query on the checkout's buyer index,
and the per-product count runs only when a product in the checkout has a limit.
"""

from __future__ import annotations

import functools
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.catalog.models import Sku
from designmall.core import leansql
from designmall.core.errors import Conflict
from designmall.orders.models import (
    Checkout,
    CheckoutStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from designmall.orders.selectors import PricedCart

# Orders that do not count towards a per-buyer limit (an unpaid one whose time is up
# does not count either, whatever the sweeper has done yet).
NOT_COUNTED = (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REFUNDED)


@functools.cache
def _lock_sql() -> str:
    return f"SELECT id FROM {User._meta.db_table} WHERE id = %s FOR NO KEY UPDATE"


@functools.cache
def _unpaid_sql() -> str:
    return (
        "SELECT COUNT(DISTINCT c.id), COALESCE(SUM(l.quantity), 0)"
        f" FROM {Checkout._meta.db_table} c"
        f" JOIN {Order._meta.db_table} o ON o.checkout_id = c.id"
        f" JOIN {OrderLine._meta.db_table} l ON l.order_id = o.id"
        " WHERE c.buyer_id = %s AND c.status = %s AND c.expires_at > %s"
    )


@functools.lru_cache(maxsize=64)
def _bought_sql(products: int) -> str:
    return (
        "SELECT s.product_id, COALESCE(SUM(l.quantity), 0)"
        f" FROM {Order._meta.db_table} o"
        f" JOIN {Checkout._meta.db_table} c ON c.id = o.checkout_id"
        f" JOIN {OrderLine._meta.db_table} l ON l.order_id = o.id"
        f" JOIN {Sku._meta.db_table} s ON s.id = l.sku_id"
        f" WHERE o.buyer_id = %s AND s.product_id IN ({leansql.placeholders(products)})"
        f" AND o.status NOT IN ({leansql.placeholders(len(NOT_COUNTED))})"
        " AND NOT (o.status = %s AND c.expires_at <= %s)"
        " GROUP BY s.product_id"
    )


def _limited_products(priced: PricedCart) -> dict[int, tuple[int, int, object]]:
    """Product id -> (limit, units in this checkout, product) for products with a limit."""
    found: dict[int, tuple[int, int, object]] = {}
    for line in priced.lines:
        product = line.sku.product
        if product.per_buyer_limit:
            _limit, units, _p = found.get(product.id, (0, 0, None))
            found[product.id] = (product.per_buyer_limit, units + line.quantity, product)
    return found


def buyer_limits_check(*, buyer: User, priced: PricedCart, now: datetime) -> None:
    """Inside the checkout's transaction, before anything is written: lock the buyer and
    refuse (``Conflict``) a checkout beyond the unpaid-holds cap
    (``too_many_unpaid_checkouts``, ``too_many_units_held``) or a product's per-buyer
    limit (``per_buyer_limit_exceeded``). Details say how many and how far."""
    max_checkouts = settings.ORDER_MAX_UNPAID_CHECKOUTS
    max_units = settings.ORDER_MAX_UNPAID_UNITS
    limited = _limited_products(priced)
    if not (max_checkouts or max_units or limited):
        return
    if connection.vendor == "postgresql":
        leansql.fetch_all(_lock_sql(), [buyer.pk])
    units = sum(line.quantity for line in priced.lines)
    if max_checkouts or max_units:
        ((checkouts, held),) = leansql.fetch_all(
            _unpaid_sql(), [buyer.pk, CheckoutStatus.PENDING_PAYMENT.value, now]
        )
        if max_checkouts and checkouts + 1 > max_checkouts:
            raise Conflict(
                _("你有 %(n)d 笔待支付的订单，请先支付或取消后再下单。") % {"n": checkouts},
                code="too_many_unpaid_checkouts",
                details={"unpaid_checkouts": checkouts, "max_unpaid_checkouts": max_checkouts},
            )
        if max_units and held + units > max_units:
            raise Conflict(
                _("待支付订单最多保留 %(max)d 件商品，你已保留 %(held)d 件。")
                % {"max": max_units, "held": held}
                + _("请先支付或取消后再下单。"),
                code="too_many_units_held",
                details={"held_units": held, "requested": units, "max_unpaid_units": max_units},
            )
    if limited:
        ids = sorted(limited)
        params = [
            buyer.pk,
            *ids,
            *(status.value for status in NOT_COUNTED),
            OrderStatus.PENDING_PAYMENT.value,
            now,
        ]
        bought = dict(leansql.fetch_all(_bought_sql(len(ids)), params))
        for product_id in ids:
            limit, wanted, product = limited[product_id]
            already = int(bought.get(product_id, 0))
            if already + wanted > limit:
                raise Conflict(
                    _("「%(title)s」每位买家限购 %(limit)d 件，你已购买或待支付 %(already)d 件。")
                    % {"title": product.title, "limit": limit, "already": already},
                    code="per_buyer_limit_exceeded",
                    details={
                        "product": product.public_id,
                        "per_buyer_limit": limit,
                        "already": already,
                        "requested": wanted,
                    },
                )
