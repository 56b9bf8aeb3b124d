"""Auction sales, their lots, every bid, the public bid log, bidder deposits, watch lists,
second-chance offers and the checkouts of lots won.

Rows change only through the services (``services``, ``deposits``, ``settlement``) and
the payable handlers (``payables``); the admin and the demo call those. A lot keeps a
denormalised snapshot of the pure engine's state (price, leader, runner-up, bid count,
the moving end, an outcome once the engine closed it), written in the transaction that
changes it under the lot's row lock; whatever it holds equals a replay of the lot's
accepted, unretracted bids through ``engine.replay`` (``selectors.lot_verify`` checks).
Money is integer fen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from designmall.core.bilingual import bilingual
from designmall.core.fields import PublicIdField, SafeImageField
from designmall.core.money import format_fen


def default_soft_close_minutes() -> int:
    return settings.AUCTION_SOFT_CLOSE_MINUTES


class IncrementTable(models.Model):
    """An operator-editable table of bid increments by price band.

    ``bands`` is ``increments.IncrementTable.to_data()``: ``[{"from_fen", "step_fen"}, ...]``,
    validated through ``increments.IncrementTable.from_data`` before it is saved. One table
    is the default, used for lots that name none.
    """

    name = models.CharField(_("名称"), max_length=60, unique=True)
    bands = models.JSONField(_("加价幅度"))
    is_default = models.BooleanField(_("默认"), default=False)
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("加价幅度表")
        verbose_name_plural = _("加价幅度表")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="auction_one_default_increment_table",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AuctionSale(models.Model):
    """A sale groups lots (e.g. the Design Week Evening Sale). With ``stagger_seconds`` its
    lots close in turn, by lot number, that many seconds apart from ``ends_at``."""

    public_id = PublicIdField(prefix="as")
    title = bilingual(
        models.CharField, _("中文标题"), _("英文标题"), max_length=120, en_max_length=160
    )
    description = bilingual(models.TextField, _("中文介绍"), _("英文介绍"), blank=True)
    cover = SafeImageField(_("封面"), upload_to="auctions/sales/", blank=True)
    starts_at = models.DateTimeField(_("开拍时间"))
    ends_at = models.DateTimeField(_("首件截拍时间"))
    stagger_seconds = models.PositiveIntegerField(_("逐件截拍间隔（秒）"), default=0)
    # A deposit for the whole sale (0: none offered; lots may still ask for their own).
    deposit_fen = models.BigIntegerField(_("专场保证金（分）"), default=0)
    is_published = models.BooleanField(_("已发布"), default=False)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("拍卖专场")
        verbose_name_plural = _("拍卖专场")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="auction_sale_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(deposit_fen__gte=0), name="auction_sale_deposit_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LotStatus(models.TextChoices):
    """Where a lot is once the clock closed it; before that it is ``active`` and its phase
    (scheduled, open, closed) comes from the clock (``selectors.lot_phase``)."""

    ACTIVE = "active", _("拍卖中")
    AWAITING_PAYMENT = "awaiting_payment", _("待买家付款")
    SECOND_CHANCE = "second_chance", _("次高出价者优先购买中")
    PAID = "paid", _("已成交")
    UNSOLD = "unsold", _("流拍")


FINAL_STATUSES = (LotStatus.PAID, LotStatus.UNSOLD)


class LotOutcome(models.TextChoices):
    """How the engine closed the lot (``engine.OutcomeReason``)."""

    HIGHEST_BID = "highest_bid", _("最高出价成交")
    BOUGHT_NOW = "bought_now", _("一口价成交")
    NO_BIDS = "no_bids", _("无人出价")
    RESERVE_NOT_MET = "reserve_not_met", _("未达保留价")


class SettlementNote(models.TextChoices):
    """What happened after the engine sold the lot, when the sale fell through."""

    WINNER_DEFAULTED = "winner_defaulted", _("得标者逾期未付款")
    SECOND_CHANCE_DECLINED = "second_chance_declined", _("次高出价者放弃购买")
    SECOND_CHANCE_LAPSED = "second_chance_lapsed", _("次高出价者逾期未付款")


class Lot(models.Model):
    public_id = PublicIdField(prefix="lot")
    sale = models.ForeignKey(
        AuctionSale, on_delete=models.PROTECT, related_name="lots", verbose_name=_("专场")
    )
    number = models.PositiveIntegerField(_("拍品编号"))
    title = bilingual(
        models.CharField, _("中文标题"), _("英文标题"), max_length=120, en_max_length=160
    )
    description = bilingual(models.TextField, _("中文描述"), _("英文描述"), blank=True)
    designer = models.ForeignKey(
        "catalog.Designer", on_delete=models.PROTECT, related_name="lots", verbose_name=_("设计师")
    )
    shop = models.ForeignKey(
        "catalog.Shop", on_delete=models.PROTECT, related_name="lots", verbose_name=_("委托店铺")
    )
    product = models.ForeignKey(
        "catalog.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lots",
        verbose_name=_("关联商品"),
    )
    # The SKU the winner's order line names (an inactive one made for the lot on first use).
    sku = models.ForeignKey(
        "catalog.Sku",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("SKU"),
    )
    estimate_low_fen = models.BigIntegerField(_("估价下限（分）"), null=True, blank=True)
    estimate_high_fen = models.BigIntegerField(_("估价上限（分）"), null=True, blank=True)
    start_price_fen = models.BigIntegerField(_("起拍价（分）"))
    reserve_fen = models.BigIntegerField(_("保留价（分）"), null=True, blank=True)
    buy_now_fen = models.BigIntegerField(_("一口价（分）"), null=True, blank=True)
    deposit_fen = models.BigIntegerField(_("竞拍保证金（分）"), default=0)
    starts_at = models.DateTimeField(_("开拍时间"))
    scheduled_end_at = models.DateTimeField(_("预定截拍时间"))
    hard_stop_at = models.DateTimeField(_("最晚截拍时间"), null=True, blank=True)
    soft_close_minutes = models.PositiveIntegerField(
        _("延时周期（分钟）"), default=default_soft_close_minutes
    )
    increment_table = models.ForeignKey(
        IncrementTable,
        on_delete=models.PROTECT,
        related_name="lots",
        verbose_name=_("加价幅度表"),
    )
    # This lot's own bands (``IncrementTable.to_data()`` form), instead of the table's.
    increments_override = models.JSONField(_("本拍品加价幅度"), null=True, blank=True)

    # -- the engine's state (a snapshot, written under the lot's lock) ----------------------
    ends_at = models.DateTimeField(_("截拍时间"))  # moves with the soft close
    price_fen = models.BigIntegerField(_("当前价（分）"), null=True, blank=True)
    bid_count = models.PositiveIntegerField(_("出价次数"), default=0)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("领先者"),
    )
    leader_max_fen = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("领先者最高出价（分）")
    )
    leader_seq = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("领先出价序号"))
    leader_placed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("领先出价时间"))
    runner_up = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("次高出价者"),
    )
    runner_up_max_fen = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("次高者最高出价（分）")
    )
    runner_up_seq = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("次高出价序号")
    )
    runner_up_placed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("次高出价时间")
    )
    # The sequence number of the last bid recorded under the lock (accepted or refused).
    bid_sequence = models.PositiveIntegerField(default=0, verbose_name=_("出价序号"))
    # How many lines the public bid log (``BidStep``) has.
    step_count = models.PositiveIntegerField(default=0, verbose_name=_("价格变动次数"))
    # Bumped with every change a watcher should see (for polling and live fan-out).
    version = models.PositiveIntegerField(default=0, verbose_name=_("版本"))

    # -- the outcome -----------------------------------------------------------------------
    status = models.CharField(
        _("状态"), max_length=20, choices=LotStatus.choices, default=LotStatus.ACTIVE
    )
    outcome = models.CharField(_("结果"), max_length=24, choices=LotOutcome.choices, blank=True)
    settlement_note = models.CharField(
        _("结算说明"), max_length=24, choices=SettlementNote.choices, blank=True
    )
    closed_at = models.DateTimeField(_("结拍时间"), null=True, blank=True)
    winner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("得标者"),
    )
    hammer_fen = models.BigIntegerField(_("落槌价（分）"), null=True, blank=True)
    finalized_at = models.DateTimeField(_("结算时间"), null=True, blank=True)
    payment_due_at = models.DateTimeField(_("付款截止时间"), null=True, blank=True)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("买家"),
    )
    sold_fen = models.BigIntegerField(_("成交价（分）"), null=True, blank=True)
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("拍品")
        verbose_name_plural = _("拍品")
        ordering = ["sale_id", "number", "id"]
        permissions = [("retract_bid", "Can retract bids (with a reason)")]
        indexes = [
            models.Index(fields=["status", "ends_at"], name="auction_lot_status_end"),
            models.Index(fields=["status", "payment_due_at"], name="auction_lot_status_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["sale", "number"], name="auction_lot_number_per_sale"),
            models.CheckConstraint(
                condition=Q(start_price_fen__gt=0), name="auction_lot_start_positive"
            ),
            models.CheckConstraint(
                condition=Q(reserve_fen__isnull=True) | Q(reserve_fen__gte=F("start_price_fen")),
                name="auction_lot_reserve_not_below_start",
            ),
            models.CheckConstraint(
                condition=Q(buy_now_fen__isnull=True) | Q(buy_now_fen__gt=F("start_price_fen")),
                name="auction_lot_buy_now_above_start",
            ),
            models.CheckConstraint(
                condition=Q(deposit_fen__gte=0) & Q(deposit_fen__lt=F("start_price_fen")),
                name="auction_lot_deposit_below_start",
            ),
            models.CheckConstraint(
                condition=Q(scheduled_end_at__gt=F("starts_at")),
                name="auction_lot_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("scheduled_end_at")),
                name="auction_lot_end_never_before_schedule",
            ),
            models.CheckConstraint(
                condition=Q(hard_stop_at__isnull=True) | Q(hard_stop_at__gte=F("scheduled_end_at")),
                name="auction_lot_hard_stop_after_end",
            ),
            models.CheckConstraint(
                condition=Q(price_fen__isnull=True) | Q(price_fen__lte=F("leader_max_fen")),
                name="auction_lot_price_within_leader_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def price_display(self) -> str:
        return format_fen(self.price_fen if self.price_fen is not None else self.start_price_fen)

    @property
    def extended(self) -> bool:
        return self.ends_at > self.scheduled_end_at


class LotImage(models.Model):
    public_id = PublicIdField(prefix="li")
    lot = models.ForeignKey(
        Lot, on_delete=models.CASCADE, related_name="images", verbose_name=_("拍品")
    )
    image = SafeImageField(_("图片"), upload_to="auctions/lots/%Y/%m/")
    alt = models.CharField(_("说明"), max_length=120, blank=True)
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("拍品图片")
        verbose_name_plural = _("拍品图片")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt or self.image.name


class BidSource(models.TextChoices):
    WEB = "web", _("网页")
    API = "api", _("接口")
    APP = "app", _("移动应用")
    SIMULATED = "simulated", _("演示模拟")


class Bid(models.Model):
    """Every bid as it came: who, how much, when (server time, taken inside the lot's
    lock), from where, and whether it was accepted (or why not). Refusals before the
    lock (the seller's own lot, no deposit) are recorded too, without a sequence."""

    public_id = PublicIdField(prefix="bid")
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="bids", verbose_name=_("拍品")
    )
    bidder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="auction_bids",
        verbose_name=_("出价人"),
    )
    # The lot's lock order: the order the engine applied the bids in.
    sequence = models.PositiveIntegerField(_("序号"), null=True, blank=True)
    max_fen = models.BigIntegerField(_("最高出价（分）"))
    buy_now = models.BooleanField(_("一口价"), default=False)
    placed_at = models.DateTimeField(_("出价时间"))
    source = models.CharField(_("来源"), max_length=16, choices=BidSource.choices)
    client_ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    accepted = models.BooleanField(_("已接受"))
    refusal = models.CharField(_("拒绝原因"), max_length=40, blank=True)
    minimum_fen = models.BigIntegerField(_("当时最低出价（分）"), null=True, blank=True)
    retracted = models.BooleanField(_("已撤销"), default=False)
    retracted_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    retracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("撤销人"),
    )
    retraction_reason = models.CharField(_("撤销原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("出价")
        verbose_name_plural = _("出价")
        ordering = ["lot_id", "sequence", "id"]
        indexes = [
            models.Index(fields=["bidder", "-placed_at"], name="auction_bid_bidder_newest"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["lot", "sequence"], name="auction_bid_sequence_once"),
            models.CheckConstraint(condition=Q(max_fen__gt=0), name="auction_bid_amount_positive"),
            models.CheckConstraint(
                condition=Q(accepted=True, refusal="") | Q(accepted=False) & ~Q(refusal=""),
                name="auction_bid_accepted_or_refused",
            ),
            models.CheckConstraint(
                condition=Q(retracted=False) | Q(accepted=True),
                name="auction_bid_only_accepted_retracted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {format_fen(self.max_fen)}"


class BidStep(models.Model):
    """One line of the public bid log (the engine's ``Step``); rewritten on a retraction."""

    lot = models.ForeignKey(
        Lot, on_delete=models.CASCADE, related_name="steps", verbose_name=_("拍品")
    )
    position = models.PositiveIntegerField(_("序号"))
    bidder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("竞拍人"),
    )
    amount_fen = models.BigIntegerField(_("金额（分）"))
    automatic = models.BooleanField(_("代理出价"))
    bid_sequence = models.PositiveIntegerField(_("出价序号"))
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("竞价记录")
        verbose_name_plural = _("竞价记录")
        ordering = ["lot_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "position"], name="auction_step_position_once"),
        ]

    def __str__(self) -> str:
        return f"{self.position}: {format_fen(self.amount_fen)}"


class DepositStatus(models.TextChoices):
    PENDING = "pending", _("待支付")
    PAID = "paid", _("已缴纳")
    RELEASING = "releasing", _("退还中")
    RELEASED = "released", _("已退还")
    APPLIED = "applied", _("已抵扣成交价")
    FORFEITED = "forfeited", _("已没收")
    EXPIRED = "expired", _("已失效")


class Deposit(models.Model):
    """A bidder's deposit for one lot or for a whole sale, paid through payments (payable
    type ``auction_deposit``). Held (``paid``) until the lot or the sale is over: then it
    is released (refunded), counts toward the price of the lot its holder won
    (``credited_lot``: ``applied`` once paid for), or is forfeited by a winner who did not
    pay."""

    public_id = PublicIdField(prefix="dep")
    bidder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="auction_deposits",
        verbose_name=_("竞拍者"),
    )
    lot = models.ForeignKey(
        Lot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deposits",
        verbose_name=_("拍品"),
    )
    sale = models.ForeignKey(
        AuctionSale,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deposits",
        verbose_name=_("专场"),
    )
    amount_fen = models.BigIntegerField(_("金额（分）"))
    payment = models.OneToOneField(
        "payments.Payment", on_delete=models.PROTECT, related_name="+", verbose_name=_("支付")
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=DepositStatus.choices, default=DepositStatus.PENDING
    )
    # The lot whose price it counts toward: its holder won it.
    credited_lot = models.ForeignKey(
        Lot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("抵扣拍品"),
    )
    applied_fen = models.BigIntegerField(_("已抵扣（分）"), default=0)
    release_refund = models.ForeignKey(
        "payments.Refund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("退还"),
    )
    created_at = models.DateTimeField(_("创建时间"))
    paid_at = models.DateTimeField(_("缴纳时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("了结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("竞拍保证金")
        verbose_name_plural = _("竞拍保证金")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "lot"], name="auction_deposit_status_lot")]
        constraints = [
            models.CheckConstraint(
                condition=Q(lot__isnull=False, sale__isnull=True)
                | Q(lot__isnull=True, sale__isnull=False),
                name="auction_deposit_for_lot_or_sale",
            ),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="auction_deposit_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(applied_fen__gte=0) & Q(applied_fen__lte=F("amount_fen")),
                name="auction_deposit_applied_within_amount",
            ),
            models.UniqueConstraint(
                fields=["bidder", "lot"],
                condition=Q(status="paid", lot__isnull=False),
                name="auction_deposit_one_held_per_lot",
            ),
            models.UniqueConstraint(
                fields=["bidder", "sale"],
                condition=Q(status="paid", sale__isnull=False),
                name="auction_deposit_one_held_per_sale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {format_fen(self.amount_fen)}"

    @property
    def amount_display(self) -> str:
        return format_fen(self.amount_fen)


class Watch(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="auction_watches",
        verbose_name=_("用户"),
    )
    lot = models.ForeignKey(
        Lot, on_delete=models.CASCADE, related_name="watches", verbose_name=_("拍品")
    )
    created_at = models.DateTimeField(_("关注时间"))

    class Meta:
        verbose_name = _("关注")
        verbose_name_plural = _("关注")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "lot"], name="auction_watch_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.lot_id}"


class OfferStatus(models.TextChoices):
    OPEN = "open", _("待接受")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已放弃")
    LAPSED = "lapsed", _("已过期")


class SecondChanceOffer(models.Model):
    """The lot offered to the runner-up at their own maximum after the winner defaulted;
    taken up by paying within ``expires_at``."""

    public_id = PublicIdField(prefix="sco")
    lot = models.OneToOneField(
        Lot, on_delete=models.PROTECT, related_name="second_chance", verbose_name=_("拍品")
    )
    bidder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="auction_offers",
        verbose_name=_("次高出价者"),
    )
    amount_fen = models.BigIntegerField(_("价格（分）"))
    status = models.CharField(
        _("状态"), max_length=16, choices=OfferStatus.choices, default=OfferStatus.OPEN
    )
    offered_at = models.DateTimeField(_("发出时间"))
    expires_at = models.DateTimeField(_("截止时间"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("次高价优先购买")
        verbose_name_plural = _("次高价优先购买")
        ordering = ["-offered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="auction_offer_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {format_fen(self.amount_fen)}"


class CheckoutKind(models.TextChoices):
    WINNER = "winner", _("得标者")
    SECOND_CHANCE = "second_chance", _("次高出价者")


class LotCheckout(models.Model):
    """A checkout (orders) for a lot won: one per attempt to pay; the payment is of the
    payable type ``auction_checkout`` and its ``payable_id`` the checkout's public id."""

    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="checkouts", verbose_name=_("拍品")
    )
    checkout = models.OneToOneField(
        "orders.Checkout", on_delete=models.PROTECT, related_name="+", verbose_name=_("结算单")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("买家")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=CheckoutKind.choices)
    price_fen = models.BigIntegerField(_("成交价（分）"))
    deposit = models.ForeignKey(
        Deposit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("抵扣的保证金"),
    )
    deposit_credit_fen = models.BigIntegerField(_("保证金抵扣（分）"), default=0)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("拍品结算")
        verbose_name_plural = _("拍品结算")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deposit_credit_fen__gte=0) & Q(deposit_credit_fen__lt=F("price_fen")),
                name="auction_checkout_credit_below_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id}: {self.checkout_id}"
