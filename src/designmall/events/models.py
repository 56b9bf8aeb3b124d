"""The design week's programme (venues, halls, events, sessions), the seats visitors
reserve, the waiting lists, the tickets and the keys they are signed with.

Rows change only through ``events.services`` and ``events.programme`` (the admin
calls those). A session's seat counters are columns kept by one conditional
``UPDATE`` each: ``confirmed`` counts the seats of confirmed reservations,
``held`` those of reservations waiting for payment and of waiting-list offers;
CHECK constraints keep ``confirmed + held <= capacity`` and both at least 0, so
a bug or a race fails a statement instead of overselling.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from designmall.core.bilingual import bilingual
from designmall.core.fields import PublicIdField, SafeImageField
from designmall.core.money import format_fen
from designmall.events import rules
from designmall.events.ticketsign import SESSION_PREFIX, TICKET_PREFIX


class DesignWeek(models.Model):
    """The dates of the design week when ``DESIGN_WEEK_START`` does not set them: one row,
    written when the demo data is built (placed around that day) or on first use, so the
    web server, the worker and every later start agree. ``events.week`` reads it."""

    starts_on = models.DateField(_("首日"))
    days = models.PositiveSmallIntegerField(_("天数"))
    placed_at = models.DateTimeField(_("安排时间"))

    class Meta:
        verbose_name = _("设计周日期")
        verbose_name_plural = _("设计周日期")
        constraints = [models.CheckConstraint(condition=Q(days__gte=1), name="design_week_days")]

    def __str__(self) -> str:
        return f"{self.starts_on} +{self.days}"


class Venue(models.Model):
    public_id = PublicIdField(prefix="vn")
    name = bilingual(models.CharField, _("中文名"), _("英文名"), max_length=100)
    address = bilingual(models.CharField, _("中文地址"), _("英文地址"), max_length=200)
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("场馆")
        verbose_name_plural = _("场馆")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Hall(models.Model):
    public_id = PublicIdField(prefix="hl")
    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, related_name="halls", verbose_name=_("场馆")
    )
    name = bilingual(models.CharField, _("中文名"), _("英文名"), max_length=100)
    capacity = models.PositiveIntegerField(_("容量"))

    class Meta:
        verbose_name = _("展厅")
        verbose_name_plural = _("展厅")
        ordering = ["venue_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="hall_capacity_positive"),
            models.UniqueConstraint(fields=["venue", "name_zh"], name="hall_name_once_per_venue"),
        ]

    def __str__(self) -> str:
        return f"{self.venue.name} · {self.name}"


class EventKind(models.TextChoices):
    EXHIBITION = "exhibition", _("展览")
    SHOW = "show", _("演出")
    LECTURE = "lecture", _("讲座")
    WORKSHOP = "workshop", _("工作坊")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    CANCELLED = "cancelled", _("已取消")


class Event(models.Model):
    public_id = PublicIdField(prefix="ev")
    kind = models.CharField(_("类型"), max_length=16, choices=EventKind.choices)
    title = bilingual(
        models.CharField, _("中文标题"), _("英文标题"), max_length=120, en_max_length=160
    )
    description = bilingual(models.TextField, _("中文介绍"), _("英文介绍"), blank=True)
    speakers = models.ManyToManyField(
        "catalog.Designer", blank=True, related_name="events", verbose_name=_("主讲/参展设计师")
    )
    cover = SafeImageField(_("封面"), upload_to="events/", blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=EventStatus.choices, default=EventStatus.DRAFT
    )
    created_at = models.DateTimeField(_("创建时间"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "kind"], name="event_status_kind")]

    def __str__(self) -> str:
        return self.title


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("已排期")
    CANCELLED = "cancelled", _("已取消")


class Session(models.Model):
    """One sitting of an event in a hall: a lecture's evening, an exhibition's entry hour."""

    public_id = PublicIdField(prefix=SESSION_PREFIX)
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("活动")
    )
    hall = models.ForeignKey(
        Hall, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("展厅")
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("座位数"))
    # 0: free, confirmed at once; else paid for within EVENT_HOLD_MINUTES.
    price_fen = models.BigIntegerField(_("票价（分）"), default=0)
    reservation_opens_at = models.DateTimeField(_("开放预约时间"))
    reservation_closes_at = models.DateTimeField(_("截止预约时间"))
    per_user_limit = models.PositiveSmallIntegerField(_("每人限约座位数"), default=2)
    # Visitors who cancel strictly before this get a full refund; from then on none.
    cancel_until = models.DateTimeField(_("免费退票截止时间"))
    status = models.CharField(
        _("状态"), max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    confirmed = models.IntegerField(_("已确认座位"), default=0)
    held = models.IntegerField(_("保留中座位"), default=0)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("场次")
        verbose_name_plural = _("场次")
        ordering = ["starts_at", "id"]
        permissions = [("cancel_session", _("可以取消场次（全额退款并通知观众）"))]
        indexes = [
            models.Index(fields=["starts_at"], name="session_starts"),
            models.Index(fields=["event", "starts_at"], name="session_event_starts"),
            models.Index(fields=["hall", "starts_at"], name="session_hall_starts"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="session_capacity_positive"),
            models.CheckConstraint(condition=Q(confirmed__gte=0), name="session_confirmed_gte_0"),
            models.CheckConstraint(condition=Q(held__gte=0), name="session_held_gte_0"),
            models.CheckConstraint(
                condition=Q(capacity__gte=F("confirmed") + F("held")),
                name="session_seats_within_capacity",
            ),
            models.CheckConstraint(condition=Q(price_fen__gte=0), name="session_price_gte_0"),
            models.CheckConstraint(
                condition=Q(per_user_limit__gte=1), name="session_per_user_limit_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(reservation_closes_at__gt=F("reservation_opens_at"))
                & Q(reservation_closes_at__lte=F("ends_at")),
                name="session_reservation_window",
            ),
            models.CheckConstraint(
                condition=Q(cancel_until__lte=F("starts_at")),
                name="session_cancel_until_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.title} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_free(self) -> bool:
        return self.price_fen == 0

    @property
    def seats_left(self) -> int:
        """As of when the row was read: ``selectors.session_seats`` reads it live."""
        return rules.seats_left(capacity=self.capacity, confirmed=self.confirmed, held=self.held)

    @property
    def price_display(self) -> str:
        return format_fen(self.price_fen) if self.price_fen else _("免费")


class ReservationStatus(models.TextChoices):
    PENDING_PAYMENT = rules.Reservation.PENDING_PAYMENT.value, _("待支付")
    CONFIRMED = rules.Reservation.CONFIRMED.value, _("已确认")
    CANCELLED = rules.Reservation.CANCELLED.value, _("已取消")
    EXPIRED = rules.Reservation.EXPIRED.value, _("已过期")


class Reservation(models.Model):
    """Seats of one session for one visitor: held until paid (or confirmed at once when
    free), then one ticket per seat."""

    public_id = PublicIdField(prefix="rsv")
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("场次")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="event_reservations",
        verbose_name=_("观众"),
    )
    seats = models.PositiveSmallIntegerField(_("座位数"))
    unit_price_fen = models.BigIntegerField(_("单价（分）"))
    amount_fen = models.BigIntegerField(_("金额（分）"))
    status = models.CharField(_("状态"), max_length=20, choices=ReservationStatus.choices)
    payment = models.OneToOneField(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("支付"),
    )
    # Until when the seats are held for payment (pending reservations only).
    hold_expires_at = models.DateTimeField(_("保留至"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("取消人"),
    )
    # Cancelled because the session was called off (always refunded in full).
    by_operator = models.BooleanField(_("主办方取消"), default=False)
    cancel_reason = models.CharField(_("取消原因"), max_length=500, blank=True)
    refund_fen = models.BigIntegerField(_("应退金额（分）"), default=0)
    refunded_fen = models.BigIntegerField(_("已退金额（分）"), default=0)
    # Ticket money recognised as revenue once the session is over.
    released_fen = models.BigIntegerField(_("已确认收入（分）"), default=0)
    released_at = models.DateTimeField(_("收入确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["session", "status"], name="reservation_session_status"),
            models.Index(fields=["user", "session"], name="reservation_user_session"),
            models.Index(
                fields=["hold_expires_at"],
                name="reservation_pending_hold",
                condition=Q(status=rules.Reservation.PENDING_PAYMENT.value),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gt=0), name="reservation_seats_positive"),
            models.CheckConstraint(
                condition=Q(amount_fen=F("seats") * F("unit_price_fen")) & Q(unit_price_fen__gte=0),
                name="reservation_amount_is_seats_times_price",
            ),
            models.CheckConstraint(
                condition=~Q(status=rules.Reservation.PENDING_PAYMENT.value)
                | Q(hold_expires_at__isnull=False, payment__isnull=False),
                name="reservation_pending_has_hold_and_payment",
            ),
            models.CheckConstraint(
                condition=Q(refunded_fen__gte=0)
                & Q(refund_fen__gte=0)
                & Q(refund_fen__lte=F("amount_fen"))
                & Q(refunded_fen__lte=F("refund_fen")),
                name="reservation_refunds_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} × {self.seats} ({self.status})"

    @property
    def amount_display(self) -> str:
        return format_fen(self.amount_fen) if self.amount_fen else _("免费")


class WaitlistStatus(models.TextChoices):
    WAITING = rules.Waitlist.WAITING.value, _("排队中")
    OFFERED = rules.Waitlist.OFFERED.value, _("待领取")
    CLAIMED = rules.Waitlist.CLAIMED.value, _("已领取")
    LEFT = rules.Waitlist.LEFT.value, _("已退出")
    LAPSED = rules.Waitlist.LAPSED.value, _("邀请已过期")
    CANCELLED = rules.Waitlist.CANCELLED.value, _("场次已取消")


_OPEN_WAITLIST = sorted(s.value for s in rules.OPEN_WAITLIST)  # sorted: stable migrations


class WaitlistEntry(models.Model):
    """A visitor waiting for ``seats`` of a full session. Served first come, first
    served (``joined_at``, then id): an offer holds the seats until ``offer_expires_at``."""

    public_id = PublicIdField(prefix="wl")
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="waitlist", verbose_name=_("场次")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="event_waitlist",
        verbose_name=_("观众"),
    )
    seats = models.PositiveSmallIntegerField(_("座位数"))
    status = models.CharField(
        _("状态"), max_length=16, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    joined_at = models.DateTimeField(_("加入时间"))
    offered_at = models.DateTimeField(_("发出邀请时间"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("邀请有效至"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    reservation = models.OneToOneField(
        Reservation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="waitlist_entry",
        verbose_name=_("预约"),
    )

    class Meta:
        verbose_name = _("候补")
        verbose_name_plural = _("候补")
        ordering = ["joined_at", "id"]
        indexes = [
            models.Index(fields=["session", "status", "joined_at", "id"], name="waitlist_queue"),
            models.Index(
                fields=["offer_expires_at"],
                name="waitlist_open_offers",
                condition=Q(status=rules.Waitlist.OFFERED.value),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gt=0), name="waitlist_seats_positive"),
            models.UniqueConstraint(
                fields=["session", "user"],
                condition=Q(status__in=_OPEN_WAITLIST),
                name="waitlist_one_open_entry_per_user",
            ),
            models.CheckConstraint(
                condition=~Q(status=rules.Waitlist.OFFERED.value)
                | Q(offered_at__isnull=False, offer_expires_at__isnull=False),
                name="waitlist_offer_has_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} × {self.seats} ({self.status})"


class TicketStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已作废")


class Ticket(models.Model):
    """One seat of a confirmed reservation; its QR payload is signed on demand
    (``events.signing``). Entering with it is check-in's business."""

    public_id = PublicIdField(prefix=TICKET_PREFIX)
    reservation = models.ForeignKey(
        Reservation, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("预约")
    )
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("场次")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="event_tickets",
        verbose_name=_("观众"),
    )
    seat_no = models.PositiveSmallIntegerField(_("座位序号"))
    status = models.CharField(
        _("状态"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.VALID
    )
    issued_at = models.DateTimeField(_("出票时间"))
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("作废原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("电子票")
        verbose_name_plural = _("电子票")
        ordering = ["session_id", "reservation_id", "seat_no"]
        indexes = [
            models.Index(
                fields=["revoked_at"],
                name="ticket_revocations",
                condition=Q(status="revoked"),
            ),
            models.Index(fields=["user", "status"], name="ticket_user_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reservation", "seat_no"], name="ticket_one_per_seat"),
            models.CheckConstraint(
                condition=Q(status="valid", revoked_at__isnull=True)
                | Q(status="revoked", revoked_at__isnull=False),
                name="ticket_revoked_when_revoked_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status})"


class EventKey(models.Model):
    """The Ed25519 key pair tickets of a design week are signed with.

    One active key per edition (the week's first day, ``events.week``), generated on first use; a
    retired key stays published so that tickets signed with it can still be
    checked. The private key never leaves the server.
    """

    kid = models.CharField(_("密钥编号"), max_length=8, unique=True)
    edition = models.CharField(_("届次"), max_length=20)
    algorithm = models.CharField(_("算法"), max_length=16, default="Ed25519")
    public_key = models.CharField(_("公钥（base64url）"), max_length=64)
    private_key_pem = models.TextField(_("私钥（PEM）"))
    created_at = models.DateTimeField(_("创建时间"))
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("票务签名密钥")
        verbose_name_plural = _("票务签名密钥")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition"],
                condition=Q(retired_at__isnull=True),
                name="eventkey_one_active_per_edition",
            )
        ]

    def __str__(self) -> str:
        return f"{self.edition} {self.kid}"


class NotificationKind(models.TextChoices):
    SESSION_CANCELLED = "session_cancelled", _("场次取消")
    WAITLIST_OFFER = "waitlist_offer", _("候补座位待领取")


class Notification(models.Model):
    """A message in the visitor's inbox, written by a queued job. Its text is rendered
    from ``kind`` and ``data`` in the reader's language (``selectors.notification_text``)."""

    public_id = PublicIdField(prefix="ntf")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="event_notifications",
        verbose_name=_("用户"),
    )
    kind = models.CharField(_("类型"), max_length=32, choices=NotificationKind.choices)
    # The public id of what it is about (a reservation, a waiting-list entry).
    ref = models.CharField(_("关联编号"), max_length=24)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="notification_inbox")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "ref"], name="notification_once_per_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"


# --- check-in (``events.checkin``) --------------------------------------------------------


class CheckinList(models.Model):
    """What a door lets in: tickets of its ``sessions`` (one lecture, or every entry hour of
    an exhibition day), checked in by the venue staff assigned to it (``staff``) and by the
    scanner devices it is given to. ``allow_reentry``: a visitor who went out may come in
    again; without it a ticket enters once."""

    public_id = PublicIdField(prefix="cl")
    name = bilingual(models.CharField, _("名称"), _("英文名称"), max_length=100)
    gate = models.CharField(_("入口"), max_length=40)
    sessions = models.ManyToManyField(Session, related_name="checkin_lists", verbose_name=_("场次"))
    allow_reentry = models.BooleanField(_("允许出场后再次入场"), default=False)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="checkin_lists",
        limit_choices_to={"groups__name": "venue_staff"},
        verbose_name=_("检票人员"),
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("检票清单")
        verbose_name_plural = _("检票清单")
        ordering = ["name_zh", "id"]

    def __str__(self) -> str:
        return f"{self.name} · {self.gate}"


class ScannerDevice(models.Model):
    """A phone or handheld scanner that checks tickets in through the API with its own key
    (``Authorization: Bearer dmd_…``; only a hash is stored). It works only for its
    ``lists``, on behalf of the venue staff member it is issued to, until revoked."""

    public_id = PublicIdField(prefix="dev")
    name = models.CharField(_("名称"), max_length=60)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="scanner_devices",
        limit_choices_to={"groups__name": "venue_staff"},
        verbose_name=_("保管人"),
    )
    gate = models.CharField(_("入口"), max_length=40, blank=True)
    lists = models.ManyToManyField(CheckinList, related_name="devices", verbose_name=_("检票清单"))
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("密钥前缀"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )
    last_seen_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("停用人"),
    )

    class Meta:
        verbose_name = _("检票设备")
        verbose_name_plural = _("检票设备")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class ScanDirection(models.TextChoices):
    ENTRY = "entry", _("入场")
    EXIT = "exit", _("出场")


class ScanSource(models.TextChoices):
    ONLINE = "online", _("在线")
    OFFLINE = "offline", _("离线上传")


class ScanOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("通过")
    ALREADY_CHECKED_IN = "already_checked_in", _("已检票")
    NOT_INSIDE = "not_inside", _("未在场内")
    REVOKED = "revoked", _("已作废")
    WRONG_LIST = "wrong_list", _("不属于本清单")
    NOT_VALID_YET = "not_valid_yet", _("未到入场时间")
    EXPIRED = "expired", _("已过期")
    BAD_SIGNATURE = "bad_signature", _("签名无效")
    UNKNOWN_TICKET = "unknown_ticket", _("无法识别")


class ScanConflict(models.TextChoices):
    NONE = "", _("无")
    DOUBLE_ENTRY = "double_entry", _("重复入场")
    AFTER_REVOCATION = "after_revocation", _("作废后入场")
    ADMITTED_INVALID = "admitted_invalid", _("放行了无效票")


class Scan(models.Model):
    """One scan at a door, online or uploaded later by an offline device; never deleted.

    ``scan_id`` is the client's idempotency key. ``outcome`` is the server's verdict and may
    change when an earlier scan of the same ticket arrives later (the earliest entry wins;
    ``duplicate_of`` names it); ``device_outcome`` is what the door did at the time. A door
    that let someone in whom the verdict refuses is a ``conflict`` for the operator."""

    scan_id = models.CharField(_("扫描编号"), max_length=64, unique=True)
    checkin_list = models.ForeignKey(
        CheckinList, on_delete=models.PROTECT, related_name="scans", verbose_name=_("检票清单")
    )
    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scans",
        verbose_name=_("电子票"),
    )
    # What was scanned or typed: a signed payload or a ticket id (nothing personal).
    code = models.CharField(_("票码"), max_length=200)
    device = models.ForeignKey(
        ScannerDevice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scans",
        verbose_name=_("检票设备"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("检票人员"),
    )
    gate = models.CharField(_("入口"), max_length=40)
    direction = models.CharField(_("方向"), max_length=8, choices=ScanDirection.choices)
    source = models.CharField(_("来源"), max_length=8, choices=ScanSource.choices)
    scanned_at = models.DateTimeField(_("扫描时间"))
    received_at = models.DateTimeField(_("接收时间"))
    device_outcome = models.CharField(_("现场结果"), max_length=20, choices=ScanOutcome.choices)
    outcome = models.CharField(_("结果"), max_length=20, choices=ScanOutcome.choices)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("以此扫描为准"),
    )
    conflict = models.CharField(
        _("冲突"), max_length=20, choices=ScanConflict.choices, blank=True, default=""
    )
    conflict_resolved_at = models.DateTimeField(_("冲突处理时间"), null=True, blank=True)
    conflict_resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("冲突处理人"),
    )

    class Meta:
        verbose_name = _("检票记录")
        verbose_name_plural = _("检票记录")
        ordering = ["-scanned_at", "-id"]
        permissions = [("resolve_conflict", _("可以处理检票冲突"))]
        indexes = [
            models.Index(fields=["ticket", "scanned_at", "id"], name="scan_ticket_history"),
            models.Index(fields=["checkin_list", "scanned_at"], name="scan_list_time"),
            models.Index(
                fields=["scanned_at"],
                name="scan_open_conflicts",
                condition=~Q(conflict="") & Q(conflict_resolved_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True)
                | Q(outcome__in=["already_checked_in", "not_inside"]),
                name="scan_duplicate_only_when_refused_as_such",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scan_id} {self.direction} {self.outcome}"


class CheckIn(models.Model):
    """A ticket at the door: its first accepted entry (the one that counts, one per ticket:
    ``ticket`` is unique) and whether it is inside now (re-entry lists track exits)."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.PROTECT, related_name="checkin", verbose_name=_("电子票")
    )
    # The ticket's session, for counting. No database constraint on purpose: checking one
    # would share-lock the session row while the ticket's row is locked, the opposite of
    # the order ``events.services`` locks them in (session, then tickets): a deadlock.
    session = models.ForeignKey(
        Session,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="checkins",
        verbose_name=_("场次"),
    )
    first_scan = models.OneToOneField(
        Scan, on_delete=models.PROTECT, related_name="+", verbose_name=_("首次入场扫描")
    )
    checkin_list = models.ForeignKey(
        CheckinList, on_delete=models.PROTECT, related_name="+", verbose_name=_("检票清单")
    )
    entered_at = models.DateTimeField(_("入场时间"))
    gate = models.CharField(_("入口"), max_length=40)
    inside = models.BooleanField(_("在场内"), default=True)
    last_scan = models.ForeignKey(
        Scan, on_delete=models.PROTECT, related_name="+", verbose_name=_("最近一次扫描")
    )
    entries = models.PositiveIntegerField(_("入场次数"), default=1)
    exits = models.PositiveIntegerField(_("出场次数"), default=0)
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("入场")
        verbose_name_plural = _("入场")
        ordering = ["-entered_at", "-id"]
        indexes = [
            models.Index(fields=["session", "entered_at"], name="checkin_session_time"),
        ]
        constraints = [
            # Entries and exits alternate, starting with an entry.
            models.CheckConstraint(
                condition=Q(entries__gte=1)
                & (Q(inside=True, exits=F("entries") - 1) | Q(inside=False, exits=F("entries"))),
                name="checkin_entries_and_exits_alternate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.gate}"
