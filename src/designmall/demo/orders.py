"""The demo buyer's orders at the demo seller's shop, one in every state, so neither the
buyer's order list nor the seller center's is empty on a first visit.

Every order is made through the real services (checkout, the sandbox cashier and its
signed notification, shipping, receipt, refunds, after-sales), with the clock moved
back to the day it happened: the week's history reads as it would have. Only with the
sandbox gateway (the demo's): with a real one, no orders are made.

``orders_wipe`` takes them away again for ``designmall seed --reset``: every order,
payment and ledger entry of the database, and only when they all belong to demo
accounts (a database with real customers' money is never wiped).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q, RestrictedError

from designmall.accounts.models import User
from designmall.catalog.models import ProductStatus, Shop, ShopStatus, Sku
from designmall.core import clock
from designmall.core.models import AuditEvent, Job
from designmall.demo.accounts import DEMO_EMAIL_DOMAIN, SELLER_EMAIL
from designmall.inventory.models import StockHold, StockLevel
from designmall.orders.aftersales import aftersales_create
from designmall.orders.checkout import checkout_create
from designmall.orders.models import AfterSalesKind, AfterSalesReason, Checkout, Order
from designmall.orders.services import (
    checkout_cancel,
    order_confirm_receipt,
    order_ready_for_pickup,
    order_refund,
    order_ship,
)
from designmall.payments.gateways import sandbox
from designmall.payments.models import Refund
from designmall.payments.services import notification_receive, refund_execute

BUYER_EMAIL = f"buyer@{DEMO_EMAIL_DOMAIN}"
ADDRESS = {
    "name": "周小满",
    "mobile": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "徐汇区",
    "detail": "龙腾大道 2555 号 3 号楼 1203 室",
}
CARRIERS = ("SF", "ZTO", "YTO", "JD")

# The states, as the order pages name them, and how long ago each order was placed.
STATES: tuple[tuple[str, float], ...] = (
    ("after-sales", 6.0),  # received, then a refund-only request the seller has to answer
    ("refunded", 5.0),  # paid, then refunded in full by the seller
    ("received", 4.0),  # shipped and confirmed by the buyer: completed, the seller paid
    ("shipped", 2.0),  # on its way
    ("cancelled", 1.5),  # cancelled by the buyer before paying
    ("ready for pickup", 1.0),  # paid, to collect at the venue
    ("paid", 0.2),  # paid, waiting for the seller to ship
    ("pending payment", 0.0),  # placed a moment ago, not paid yet
)


@dataclass
class _Stage:
    buyer: User
    seller: User
    skus: Iterator[Sku]


@contextmanager
def _days_ago(days: float) -> Iterator[None]:
    """Run with the clock ``days`` earlier, then put it back exactly (frozen or not)."""
    delta = timedelta(days=days)
    clock.advance(-delta)
    try:
        yield
    finally:
        clock.advance(delta)


def _skus_in_stock(shop: Shop) -> Iterator[Sku]:
    """The shop's sellable SKUs with stock, over and over (one unit per order)."""
    skus = list(
        Sku.objects.filter(
            product__shop=shop,
            product__status=ProductStatus.LIVE,
            is_active=True,
            pk__in=StockLevel.objects.filter(available__gt=0).values("sku_id"),
        ).order_by("product_id", "id")
    )
    while skus:
        for sku in list(skus):
            if StockLevel.objects.get(sku=sku).available > 0:
                yield sku
            else:
                skus.remove(sku)


def _checkout(stage: _Stage, *, pickup: bool = False) -> Checkout:
    sku = next(stage.skus)
    if pickup:
        return checkout_create(buyer=stage.buyer, lines=[(sku.public_id, 1)], delivery="pickup")
    return checkout_create(
        buyer=stage.buyer, lines=[(sku.public_id, 1)], delivery="address", address=ADDRESS
    )


def _pay(checkout: Checkout) -> Order:
    checkout.refresh_from_db()
    paid = sandbox.sandbox_pay(payment=checkout.payment)
    notification_receive(params=paid.notification)
    return checkout.orders.select_related("shop", "checkout").get()


def _ship(stage: _Stage, order: Order, n: int) -> Order:
    carrier = CARRIERS[n % len(CARRIERS)]
    return order_ship(
        order=order,
        by=stage.seller,
        carrier=carrier,
        tracking_number=f"{carrier}{7310042 + n:010d}",
    )


def _order(stage: _Stage, state: str, n: int) -> None:
    if state == "pending payment":
        _checkout(stage)
        return
    if state == "cancelled":
        checkout_cancel(checkout=_checkout(stage), by=stage.buyer, reason="地址填错了，重新下单")
        return
    if state == "ready for pickup":
        order_ready_for_pickup(order=_pay(_checkout(stage, pickup=True)), by=stage.seller)
        return
    order = _pay(_checkout(stage))
    if state == "paid":
        return
    if state == "refunded":
        with _days_ago(-0.2):  # the seller refunds some hours later
            refund = order_refund(
                order=order,
                amount_fen=order.total_fen,
                reason="库存盘点有误，无法发货，全额退款",
                by=stage.seller,
            )
            refund_execute(refund=Refund.objects.get(pk=refund.pk))
        return
    with _days_ago(-0.5):
        order = _ship(stage, order, n)
    if state == "shipped":
        return
    with _days_ago(-1.5):
        order = order_confirm_receipt(order=order, by=stage.buyer)
    if state == "received":
        return
    # After-sales: a refund-only request about one unit, made yesterday (the seller has
    # AFTERSALES_SELLER_REPLY_DAYS to answer before it is accepted for them).
    with _days_ago(-(STATES[0][1] - 1.0)):
        aftersales_create(
            order=order,
            line=order.lines.order_by("id").first(),
            by=stage.buyer,
            kind=AfterSalesKind.REFUND_ONLY,
            reason=AfterSalesReason.DAMAGED,
            quantity=1,
            note="收到时椅腿有一道划痕，希望部分退款。",
        )


def orders_possible() -> bool:
    return settings.PAYMENTS_GATEWAY == "sandbox" and settings.PAYMENTS_SANDBOX_ENABLED


def orders_write(*, now: datetime) -> dict[str, int]:
    """The demo buyer's orders at the demo seller's shop, one per state of ``STATES``
    (the after-sales one with its request); returns how many orders were made."""
    buyer = User.objects.filter(email=BUYER_EMAIL).first()
    shop = Shop.objects.filter(owner__email=SELLER_EMAIL, status=ShopStatus.APPROVED).first()
    if buyer is None or shop is None or not orders_possible():
        return {"orders": 0}
    stage = _Stage(buyer=buyer, seller=shop.owner, skus=_skus_in_stock(shop))
    made = 0
    for n, (state, days) in enumerate(STATES):
        with _days_ago(days):
            try:
                _order(stage, state, n)
            except StopIteration:
                break  # the shop has nothing left in stock
        made += 1
    return {"orders": made}


# --- wiping -------------------------------------------------------------------------------

_MONEY_APPS = ("orders", "payments", "ledger")


def _demo_only() -> bool:
    """Whether every order and payment of the database is a demo account's."""
    order_buyers = Order.objects.values_list("buyer__email", flat=True).distinct()
    return all(email and email.endswith("@" + DEMO_EMAIL_DOMAIN) for email in order_buyers)


def orders_wipe() -> None:
    """Delete every order, payment, refund and ledger entry, when all orders are demo
    accounts'; else leave them (the catalog wipe then refuses, naming what holds it)."""
    if not Order.objects.exists() or not _demo_only():
        return
    models = [m for app in _MONEY_APPS for m in apps.get_app_config(app).get_models()]
    _delete_all(models, lambda model: model._default_manager.all().delete())
    StockHold.objects.all().delete()  # the unpaid checkouts' holds on stock
    # Work queued about those payments (notifications, refunds, reconciliations) has
    # nothing left to work on.
    Job.objects.filter(name__startswith="payments.").delete()
    # And their history: the audit trail of records that no longer exist.
    history = Q()
    for app in _MONEY_APPS:
        history |= Q(target_type__startswith=f"{app}.")
    AuditEvent.objects.filter(history).delete()


def _delete_all(models: list, delete: Callable) -> None:
    """Delete every row of ``models``, parents after children, whatever their order."""
    left = list(models)
    while left:
        progress = False
        for model in list(left):
            try:
                with transaction.atomic():
                    delete(model)
            except (ProtectedError, RestrictedError, IntegrityError):
                continue
            left.remove(model)
            progress = True
        if not progress:
            return
