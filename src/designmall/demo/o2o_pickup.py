"""Booth pickups in the demo: the demo buyer scanned the demo seller's booth and bought
for pickup there. One order waits at the booth, one was partly handed over (2 of 3 units
redeemed by the seller), one was collected yesterday and is settled. The demo's venue
staff member also works the seller's booth counter, so either can redeem.

Made through the real services (scan, checkout, the sandbox cashier, 核销, settlement) with
the clock moved back to when it happened; only with the sandbox gateway.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from designmall.accounts.models import User
from designmall.catalog.models import ProductStatus, Shop, ShopStatus, Sku
from designmall.core import clock
from designmall.demo.accounts import DEMO_EMAIL_DOMAIN, SELLER_EMAIL
from designmall.demo.orders import BUYER_EMAIL, orders_possible
from designmall.inventory.models import StockLevel
from designmall.o2o import pickup, redemption, services
from designmall.o2o.models import Booth, BoothStatus
from designmall.o2o.redemption_models import (
    Redeemable,
    RedeemableItem,
    Redemption,
    RedemptionLine,
    RedemptionReversal,
    ShopStaff,
)
from designmall.orders.checkout import checkout_create
from designmall.payments.gateways import sandbox
from designmall.payments.services import notification_receive

STAFF_EMAIL = f"staff@{DEMO_EMAIL_DOMAIN}"
DEVICE = "demo-counter"


def o2o_pickup_wipe() -> None:
    """Delete the redemptions, redeemables and booth staff (before booths and orders)."""
    RedemptionReversal.objects.all().delete()
    RedemptionLine.objects.all().delete()
    Redemption.objects.all().delete()
    RedeemableItem.objects.all().delete()
    Redeemable.objects.all().delete()
    ShopStaff.objects.all().delete()


def _skus(shop: Shop, units: int) -> list[Sku]:
    return list(
        Sku.objects.filter(
            product__shop=shop,
            product__status=ProductStatus.LIVE,
            is_active=True,
            pk__in=StockLevel.objects.filter(available__gte=units + 2).values("sku_id"),
        ).order_by("product_id", "id")[:4]
    )


def _placed(buyer: User, booth: Booth, lines: list[tuple[Sku, int]]) -> Redeemable:
    services.scan_record(booth=booth, exhibit=None, user=buyer, visitor_id=None)
    checkout = checkout_create(
        buyer=buyer, lines=[(sku.public_id, n) for sku, n in lines], delivery="pickup"
    )
    order = checkout.orders.get()
    made = pickup.booth_pickup_record(order=order, booth=booth)
    checkout.refresh_from_db()
    paid = sandbox.sandbox_pay(payment=checkout.payment)
    notification_receive(params=paid.notification)
    return made


def _at(moment: datetime, work):
    """``work()`` with the clock at ``moment``, then the clock put back exactly."""
    delta = moment - clock.now()
    clock.advance(delta)
    try:
        return work()
    finally:
        clock.advance(-delta)


def o2o_pickup_write(*, now: datetime) -> dict[str, int]:
    """Three booth pickup orders of the demo buyer at the demo seller's booth (see the
    module); returns how many."""
    buyer = User.objects.filter(email=BUYER_EMAIL).first()
    shop = Shop.objects.filter(owner__email=SELLER_EMAIL, status=ShopStatus.APPROVED).first()
    booth = (
        Booth.objects.filter(shop=shop, status=BoothStatus.ACTIVE).order_by("id").first()
        if shop
        else None
    )
    if buyer is None or booth is None or not orders_possible():
        return {"booth_pickups": 0}
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if staff is not None:
        redemption.shop_staff_set(shop=shop, user=staff, active=True, by=None)
    skus = _skus(shop, 3)
    if len(skus) < 3:
        return {"booth_pickups": 0}
    seller = shop.owner
    made = 0

    def collected() -> Redeemable:
        done = _placed(buyer, booth, [(skus[2], 1)])
        redemption.redeem(
            redeemable=done, by=seller, serial="DEMO-0000000001", device=DEVICE, units=1
        )
        return done

    settled = _at(now - timedelta(days=1), collected)
    _at(
        now - timedelta(days=1, minutes=-45),
        lambda: redemption.redeemable_settle(redeemable_id=settled.pk),
    )
    made += 1

    def partly() -> Redeemable:
        done = _placed(buyer, booth, [(skus[0], 2), (skus[1], 1)])
        redemption.redeem(
            redeemable=done, by=staff or seller, serial="DEMO-0000000002", device=DEVICE, units=2
        )
        return done

    _at(now - timedelta(hours=2), partly)
    made += 1
    _at(now - timedelta(minutes=20), lambda: _placed(buyer, booth, [(skus[1], 1)]))
    made += 1
    return {"booth_pickups": made}
