"""Order reads: the priced cart, and orders as their buyer, their seller or the venue sees them.

Prices always come from the catalog here, never from a client. Access is part of
each read: a buyer reaches only their own orders and a seller only their shops'
orders; anything else is 404, exactly as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.catalog.models import Product, ProductStatus, Shop, ShopStatus, Sku
from designmall.core import leansql
from designmall.core.errors import NotFound
from designmall.inventory.models import StockLevel
from designmall.orders import rules
from designmall.orders.models import (
    AfterSalesRequest,
    AfterSalesStatus,
    CartLine,
    Checkout,
    CheckoutStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)

# Why a line cannot be bought now (``PricedLine.problem``); also the error codes of checkout.
SKU_NOT_FOUND = "sku_not_found"
PRODUCT_UNAVAILABLE = "product_unavailable"
SHOP_UNAVAILABLE = "shop_unavailable"
SKU_INACTIVE = "sku_inactive"
OUT_OF_STOCK = "out_of_stock"


def sku_problem(sku: Sku | None) -> str:
    """Why ``sku`` (with its product and shop loaded) cannot be sold; "" if it can."""
    if sku is None:
        return SKU_NOT_FOUND
    if sku.product.shop.status != ShopStatus.APPROVED:
        return SHOP_UNAVAILABLE
    if sku.product.status != ProductStatus.LIVE:
        return PRODUCT_UNAVAILABLE
    if not sku.is_active:
        return SKU_INACTIVE
    return ""


_SKU_PRODUCT = Sku._meta.get_field("product")
_PRODUCT_SHOP = Product._meta.get_field("shop")


def skus_with_stock(public_ids: Iterable[str]) -> dict[str, tuple[Sku, int]]:
    """The SKUs with these public ids, with product and shop, and the units of each on
    sale now (0 without a stock row): one statement.

    This read prices every checkout and cart, so its SQL is built once
    (``core.leansql``) instead of compiled per call; the instances are the ORM's.
    """
    ids = sorted({i for i in public_ids if isinstance(i, str)})
    if not ids:
        return {}
    found = {}
    for row in leansql.fetch_all(_skus_sql(len(ids)), ids):
        the_sku, the_product, the_shop = leansql.instances(row, *_sku_columns())
        _PRODUCT_SHOP.set_cached_value(the_product, the_shop)
        _SKU_PRODUCT.set_cached_value(the_sku, the_product)
        found[the_sku.public_id] = (the_sku, row[-1])
    return found


def _sku_columns() -> tuple[leansql.Columns, leansql.Columns, leansql.Columns]:
    return leansql.columns(Sku, "s"), leansql.columns(Product, "p"), leansql.columns(Shop, "h")


@lru_cache(maxsize=256)
def _skus_sql(count: int) -> str:
    sku, product, shop = _sku_columns()
    return (
        f"SELECT {sku.sql}, {product.sql}, {shop.sql}, COALESCE(l.available, 0)"
        f" FROM {Sku._meta.db_table} s"
        f" JOIN {Product._meta.db_table} p ON p.id = s.product_id"
        f" JOIN {Shop._meta.db_table} h ON h.id = p.shop_id"
        f" LEFT JOIN {StockLevel._meta.db_table} l ON l.sku_id = s.id"
        f" WHERE s.public_id IN ({leansql.placeholders(count)})"
    )


def skus_by_public_id(public_ids: Iterable[str]) -> dict[str, Sku]:
    """The SKUs with these public ids, with product and shop, in one query."""
    return {public_id: sku for public_id, (sku, _n) in skus_with_stock(public_ids).items()}


# --- pricing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PricedLine:
    sku_public_id: str
    quantity: int
    sku: Sku | None
    unit_price_fen: int  # the catalog's price now (0 for an unknown SKU)
    price_seen_fen: int | None  # what the buyer saw when adding it to the cart
    problem: str  # "" when it can be bought
    available: int | None = None  # units on sale, when asked for

    @property
    def line_total_fen(self) -> int:
        return self.unit_price_fen * self.quantity

    @property
    def price_changed(self) -> bool:
        return self.price_seen_fen is not None and self.price_seen_fen != self.unit_price_fen

    def as_dict(self) -> dict:
        return {
            "sku": self.sku_public_id,
            "quantity": self.quantity,
            "unit_price_fen": self.unit_price_fen,
            "line_total_fen": self.line_total_fen,
            **({"price_seen_fen": self.price_seen_fen} if self.price_changed else {}),
            **({"problem": self.problem} if self.problem else {}),
        }


@dataclass
class PricedShop:
    """One shop's part: it becomes one order."""

    shop: object  # catalog.Shop
    lines: list[PricedLine] = field(default_factory=list)
    shipping_fen: int = 0

    @property
    def items_fen(self) -> int:
        return sum(line.line_total_fen for line in self.lines)

    @property
    def total_fen(self) -> int:
        return self.items_fen + self.shipping_fen

    def as_dict(self) -> dict:
        return {
            "shop": self.shop.public_id,
            "items_fen": self.items_fen,
            "shipping_fen": self.shipping_fen,
            "total_fen": self.total_fen,
        }


@dataclass
class PricedCart:
    """Lines priced from the catalog, split per shop, with shipping for ``delivery``."""

    delivery: str
    lines: list[PricedLine]
    shops: list[PricedShop]

    @property
    def items_fen(self) -> int:
        return sum(shop.items_fen for shop in self.shops)

    @property
    def shipping_fen(self) -> int:
        return sum(shop.shipping_fen for shop in self.shops)

    @property
    def total_fen(self) -> int:
        return self.items_fen + self.shipping_fen

    @property
    def problems(self) -> list[PricedLine]:
        return [line for line in self.lines if line.problem]

    @property
    def price_changes(self) -> list[PricedLine]:
        return [line for line in self.lines if line.price_changed]

    @property
    def can_check_out(self) -> bool:
        return bool(self.lines) and not self.problems

    def as_dict(self) -> dict:
        return {
            "delivery": self.delivery,
            "lines": [line.as_dict() for line in self.lines],
            "orders": [shop.as_dict() for shop in self.shops],
            "items_fen": self.items_fen,
            "shipping_fen": self.shipping_fen,
            "total_fen": self.total_fen,
        }


def lines_priced(
    quantities: Mapping[str, int],
    *,
    delivery: str = rules.Delivery.ADDRESS,
    seen: Mapping[str, int] | None = None,
    with_stock: bool = False,
) -> PricedCart:
    """Price ``quantities`` (SKU public id -> quantity) from the catalog, in one query
    that also reads the stock on sale; ``with_stock`` flags lines short of it.

    Lines that cannot be sold are kept with their ``problem`` and count for nothing
    in the shops' totals (lines short of stock are flagged but still priced).
    ``seen`` holds the prices the buyer saw (cart lines).
    """
    skus = skus_with_stock(quantities)
    lines: list[PricedLine] = []
    shops: dict[int, PricedShop] = {}
    for public_id, quantity in quantities.items():
        sku, available = skus.get(public_id, (None, None))
        problem = sku_problem(sku)
        if not with_stock:
            available = None
        if not problem and available is not None and available < quantity:
            problem = OUT_OF_STOCK
        line = PricedLine(
            sku_public_id=public_id,
            quantity=quantity,
            sku=sku,
            unit_price_fen=sku.price_fen if sku is not None else 0,
            price_seen_fen=(seen or {}).get(public_id),
            problem=problem,
            available=available,
        )
        lines.append(line)
        if sku is not None and problem in ("", OUT_OF_STOCK):
            shop = sku.product.shop
            shops.setdefault(shop.id, PricedShop(shop=shop)).lines.append(line)
    for part in shops.values():
        part.shipping_fen = rules.shipping_fee_fen(
            delivery=delivery,
            items_fen=part.items_fen,
            fee_fen=settings.ORDER_SHIPPING_FEE_FEN,
            free_from_fen=settings.ORDER_FREE_SHIPPING_FROM_FEN,
        )
    return PricedCart(delivery=delivery, lines=lines, shops=list(shops.values()))


def cart_lines(*, user: User) -> dict[str, tuple[int, int]]:
    """The user's cart as SKU public id -> (quantity, price seen), newest first."""
    rows = (
        CartLine.objects.filter(cart__user=user)
        .order_by("-added_at", "-id")
        .values_list("sku__public_id", "quantity", "price_seen_fen")
    )
    return {sku: (quantity, seen) for sku, quantity, seen in rows}


def cart_priced(*, user: User, delivery: str = rules.Delivery.ADDRESS) -> PricedCart:
    """The user's cart priced now, with lines that cannot be bought (or not in that
    quantity) flagged, and price changes since each line was added shown."""
    lines = cart_lines(user=user)
    return lines_priced(
        {sku: quantity for sku, (quantity, _seen) in lines.items()},
        delivery=delivery,
        seen={sku: seen for sku, (_quantity, seen) in lines.items()},
        with_stock=True,
    )


def cart_priced_anonymous(
    *, lines: Mapping[str, int], delivery: str = rules.Delivery.ADDRESS
) -> PricedCart:
    """An anonymous (session) cart priced now; its junk entries are left out."""
    return lines_priced(clean_anonymous_lines(lines), delivery=delivery, with_stock=True)


def clean_anonymous_lines(lines: object) -> dict[str, int]:
    """The usable entries of an anonymous cart kept in a session (untrusted data)."""
    if not isinstance(lines, Mapping):
        return {}
    return {
        sku: quantity
        for sku, quantity in lines.items()
        if isinstance(sku, str)
        and 0 < len(sku) <= 24
        and isinstance(quantity, int)
        and not isinstance(quantity, bool)
        and quantity > 0
    }


# --- orders ------------------------------------------------------------------------------


def _with_details(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.select_related("shop", "checkout").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    )


def orders_for_buyer(*, user: User, status: str | None = None) -> QuerySet[Order]:
    """The buyer's orders, newest first."""
    orders = _with_details(Order.objects.filter(buyer=user))
    if status:
        orders = orders.filter(status=status)
    return orders.order_by("-created_at", "-id")


def order_for_buyer(*, user: User, public_id: str) -> Order:
    """The buyer's own order with its lines and history; anyone else's is 404."""
    order = (
        _with_details(Order.objects.filter(buyer=user, public_id=public_id))
        .prefetch_related(Prefetch("events", queryset=OrderEvent.objects.order_by("at", "id")))
        .first()
    )
    if order is None:
        raise NotFound(_("没有找到这个订单。"), code="order_not_found")
    return order


def checkout_for_buyer(*, user: User, public_id: str) -> Checkout:
    """The buyer's own checkout with its orders and payment; anyone else's is 404."""
    checkout = (
        Checkout.objects.filter(buyer=user, public_id=public_id)
        .select_related("payment")
        .prefetch_related(Prefetch("orders", queryset=_with_details(Order.objects.order_by("id"))))
        .first()
    )
    if checkout is None:
        raise NotFound(_("没有找到这个结算单。"), code="checkout_not_found")
    return checkout


def checkout_orders(checkout: Checkout) -> list[Order]:
    """The checkout's orders with shop, lines and SKUs, in order: read once, or as the
    checkout was just written (then they come with it)."""
    if "orders" in getattr(checkout, "_prefetched_objects_cache", {}):
        return list(checkout.orders.all())
    return list(
        checkout.orders.select_related("shop").prefetch_related("lines__sku").order_by("id")
    )


def orders_for_seller(
    *, user: User, shop_public_id: str | None = None, status: str | None = None
) -> QuerySet[Order]:
    """Orders of the seller's shops (one shop if named), newest first. Unpaid orders
    are left out: there is nothing to fulfil until the buyer pays."""
    orders = _with_details(Order.objects.filter(shop__owner=user)).exclude(
        status__in=[OrderStatus.PENDING_PAYMENT, OrderStatus.EXPIRED, OrderStatus.CANCELLED]
    )
    if shop_public_id:
        orders = orders.filter(shop__public_id=shop_public_id)
    if status:
        orders = orders.filter(status=status)
    return orders.order_by("-created_at", "-id")


def order_for_seller(*, user: User, public_id: str) -> Order:
    """An order of one of the seller's shops, with lines and history; others' are 404."""
    order = (
        orders_for_seller(user=user)
        .filter(public_id=public_id)
        .prefetch_related(Prefetch("events", queryset=OrderEvent.objects.order_by("at", "id")))
        .first()
    )
    if order is None:
        raise NotFound(_("没有找到这个订单。"), code="order_not_found")
    return order


def can_verify_pickups(user: User) -> bool:
    """Venue staff and operators confirm any shop's pickups; sellers their own."""
    return user.is_superuser or user.has_role(Role.VENUE_STAFF) or user.has_role(Role.OPERATOR)


def order_for_pickup(*, user: User, code: str) -> Order:
    """The order waiting at the venue with this pickup code (scanned or typed), among
    the orders ``user`` may hand over; 404 for a wrong or unknown code."""
    code = rules.normalize_pickup_code(code)
    orders = Order.objects.filter(pickup_code=code, status=OrderStatus.READY_FOR_PICKUP)
    if not can_verify_pickups(user):
        orders = orders.filter(shop__owner=user)
    order = _with_details(orders).first() if code else None
    if order is None:
        raise NotFound(_("没有找到待自提的订单，请核对自提码。"), code="pickup_not_found")
    return order


def order_events(*, order: Order) -> QuerySet[OrderEvent]:
    return order.events.select_related("by").order_by("at", "id")


# --- for the sweepers --------------------------------------------------------------------


def checkouts_to_expire(*, now: datetime, limit: int = 200) -> list[int]:
    """Unpaid checkouts whose stock holds ran out, oldest first."""
    return list(
        Checkout.objects.filter(status=CheckoutStatus.PENDING_PAYMENT, expires_at__lte=now)
        .order_by("expires_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def orders_to_auto_confirm(*, now: datetime, limit: int = 500) -> list[int]:
    """Shipped orders the buyer has not confirmed within ``ORDER_AUTO_CONFIRM_DAYS``."""
    shipped_before = now - timedelta(days=settings.ORDER_AUTO_CONFIRM_DAYS)
    return list(
        Order.objects.filter(Q(status=OrderStatus.SHIPPED) & Q(shipped_at__lte=shipped_before))
        .order_by("shipped_at", "id")
        .values_list("id", flat=True)[:limit]
    )


IN_ESCROW_STATUSES = [
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.RECEIVED,
    OrderStatus.READY_FOR_PICKUP,
    OrderStatus.PICKED_UP,
]


def shop_in_escrow(*, shop_id: int) -> tuple[int, int]:
    """The shop's paid orders not completed yet: how many, and what they hold in escrow
    (paid less refunded), released to the shop less commission when each completes."""
    found = Order.objects.filter(shop_id=shop_id, status__in=IN_ESCROW_STATUSES).aggregate(
        n=Count("id"), held=Sum(F("total_fen") - F("refunded_fen"))
    )
    return found["n"] or 0, found["held"] or 0


# --- after-sales -----------------------------------------------------------------------------


def _aftersales():
    return AfterSalesRequest.objects.select_related(
        "order__shop", "line__sku", "refund"
    ).prefetch_related("events", "photos")


def aftersales_of_order(order) -> list:
    """An order's after-sales requests, newest first, with their timelines and photos."""
    return list(_aftersales().filter(order=order))


def aftersales_for_buyer(*, user, public_id: str | None = None):
    """The buyer's requests (or one of them: 404 ``aftersales_not_found`` if not theirs)."""
    requests = _aftersales().filter(order__buyer=user)
    return requests if public_id is None else _one_request(requests, public_id)


def aftersales_for_seller(*, user, public_id: str | None = None, status: str | None = None):
    """The requests on the seller's shops' orders (or one of them)."""
    requests = _aftersales().filter(order__shop__owner=user)
    if status:
        requests = requests.filter(status=status)
    return requests if public_id is None else _one_request(requests, public_id)


def aftersales_for_operator(*, public_id: str | None = None, status: str | None = "escalated"):
    requests = _aftersales()
    if status:
        requests = requests.filter(status=status)
    return requests if public_id is None else _one_request(_aftersales(), public_id)


def _one_request(requests, public_id: str):
    try:
        return requests.get(public_id=public_id)
    except AfterSalesRequest.DoesNotExist:
        raise NotFound(_("没有找到这个售后申请。"), code="aftersales_not_found") from None


def aftersales_to_auto_accept(*, now) -> list[int]:
    """Requests whose seller did not answer in time (for the sweeper)."""
    return list(
        AfterSalesRequest.objects.filter(
            status=AfterSalesStatus.REQUESTED, reply_due_at__lte=now
        ).values_list("pk", flat=True)[:500]
    )
