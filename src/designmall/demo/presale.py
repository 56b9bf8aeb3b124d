"""The demo's pre-sales (预售), one in every phase, dated around the day the demo is built.

All four belong to the demo seller's shop (山野木作), each on its own product:

- **taking deposits now**: a deposit pre-sale (定金 ¥… 抵 ¥…) open for two more days,
  a few demo bidders' deposits already paid;
- **in its balance window**: deposits closed two days ago, the balance window open until
  the day after tomorrow; the demo buyer holds a paid deposit and has been told (the
  notice in "我的预售", an email in the mail folder) and can pay the balance;
- **full payment**: a full-payment pre-sale open for a week with a fixed ship date;
- **closed**: its balance window ended yesterday; the demo buyer's deposit was not
  followed by the balance and was forfeited to the shop, less commission, on the ledger.

Everything goes through the pre-sale services with the clock moved back to when it
happened (campaigns created, submitted and approved; deposits paid at the sandbox cashier
with its signed notification; the default's forfeiture), so the books hold real
postings. Without the sandbox gateway (a site on real Alipay) only the campaigns are
written, no money.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from designmall.accounts.models import User
from designmall.catalog.models import Product, ProductStatus, Shop
from designmall.core import clock
from designmall.core.jobs import job_done
from designmall.demo.accounts import DEMO_EMAIL_DOMAIN, OPERATOR_EMAIL, SELLER_EMAIL
from designmall.presale import services
from designmall.presale.models import (
    Campaign,
    CampaignSku,
    Preorder,
    PreorderNotice,
)

BUYER_EMAIL = f"buyer@{DEMO_EMAIL_DOMAIN}"
LIVE_DEPOSITS = 3  # demo bidders' deposits already paid in the live campaign


@contextmanager
def _at(moment: datetime, now: datetime) -> Iterator[None]:
    """The clock moved to ``moment`` (``now`` being the build's now) and back after, by
    offsets, so a clock frozen by the caller (a test) stays as it was."""
    delta = moment - now
    clock.advance(delta)
    try:
        yield
    finally:
        clock.advance(-delta)


def _yuan_round(fen: int) -> int:
    """Down to a whole ten yuan, at least ¥10."""
    return max(1_000, fen // 1_000 * 1_000)


def _sku_line(product: Product, *, deposit: bool, quantity: int) -> dict:
    sku = product.skus.filter(is_active=True).order_by("price_fen", "id").first()
    price = _yuan_round(sku.price_fen * 9 // 10)  # the pre-sale price: 10% off
    line = {"sku": sku.public_id, "price_fen": price, "quantity": quantity}
    if deposit:
        paid = _yuan_round(price // 10)  # 定金: 10% (≤ 20%)
        line.update(deposit_fen=paid, credit_fen=min(paid * 3 // 2, price - 100))
    else:
        line.update(deposit_fen=0, credit_fen=0)
    return line


def _campaign(
    *,
    seller: User,
    operator: User,
    product: Product,
    title: tuple[str, str],
    deposit: bool,
    quantity: int,
    **fields,
) -> Campaign:
    campaign = services.campaign_create(
        by=seller,
        product=product,
        skus=[_sku_line(product, deposit=deposit, quantity=quantity)],
        kind="deposit" if deposit else "full",
        title_zh=title[0],
        title_en=title[1],
        **fields,
    )
    services.campaign_submit(campaign=campaign, by=seller)
    services.campaign_approve(campaign=campaign, by=operator)
    return campaign


def _pay_deposit(preorder: Preorder) -> None:
    """The buyer pays at the sandbox cashier; its signed notification is delivered."""
    from designmall.payments.gateways import sandbox
    from designmall.payments.services import notification_receive

    preorder.refresh_from_db()
    paid = sandbox.sandbox_pay(payment=preorder.deposit_payment)
    if paid.notification is not None:
        notification_receive(params=paid.notification)
        if paid.job_id is not None:
            job_done(job_id=paid.job_id)


def _deposit(buyer: User, campaign: Campaign, *, pay: bool) -> Preorder | None:
    if not pay:
        return None
    row = CampaignSku.objects.filter(campaign=campaign).order_by("id").first()
    preorder = services.preorder_deposit_create(buyer=buyer, campaign_sku=row)
    _pay_deposit(preorder)
    return preorder


def presale_write(*, now: datetime) -> dict[str, int]:
    """Write the four demo pre-sales; returns rows per kind (nothing without the demo
    seller's shop)."""
    seller = User.objects.filter(email=SELLER_EMAIL).first()
    operator = User.objects.filter(email=OPERATOR_EMAIL).first()
    buyer = User.objects.filter(email=BUYER_EMAIL).first()
    shop = Shop.objects.filter(owner=seller).order_by("id").first() if seller else None
    if shop is None or operator is None or buyer is None:
        return {}
    products = list(
        Product.objects.filter(shop=shop, status=ProductStatus.LIVE, skus__is_active=True)
        .distinct()
        .order_by("id")[:4]
    )
    if not products:
        return {}
    pick = [products[i % len(products)] for i in range(4)]
    pay = settings.PAYMENTS_GATEWAY == "sandbox" and settings.PAYMENTS_SANDBOX_ENABLED
    day = timedelta(days=1)
    from designmall.demo.auctions import _bidders

    with transaction.atomic():
        # Closed: deposits 10 to 7 days ago, balance 6 to 1 days ago; the buyer defaulted.
        with _at(now - 10 * day, now):
            closed = _campaign(
                seller=seller,
                operator=operator,
                product=pick[3],
                title=("设计周首发 · 限量版（已结束）", "Design-week first edition (ended)"),
                deposit=True,
                quantity=20,
                starts_at=now - 10 * day,
                ends_at=now - 7 * day,
                balance_starts_at=now - 6 * day,
                balance_ends_at=now - day,
                ship_days_after_end=20,
                per_buyer_limit=1,
            )
            forfeited = _deposit(buyer, closed, pay=pay)
        if forfeited is not None:
            with _at(now - 6 * day + timedelta(minutes=5), now):
                services.preorder_balance_notify(preorder=forfeited)
            with _at(now - day + timedelta(minutes=5), now):
                services.preorder_default(preorder=forfeited)
        # In its balance window: deposits 5 to 2 days ago, balance until the day after tomorrow.
        with _at(now - 5 * day, now):
            balance = _campaign(
                seller=seller,
                operator=operator,
                product=pick[1],
                title=("胡桃木限定款 · 定金预售", "Walnut limited edition · deposit pre-sale"),
                deposit=True,
                quantity=30,
                starts_at=now - 5 * day,
                ends_at=now - 2 * day,
                balance_starts_at=now - day,
                balance_ends_at=now + 2 * day,
                ship_days_after_end=15,
                per_buyer_limit=2,
            )
            held = _deposit(buyer, balance, pay=pay)
        if held is not None:
            services.preorder_balance_notify(preorder=held)
        # Taking deposits now, a few already paid.
        with _at(now - timedelta(hours=6), now):
            live = _campaign(
                seller=seller,
                operator=operator,
                product=pick[0],
                title=("设计周新品 · 定金膨胀预售", "Design-week new piece · boosted deposit"),
                deposit=True,
                quantity=50,
                starts_at=now - timedelta(hours=6),
                ends_at=now + 2 * day,
                balance_starts_at=now + 3 * day,
                balance_ends_at=now + 5 * day,
                ship_days_after_end=30,
                per_buyer_limit=2,
            )
            for bidder in _bidders(now)[:LIVE_DEPOSITS]:
                _deposit(bidder, live, pay=pay)
        # Full payment, a fixed ship date.
        with _at(now - timedelta(hours=6), now):
            _campaign(
                seller=seller,
                operator=operator,
                product=pick[2],
                title=("工作室手作 · 全款预售", "Studio handmade · full-payment pre-sale"),
                deposit=False,
                quantity=40,
                starts_at=now - timedelta(hours=6),
                ends_at=now + 7 * day,
                ship_on=(now + 30 * day).date(),
                per_buyer_limit=1,
            )
    return {
        "presale campaigns": Campaign.objects.count(),
        "pre-orders": Preorder.objects.count(),
    }


def presale_wipe() -> None:
    """Delete every pre-sale with its pre-orders and their money: the payments, their
    refunds, notifications and sandbox trades, and the ledger transactions that name them
    (each whole, so the books still balance). Only a reset of the demo calls this."""
    from designmall.ledger.models import LedgerRef, LedgerTransaction, Posting
    from designmall.payments.models import (
        Overpayment,
        Payment,
        PaymentNotification,
        Refund,
        SandboxTrade,
    )

    preorders = list(Preorder.objects.values_list("public_id", flat=True))
    payments = Payment.objects.filter(
        payable_type__in=[services.DEPOSIT_PAYABLE, services.BALANCE_PAYABLE]
    )
    payment_ids = list(payments.values_list("public_id", flat=True))
    trade_nos = list(payments.values_list("out_trade_no", flat=True))
    refund_ids = list(
        Refund.objects.filter(payment__in=payments).values_list("public_id", flat=True)
    )
    refs = (
        LedgerRef.objects.filter(ref_type="preorder", ref_id__in=preorders)
        | LedgerRef.objects.filter(ref_type="payment", ref_id__in=payment_ids)
        | LedgerRef.objects.filter(ref_type="refund", ref_id__in=refund_ids)
    )
    transactions = list(refs.values_list("transaction_id", flat=True).distinct())
    Posting.objects.filter(transaction_id__in=transactions).delete()
    LedgerRef.objects.filter(transaction_id__in=transactions).delete()
    LedgerTransaction.objects.filter(pk__in=transactions).delete()
    PreorderNotice.objects.all().delete()
    Preorder.objects.all().delete()
    CampaignSku.objects.all().delete()
    Campaign.objects.all().delete()
    Refund.objects.filter(payment__in=payments).delete()
    Overpayment.objects.filter(payment__in=payments).delete()
    PaymentNotification.objects.filter(payment__in=payments).delete()
    SandboxTrade.objects.filter(out_trade_no__in=trade_nos).delete()
    payments.delete()
