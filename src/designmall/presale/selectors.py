"""Pre-sale reads: what the sweepers work on, what sellers have to ship by when (and what is
late), and a check that the counters agree."""

from __future__ import annotations

from datetime import datetime

from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext as _

from designmall.accounts.roles import Role
from designmall.catalog.models import Shop
from designmall.core import clock
from designmall.core.errors import NotFound
from designmall.presale import rules
from designmall.presale.models import (
    HOLDING_STATUSES,
    Campaign,
    CampaignSku,
    CampaignStatus,
    Preorder,
    PreorderNotice,
    PreorderStatus,
)

SWEEP_BATCH = 1_000


def preorders_to_expire(*, now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Pre-orders still waiting for a deposit whose hold ran out by the clock."""
    return list(
        Preorder.objects.filter(status=PreorderStatus.PENDING_DEPOSIT, hold_expires_at__lte=now)
        .order_by("hold_expires_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def preorders_to_notify(*, now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Pre-orders whose deposit is paid, whose balance window is open and whose buyer has
    not been told yet."""
    return list(
        Preorder.objects.filter(
            status=PreorderStatus.DEPOSIT_PAID,
            balance_notified_at__isnull=True,
            campaign__balance_starts_at__lte=now,
            campaign__balance_ends_at__gt=now,
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


def preorders_to_default(*, now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Pre-orders still waiting for their balance after its window closed."""
    return list(
        Preorder.objects.filter(
            status=PreorderStatus.DEPOSIT_PAID, campaign__balance_ends_at__lte=now
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


# --- fulfilment: what to ship by when, and what is late ----------------------------------------


def _waiting_to_ship(now: datetime | None) -> QuerySet[Preorder]:
    """Fully paid pre-orders whose order the seller has not shipped (nor had ready at the
    venue) yet, soonest promised date first, each with ``ship_by`` (the order's promised
    ship date) and ``is_late`` (that date passed by the Beijing calendar)."""
    today = rules.local_date(now or clock.now())
    return (
        Preorder.objects.filter(status=PreorderStatus.FULLY_PAID, order__status="paid")
        .select_related("order", "campaign", "campaign__shop", "campaign_sku__sku", "buyer")
        .annotate(
            ship_by=F("order__promised_ship_by"),
            is_late=Case(
                When(order__promised_ship_by__lt=today, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .order_by("order__promised_ship_by", "id")
    )


def to_ship_for_shop(shop: Shop, *, now: datetime | None = None) -> QuerySet[Preorder]:
    """The seller center's list: the shop's pre-orders to ship, by promised date (each with
    ``ship_by``, ``is_late`` and its ``order``, which the seller ships as any order)."""
    return _waiting_to_ship(now).filter(campaign__shop=shop)


def late_for_operator(*, now: datetime | None = None) -> QuerySet[Preorder]:
    """The back office's list: every shop's pre-orders past their promised ship date and
    still not shipped, the longest overdue first."""
    return _waiting_to_ship(now).filter(is_late=True)


def preorders_late_to_flag(*, now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Late pre-orders (as ``late_for_operator``) whose seller and operators were not told."""
    return list(
        late_for_operator(now=now)
        .filter(late_flagged_at__isnull=True)
        .values_list("pk", flat=True)[:limit]
    )


def cancelled_campaigns_with_open_preorders(*, limit: int = SWEEP_BATCH) -> list[int]:
    """Cancelled campaigns some pre-order of which is still open (it raced the cancel)."""
    open_statuses = (*HOLDING_STATUSES,)
    return list(
        Campaign.objects.filter(
            Q(preorders__order__isnull=True) | Q(preorders__order__status="paid"),
            status=CampaignStatus.CANCELLED,
            preorders__status__in=open_statuses,
        )
        .distinct()
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


# --- the API's reads ---------------------------------------------------------------------------


def _with_rows(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    return campaigns.select_related("shop", "product").prefetch_related("skus__sku")


def campaigns_public(*, now: datetime | None = None) -> QuerySet[Campaign]:
    """Approved campaigns of open shops' live products not yet over (taking deposits or
    full payments, or balances, or about to), the soonest to start first."""
    now = now or clock.now()
    return _with_rows(
        Campaign.objects.filter(
            Q(ends_at__gt=now) | Q(balance_ends_at__gt=now),
            status=CampaignStatus.APPROVED,
            shop__status="approved",
            product__status="live",
        )
    ).order_by("starts_at", "id")


def campaign_public(public_id: str) -> Campaign:
    """An approved campaign by public id (ended ones too); ``NotFound`` for any other."""
    found = _with_rows(
        Campaign.objects.filter(public_id=public_id, status=CampaignStatus.APPROVED)
    ).first()
    if found is None:
        raise NotFound(_("没有找到这个预售活动。"), code="campaign_not_found")
    return found


def campaigns_of_seller(user, *, status: str | None = None) -> QuerySet[Campaign]:
    """The caller's shops' campaigns, newest first."""
    found = Campaign.objects.filter(shop__owner=user)
    if status:
        found = found.filter(status=status)
    return _with_rows(found).order_by("-created_at", "-id")


def campaign_of_seller(user, public_id: str) -> Campaign:
    """One of the caller's shops' campaigns; ``NotFound`` for another's."""
    found = campaigns_of_seller(user).filter(public_id=public_id).first()
    if found is None:
        raise NotFound(_("没有找到这个预售活动。"), code="campaign_not_found")
    return found


def campaigns_for_review(*, status: str | None = None) -> QuerySet[Campaign]:
    """Every campaign (``status=submitted``: those to review), oldest submission first."""
    found = Campaign.objects.all()
    if status:
        found = found.filter(status=status)
    return _with_rows(found).order_by("submitted_at", "id")


def campaign_any(public_id: str) -> Campaign:
    found = _with_rows(Campaign.objects.filter(public_id=public_id)).first()
    if found is None:
        raise NotFound(_("没有找到这个预售活动。"), code="campaign_not_found")
    return found


def _preorder_rows(found: QuerySet[Preorder]) -> QuerySet[Preorder]:
    return found.select_related(
        "campaign",
        "campaign__shop",
        "campaign_sku__sku",
        "deposit_payment",
        "balance_payment",
        "order",
    ).order_by("-created_at", "-id")


def preorders_of_buyer(user, *, status: str | None = None) -> QuerySet[Preorder]:
    found = Preorder.objects.filter(buyer=user)
    if status:
        found = found.filter(status=status)
    return _preorder_rows(found)


def preorder_visible_to(user, public_id: str) -> Preorder:
    """A pre-order its buyer, its campaign's seller or an operator may see; ``NotFound``
    for anyone else."""
    found = _preorder_rows(Preorder.objects.filter(public_id=public_id)).first()
    is_operator = user.is_superuser or user.has_role(Role.OPERATOR)
    if found is None or not (
        is_operator or found.buyer_id == user.pk or found.campaign.shop.owner_id == user.pk
    ):
        raise NotFound(_("没有找到这个预售订单。"), code="preorder_not_found")
    return found


def preorders_of_campaign(campaign: Campaign, *, status: str | None = None) -> QuerySet[Preorder]:
    found = Preorder.objects.filter(campaign=campaign)
    if status:
        found = found.filter(status=status)
    return _preorder_rows(found)


def preorders_all(*, status: str | None = None) -> QuerySet[Preorder]:
    found = Preorder.objects.all()
    if status:
        found = found.filter(status=status)
    return _preorder_rows(found)


def campaign_skus_verify() -> list[str]:
    """Every campaign SKU whose ``taken`` differs from its pre-orders holding a unit (waiting
    for their deposit, or paid); empty when all agree."""
    rows = CampaignSku.objects.annotate(
        holding=Count("preorders", filter=Q(preorders__status__in=HOLDING_STATUSES))
    ).values_list("pk", "taken", "holding", "quantity")
    return [
        f"campaign SKU {pk}: taken {taken}, pre-orders holding {holding}, quantity {quantity}"
        for pk, taken, holding, quantity in rows
        if taken != holding or taken > quantity
    ]


# --- what the pages show -----------------------------------------------------------------


class Phase:
    """Where a campaign stands by the clock (``campaign_phase``)."""

    UPCOMING = "upcoming"  # approved, its first window not open yet
    DEPOSIT = "deposit"  # taking deposits (or, full payment, taking pre-orders)
    WAITING = "waiting"  # deposits closed, the balance window not open yet
    BALANCE = "balance"  # taking balances
    CLOSED = "closed"


def campaign_phase(campaign: Campaign, now: datetime) -> str:
    if campaign.status != CampaignStatus.APPROVED:
        return Phase.CLOSED
    if now < campaign.starts_at:
        return Phase.UPCOMING
    if now < campaign.ends_at:
        return Phase.DEPOSIT
    if campaign.balance_starts_at is None or campaign.balance_ends_at is None:
        return Phase.CLOSED
    if now < campaign.balance_starts_at:
        return Phase.WAITING
    if now < campaign.balance_ends_at:
        return Phase.BALANCE
    return Phase.CLOSED


def campaign_on_product_page(*, product_id: int, now: datetime) -> Campaign | None:
    """The approved campaign of the product a buyer sees on its page: the one taking
    deposits (or pre-orders) now, else the next to open, else one in its balance window;
    with its SKUs. ``None`` when there is none."""
    rows = list(
        Campaign.objects.filter(product_id=product_id, status=CampaignStatus.APPROVED)
        .filter(Q(ends_at__gt=now) | Q(balance_ends_at__gt=now))
        .prefetch_related("skus__sku")
        .order_by("starts_at", "id")[:5]
    )
    for wanted in (Phase.DEPOSIT, Phase.UPCOMING, Phase.WAITING, Phase.BALANCE):
        for campaign in rows:
            if campaign_phase(campaign, now) == wanted:
                return campaign
    return None


def buyer_preorders(*, buyer_id: int, limit: int = 100) -> list[Preorder]:
    """The buyer's pre-orders, newest first, with what their page shows."""
    return list(
        Preorder.objects.filter(buyer_id=buyer_id)
        .select_related(
            "campaign",
            "campaign__shop",
            "campaign__product",
            "campaign_sku__sku",
            "balance_payment",
        )
        .order_by("-created_at", "-id")[:limit]
    )


def balances_payable_with_cart(*, buyer_id: int, now: datetime) -> list[Preorder]:
    """The buyer's pre-orders whose balance may be paid now with the cart
    (``cart_balance``): deposit paid, window open by the clock, campaign live, and not held
    by another checkout's pending payment."""
    held = Q(
        balance_payment__status="pending",
        balance_payment__expires_at__gt=now,
        balance_payment__payable_type="presale.checkout",
    )
    return list(
        Preorder.objects.filter(
            buyer_id=buyer_id,
            status=PreorderStatus.DEPOSIT_PAID,
            campaign__status=CampaignStatus.APPROVED,
            campaign__balance_starts_at__lte=now,
            campaign__balance_ends_at__gt=now,
        )
        .exclude(held)
        .select_related("campaign", "campaign_sku__sku")
        .order_by("campaign__balance_ends_at", "id")[:10]
    )


def checkout_balances(payment) -> list[tuple[str, int]]:
    """``(pre-order public id, balance fen)`` of each pre-order whose balance ``payment`` (a
    cart checkout's, ``cart_balance``) pays."""
    return list(
        Preorder.objects.filter(balance_payment_id=payment.pk)
        .order_by("id")
        .annotate(due=F("balance_fen") - F("balance_discount_fen"))
        .values_list("public_id", "due")
    )


def buyer_notices(*, buyer_id: int, limit: int = 20) -> list[PreorderNotice]:
    return list(
        PreorderNotice.objects.filter(buyer_id=buyer_id)
        .select_related("preorder__campaign")
        .order_by("-created_at", "-id")[:limit]
    )


def seller_campaigns(*, shop_id: int) -> list[Campaign]:
    """The shop's campaigns, newest first, with their pre-orders counted by state."""
    counts = {
        f"n_{status}": Count("preorders", filter=Q(preorders__status=status), distinct=True)
        for status in PreorderStatus.values
    }
    return list(
        Campaign.objects.filter(shop_id=shop_id)
        .select_related("product")
        .annotate(**counts)
        .order_by("-created_at", "-id")
    )


def campaign_of_shop(*, shop_id: int, public_id: str) -> Campaign | None:
    return (
        Campaign.objects.filter(shop_id=shop_id, public_id=public_id)
        .select_related("product", "shop")
        .prefetch_related("skus__sku")
        .first()
    )


def campaign_preorders(*, campaign_id: int, limit: int = 500) -> list[Preorder]:
    return list(
        Preorder.objects.filter(campaign_id=campaign_id)
        .select_related("buyer", "campaign_sku__sku")
        .order_by("-created_at", "-id")[:limit]
    )


def campaign_figures(*, campaign_id: int) -> dict[str, int]:
    """What the seller sees of a campaign's money: deposits paid (held, applied or
    forfeited), balances paid, defaults and what they forfeited, pre-orders waiting."""
    rows = Preorder.objects.filter(campaign_id=campaign_id)
    paid = Q(deposit_paid_at__isnull=False)
    figures = rows.aggregate(
        deposits=Count("pk", filter=paid),
        deposits_fen=Sum("deposit_fen", filter=paid),
        waiting=Count("pk", filter=Q(status=PreorderStatus.PENDING_DEPOSIT)),
        held=Count("pk", filter=Q(status=PreorderStatus.DEPOSIT_PAID)),
        balances=Count("pk", filter=Q(status=PreorderStatus.FULLY_PAID)),
        balances_fen=Sum("balance_fen", filter=Q(status=PreorderStatus.FULLY_PAID)),
        defaults=Count("pk", filter=Q(status=PreorderStatus.DEFAULTED)),
        forfeited_fen=Sum("deposit_fen", filter=Q(status=PreorderStatus.DEFAULTED, earnest=True)),
        cancelled=Count("pk", filter=Q(status=PreorderStatus.CANCELLED)),
    )
    return {name: value or 0 for name, value in figures.items()}


def campaigns_listed(*, now: datetime, limit: int = 60) -> list[Campaign]:
    """Approved campaigns a buyer can still act on (taking pre-orders, about to, or taking
    balances), soonest to close first, with their products, shops and SKUs."""
    return list(
        Campaign.objects.filter(status=CampaignStatus.APPROVED)
        .filter(Q(ends_at__gt=now) | Q(balance_ends_at__gt=now))
        .select_related("product", "shop")
        .prefetch_related("skus")
        .order_by("ends_at", "id")[:limit]
    )


def product_ids_on_presale(*, now: datetime) -> list[int]:
    """The products with an approved campaign not yet over (upcoming, taking pre-orders,
    or taking balances): the product page asks for its campaign only when it is one."""
    return list(
        Campaign.objects.filter(status=CampaignStatus.APPROVED)
        .filter(Q(ends_at__gt=now) | Q(balance_ends_at__gt=now))
        .values_list("product_id", flat=True)
        .distinct()
    )
