"""Cart services: a logged-in buyer's cart, and the anonymous cart kept in a session.

A cart holds SKUs and quantities within the limits (``ORDER_MAX_QTY_PER_SKU``,
``ORDER_MAX_LINES``, ``ORDER_MAX_QTY``) and the price the buyer saw when adding
each line; it is priced afresh from the catalog whenever it is shown
(``selectors.cart_priced``) and again at checkout. Only SKUs on sale can be
added. The cart is the buyer's scratchpad, so its changes are not audited: the
checkout records what was bought.

The anonymous cart is plain data in the session, ``{sku public id: quantity}``;
``anonymous_cart_set`` changes it with the same checks, and
``cart_merge_anonymous`` moves it into the buyer's cart on login.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from designmall.accounts.models import User
from designmall.catalog.models import Sku
from designmall.core import clock
from designmall.core.errors import Conflict, NotFound, ValidationFailed
from designmall.inventory.selectors import available_by_sku
from designmall.orders import rules
from designmall.orders.models import Cart, CartLine
from designmall.orders.selectors import (
    OUT_OF_STOCK,
    SKU_NOT_FOUND,
    clean_anonymous_lines,
    sku_problem,
    skus_by_public_id,
)

_PROBLEM_MESSAGES = {
    "product_unavailable": gettext_noop("这件商品已下架。"),
    "shop_unavailable": gettext_noop("这家店铺暂停营业。"),
    "sku_inactive": gettext_noop("这个规格已停售。"),
}
_LIMIT_MESSAGES = {
    "quantity_over_limit": gettext_noop("单个商品最多购买 %(max)s 件。"),
    "too_many_lines": gettext_noop("购物车最多放 %(max)s 种商品。"),
    "order_quantity_over_limit": gettext_noop("一次最多购买 %(max)s 件商品。"),
}


def check_quantity(quantity: object) -> int:
    if not rules.is_quantity(quantity):
        raise ValidationFailed(
            _("数量必须是正整数。"), code="invalid_quantity", details={"quantity": repr(quantity)}
        )
    return quantity


def check_limits(quantities: Mapping[str, int]) -> None:
    """Refuse ``quantities`` (SKU -> units) beyond the cart and order limits."""
    problem = rules.limits_problem(
        quantities,
        max_per_sku=settings.ORDER_MAX_QTY_PER_SKU,
        max_lines=settings.ORDER_MAX_LINES,
        max_total=settings.ORDER_MAX_QTY,
    )
    if problem is not None:
        code, details = problem
        raise ValidationFailed(_(_LIMIT_MESSAGES[code]) % details, code=code, details=details)


def sellable_sku(sku_public_id: str) -> Sku:
    """The SKU if it is on sale now; else NotFound or Conflict with the reason's code."""
    sku = skus_by_public_id([sku_public_id]).get(sku_public_id)
    problem = sku_problem(sku)
    if problem == SKU_NOT_FOUND:
        raise NotFound(_("没有找到这个商品规格。"), code=SKU_NOT_FOUND)
    if problem:
        raise Conflict(_(_PROBLEM_MESSAGES[problem]), code=problem, details={"sku": sku_public_id})
    return sku


def _check_stock(sku: Sku, quantity: int) -> None:
    available = available_by_sku([sku.id])[sku.id]
    if available < quantity:
        raise Conflict(
            _("库存不足，最多还能买 %(available)s 件。") % {"available": available},
            code=OUT_OF_STOCK,
            details={"sku": sku.public_id, "available": available},
        )


def _cart_locked(user: User) -> Cart:
    """The user's cart row, locked (created on first use), so concurrent changes queue."""
    cart = Cart.objects.select_for_update().filter(user=user).first()
    if cart is None:
        try:
            with transaction.atomic():
                Cart.objects.create(user=user, updated_at=clock.now())
        except IntegrityError:
            pass  # created at the same moment by another request
        cart = Cart.objects.select_for_update().get(user=user)
    return cart


def _quantities(cart: Cart) -> dict[str, int]:
    return dict(cart.lines.values_list("sku__public_id", "quantity"))


def _set_line(cart: Cart, sku: Sku, quantity: int, *, refresh_price: bool) -> CartLine:
    now = clock.now()
    line, created = CartLine.objects.get_or_create(
        cart=cart,
        sku=sku,
        defaults={"quantity": quantity, "price_seen_fen": sku.price_fen, "added_at": now},
    )
    if not created:
        line.quantity = quantity
        if refresh_price:
            line.price_seen_fen = sku.price_fen
        line.save(update_fields=["quantity", "price_seen_fen"])
    cart.updated_at = now
    cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def cart_add(*, user: User, sku_public_id: str, quantity: int = 1) -> CartLine:
    """Add ``quantity`` units of a SKU on sale to the user's cart (more of it if it is
    there already), within the limits and the stock on sale now. The line remembers
    today's price as the one the buyer saw."""
    quantity = check_quantity(quantity)
    sku = sellable_sku(sku_public_id)
    cart = _cart_locked(user)
    quantities = _quantities(cart)
    quantities[sku.public_id] = quantities.get(sku.public_id, 0) + quantity
    check_limits(quantities)
    _check_stock(sku, quantities[sku.public_id])
    return _set_line(cart, sku, quantities[sku.public_id], refresh_price=True)


@transaction.atomic
def cart_set_quantity(*, user: User, sku_public_id: str, quantity: int) -> CartLine:
    """Set the quantity of a SKU in the user's cart (at least 1: ``cart_remove`` takes
    it out), within the limits and the stock on sale now. The price seen is kept."""
    quantity = check_quantity(quantity)
    sku = sellable_sku(sku_public_id)
    cart = _cart_locked(user)
    quantities = _quantities(cart)
    quantities[sku.public_id] = quantity
    check_limits(quantities)
    _check_stock(sku, quantity)
    return _set_line(cart, sku, quantity, refresh_price=False)


@transaction.atomic
def cart_remove(*, user: User, sku_public_id: str) -> None:
    """Take a SKU out of the user's cart; nothing happens if it is not there."""
    CartLine.objects.filter(cart__user=user, sku__public_id=sku_public_id).delete()


@transaction.atomic
def cart_merge_anonymous(*, user: User, lines: Mapping[str, int]) -> list[str]:
    """Move an anonymous cart (``{sku public id: quantity}`` from the session) into the
    user's cart on login; returns the SKUs that could not be taken over.

    A SKU in both keeps the larger quantity (the same things added twice are not
    bought twice). Entries that are malformed, not on sale, or beyond the limits
    are left out rather than refused: logging in never fails because of a stale
    cart. Prices seen are today's.
    """
    wanted = clean_anonymous_lines(lines)
    skipped = [str(sku) for sku in lines if sku not in wanted] if isinstance(lines, Mapping) else []
    skus = skus_by_public_id(wanted)
    cart = _cart_locked(user)
    quantities = _quantities(cart)
    for sku_public_id, quantity in wanted.items():
        sku = skus.get(sku_public_id)
        if sku_problem(sku):
            skipped.append(sku_public_id)
            continue
        merged = dict(quantities)
        merged[sku_public_id] = min(
            max(quantity, quantities.get(sku_public_id, 0)), settings.ORDER_MAX_QTY_PER_SKU
        )
        if rules.limits_problem(
            merged,
            max_per_sku=settings.ORDER_MAX_QTY_PER_SKU,
            max_lines=settings.ORDER_MAX_LINES,
            max_total=settings.ORDER_MAX_QTY,
        ):
            skipped.append(sku_public_id)
            continue
        if merged[sku_public_id] != quantities.get(sku_public_id):
            _set_line(cart, sku, merged[sku_public_id], refresh_price=True)
        quantities = merged
    return skipped


def anonymous_cart_set(
    *, lines: Mapping[str, int], sku_public_id: str, quantity: int, add: bool = False
) -> dict[str, int]:
    """The anonymous cart ``lines`` with a SKU on sale set to ``quantity`` units (or
    ``add``-ed to what is there), checked as a logged-in cart is; returns the new
    data to keep in the session. Writes nothing."""
    quantity = check_quantity(quantity)
    sku = sellable_sku(sku_public_id)
    quantities = clean_anonymous_lines(lines)
    quantities[sku.public_id] = quantity + (quantities.get(sku.public_id, 0) if add else 0)
    check_limits(quantities)
    _check_stock(sku, quantities[sku.public_id])
    return quantities
