"""Back office for the programme and its bookings.

Venues, halls and events are edited here as plain records. Sessions are created
and changed through ``events.programme`` (their seat counters are never written
by a form), cancelled through ``events.services.session_cancel``; reservations,
waiting lists, tickets, keys and messages are read-only records.
"""

from __future__ import annotations

from datetime import time

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from designmall.core import clock
from designmall.core.admin import ModelAdmin, TabularInline
from designmall.core.adminactions import action_form_page, ask_reason, run_each
from designmall.core.errors import DomainError
from designmall.core.fields import YuanFormField
from designmall.core.money import format_fen
from designmall.events import programme, services
from designmall.events.models import (
    Event,
    EventKey,
    EventKind,
    EventStatus,
    Hall,
    Notification,
    Reservation,
    Session,
    SessionStatus,
    Ticket,
    Venue,
    WaitlistEntry,
)
from designmall.events.week import week_dates

# --- shared ---------------------------------------------------------------------------------


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _seats(session: Session) -> str:
    return f"{session.confirmed} / {session.held} / {session.seats_left}"


# --- venues and halls -------------------------------------------------------------------------


class HallForm(forms.ModelForm):
    class Meta:
        model = Hall
        fields = ("name_zh", "name_en", "capacity")

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        try:
            programme.hall_capacity_check(hall=self.instance, capacity=capacity)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return capacity


class HallInline(TabularInline):
    model = Hall
    form = HallForm
    fields = ("name_zh", "name_en", "capacity", "public_id")
    readonly_fields = ("public_id",)
    extra = 1
    can_delete = False


@admin.register(Venue)
class VenueAdmin(ModelAdmin):
    list_display = ("name_zh", "name_en", "address_zh", "halls_n", "position")
    search_fields = ("name_zh", "name_en", "public_id")
    readonly_fields = ("public_id",)
    fields = ("public_id", "name_zh", "name_en", "address_zh", "address_en", "position")
    inlines = [HallInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(halls_n=Count("halls"))

    @admin.display(description=_("展厅数"), ordering="halls_n")
    def halls_n(self, venue):
        return venue.halls_n


@admin.register(Hall)
class HallAdmin(ModelAdmin):
    """Halls are edited with their venue; listed here to be found (and autocompleted)."""

    list_display = ("name_zh", "name_en", "venue", "capacity")
    list_filter = ("venue",)
    search_fields = ("name_zh", "name_en", "venue__name_zh", "venue__name_en", "public_id")
    list_select_related = ("venue",)
    form = HallForm

    def has_add_permission(self, request):
        return False


# --- sessions -----------------------------------------------------------------------------


class SessionForm(forms.ModelForm):
    """The fields an operator sets, checked by ``programme.session_check``; saved by the
    admin through ``programme.session_create`` / ``session_update``."""

    class Meta:
        model = Session
        fields = ("event", *programme.SESSION_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if self.instance.pk and self.instance.status == SessionStatus.CANCELLED:
            if self.has_changed():
                raise forms.ValidationError(_("该场次已取消，不能修改。"))
            return cleaned
        values = {name: cleaned.get(name) for name in programme.SESSION_FIELDS}
        if any(value is None for value in values.values()):
            return cleaned
        try:
            programme.session_check(fields=values, exclude_pk=self.instance.pk)
        except DomainError as exc:
            field = (exc.details or {}).get("field")
            if field in self.fields:
                self.add_error(field, exc.message)
            else:
                raise forms.ValidationError(exc.message) from None
        if self.instance.pk and cleaned.get("capacity") is not None:
            taken = self.instance.confirmed + self.instance.held
            if cleaned["capacity"] < taken:
                self.add_error(
                    "capacity",
                    _("已有 %(n)d 个座位被预约或保留，座位数不能少于此数。") % {"n": taken},
                )
        return cleaned


def _session_save(request, session: Session, form: forms.ModelForm) -> Session:
    """Create or change ``session`` from a valid form through the programme services."""
    values = {name: form.cleaned_data[name] for name in programme.SESSION_FIELDS}
    if session.pk is None:
        return programme.session_create(event=session.event, by=request.user, **values)
    changed = {name: values[name] for name in form.changed_data if name in values}
    return programme.session_update(session=session, by=request.user, **changed)


class SessionInline(TabularInline):
    model = Session
    form = SessionForm
    fields = (*programme.SESSION_FIELDS, "seats", "status")
    readonly_fields = ("seats", "status")
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("starts_at", "id")

    @admin.display(description=_("已确认 / 保留 / 剩余"))
    def seats(self, session):
        return _seats(session) if session.pk else "-"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "hall":
            # Listed once for every row (an exhibition has eighty), not once per row.
            field.queryset = Hall.objects.select_related("venue")
            field.choices = list(field.choices)
        return field

    def has_change_permission(self, request, obj=None):
        # Cancelled events and sessions are history.
        if obj is not None and obj.status == EventStatus.CANCELLED:
            return False
        return super().has_change_permission(request, obj)


@admin.register(Session)
class SessionAdmin(ModelAdmin):
    form = SessionForm
    list_display = (
        "event",
        "starts_at",
        "hall",
        "capacity",
        "confirmed",
        "held",
        "seats_left_display",
        "price",
        "status",
    )
    list_filter = ("status", "event__kind", "hall__venue")
    search_fields = ("public_id", "event__title_zh", "event__title_en", "event__public_id")
    date_hierarchy = "starts_at"
    list_select_related = ("event", "hall__venue")
    autocomplete_fields = ("event", "hall")
    actions = ["cancel"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("event", *programme.SESSION_FIELDS)
        return (
            "public_id",
            "event",
            *programme.SESSION_FIELDS,
            "status",
            "confirmed",
            "held",
            "cancelled_at",
            "cancel_reason",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fixed = (
            "public_id",
            "event",
            "status",
            "confirmed",
            "held",
            "cancelled_at",
            "cancel_reason",
        )
        if obj.status == SessionStatus.CANCELLED:
            return (*fixed, *programme.SESSION_FIELDS)
        return fixed

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The form's own list covers "event"; on a change page it is shown read-only.
        kwargs["fields"] = [
            f
            for f in self.get_fields(request, obj)
            if f not in self.get_readonly_fields(request, obj)
        ]
        return super().get_form(request, obj, change=change, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # a session is cancelled, never deleted

    def save_model(self, request, obj, form, change):
        saved = _session_save(request, obj, form)
        obj.pk, obj.public_id = saved.pk, saved.public_id
        obj._state.adding = False

    @admin.display(description=_("剩余"))
    def seats_left_display(self, session):
        return session.seats_left

    @admin.display(description=_("票价"), ordering="price_fen")
    def price(self, session):
        return session.price_display

    def has_cancel_permission(self, request):
        return services.can_cancel_sessions(request.user)

    @admin.action(description=_("取消场次（全额退款并通知观众）…"), permissions=["cancel"])
    def cancel(self, request, queryset):
        def apply(sessions, reason):
            run_each(
                request,
                sessions.filter(status=SessionStatus.SCHEDULED),
                lambda s: services.session_cancel(session=s, by=request.user, reason=reason),
                _("已取消 %(n)d 个场次。"),
            )

        return ask_reason(self, request, queryset, title=_("取消场次"), apply=apply, max_length=500)


# --- events ---------------------------------------------------------------------------------


class TimedEntryForm(forms.Form):
    hall = forms.ModelChoiceField(label=_("展厅"), queryset=Hall.objects.select_related("venue"))
    first_day = forms.DateField(label=_("首日"))
    days = forms.IntegerField(label=_("天数"), min_value=1, max_value=60)
    opens = forms.TimeField(label=_("每日开始"), initial=time(10, 0))
    closes = forms.TimeField(label=_("每日结束"), initial=time(18, 0))
    slot_minutes = forms.IntegerField(label=_("每场分钟数"), min_value=15, initial=60)
    capacity = forms.IntegerField(label=_("每场座位数"), min_value=1)
    price_fen = YuanFormField(label=_("票价（元）"), min_value=0, initial=0)
    per_user_limit = forms.IntegerField(
        label=_("每人限约座位数"), min_value=1, max_value=programme.MAX_PER_USER_LIMIT, initial=4
    )
    reservation_opens_at = forms.DateTimeField(label=_("开放预约时间"))


@admin.register(Event)
class EventAdmin(ModelAdmin):
    list_display = ("title_zh", "title_en", "kind", "status", "sessions_n", "published_at")
    list_filter = ("kind", "status")
    search_fields = ("public_id", "title_zh", "title_en")
    readonly_fields = ("public_id", "status", "created_at", "published_at", "cancelled_at")
    fields = (
        "public_id",
        "kind",
        "title_zh",
        "title_en",
        "description_zh",
        "description_en",
        "speakers",
        "cover",
        "status",
        "created_at",
        "published_at",
        "cancelled_at",
    )
    autocomplete_fields = ("speakers",)
    inlines = [SessionInline]
    actions = ["publish", "cancel", "timed_entry"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(sessions_n=Count("sessions"))

    @admin.display(description=_("场次数"), ordering="sessions_n")
    def sessions_n(self, event):
        return event.sessions_n

    def has_delete_permission(self, request, obj=None):
        return False  # an event is cancelled, never deleted

    def save_model(self, request, obj, form, change):
        if not obj.created_at:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Session:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for session_form in formset.forms:
            if not session_form.has_changed() or not session_form.is_valid():
                continue
            session = session_form.instance
            is_new = session.pk is None
            session.event = form.instance
            try:
                saved = _session_save(request, session, session_form)
            except DomainError as exc:
                messages.error(request, f"{session.starts_at:%Y-%m-%d %H:%M}: {exc.message}")
                continue
            if is_new:
                formset.new_objects.append(saved)
            else:
                formset.changed_objects.append((saved, session_form.changed_data))
        return None

    @admin.action(description=_("发布"), permissions=["change"])
    def publish(self, request, queryset):
        run_each(
            request,
            queryset.filter(status=EventStatus.DRAFT),
            lambda event: programme.event_publish(event=event, by=request.user),
            _("已发布 %(n)d 个活动。"),
        )

    def has_cancel_permission(self, request):
        return services.can_cancel_sessions(request.user)

    @admin.action(description=_("取消活动及其全部场次…"), permissions=["cancel"])
    def cancel(self, request, queryset):
        def apply(events, reason):
            run_each(
                request,
                events.exclude(status=EventStatus.CANCELLED),
                lambda event: services.event_cancel(event=event, by=request.user, reason=reason),
                _("已取消 %(n)d 个活动。"),
            )

        return ask_reason(self, request, queryset, title=_("取消活动"), apply=apply, max_length=500)

    def has_timed_entry_permission(self, request):
        return request.user.has_perm("events.add_session")

    @admin.action(description=_("生成分时入场场次…"), permissions=["timed_entry"])
    def timed_entry(self, request, queryset):
        exhibitions = queryset.filter(kind=EventKind.EXHIBITION).exclude(
            status=EventStatus.CANCELLED
        )
        if exhibitions.count() != 1:
            messages.error(request, _("请只选择一个展览。"))
            return None
        event = exhibitions.get()
        if "apply" in request.POST:
            form = TimedEntryForm(request.POST)
            if form.is_valid():
                try:
                    made = programme.sessions_create_timed_entry(
                        event=event, by=request.user, **form.cleaned_data
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, _("已生成 %(n)d 个场次。") % {"n": len(made)})
                    return HttpResponseRedirect(request.get_full_path())
        else:
            form = TimedEntryForm(
                initial={
                    "first_day": week_dates().starts_on,
                    "days": week_dates().days,
                    "reservation_opens_at": clock.now(),
                }
            )
        return action_form_page(
            self,
            request,
            exhibitions,
            title=_("生成分时入场场次"),
            form=form,
        )


# --- bookings (read-only) -----------------------------------------------------------------


class TicketInline(TabularInline):
    model = Ticket
    fields = ("public_id", "seat_no", "status", "issued_at", "revoked_at", "revoke_reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or request.user.has_perm(
            "events.view_reservation"
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "session",
        "user",
        "seats",
        "status",
        "amount",
        "refunded",
        "created_at",
    )
    list_filter = ("status", "by_operator")
    search_fields = ("public_id", "user__email", "user__mobile", "session__public_id")
    date_hierarchy = "created_at"
    list_select_related = ("session__event", "user")
    readonly_fields = [f.name for f in Reservation._meta.fields]
    inlines = [TicketInline]

    @admin.display(description=_("金额"), ordering="amount_fen")
    def amount(self, reservation):
        return reservation.amount_display

    @admin.display(description=_("已退款"))
    def refunded(self, reservation):
        return format_fen(reservation.refunded_fen) if reservation.refunded_fen else "-"


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "session",
        "user",
        "seats",
        "status",
        "joined_at",
        "offer_expires_at",
    )
    list_filter = ("status",)
    search_fields = ("public_id", "user__email", "user__mobile", "session__public_id")
    date_hierarchy = "joined_at"
    list_select_related = ("session__event", "user")
    readonly_fields = [f.name for f in WaitlistEntry._meta.fields]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "session", "user", "seat_no", "status", "issued_at", "revoked_at")
    list_filter = ("status",)
    search_fields = ("public_id", "reservation__public_id", "user__email", "session__public_id")
    date_hierarchy = "issued_at"
    list_select_related = ("session__event", "user")
    readonly_fields = [f.name for f in Ticket._meta.fields]


@admin.register(EventKey)
class EventKeyAdmin(ReadOnlyAdmin):
    """The ticket keys' public halves; the private key is never shown."""

    list_display = ("kid", "edition", "algorithm", "created_at", "retired_at")
    fields = ("kid", "edition", "algorithm", "public_key", "created_at", "retired_at")
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "user", "kind", "ref", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("public_id", "ref", "user__email", "user__mobile")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = [f.name for f in Notification._meta.fields]


# --- check-in -------------------------------------------------------------------------------
# Lists are plain records checked by ``checkin.checkin_list_check``; devices are registered
# and revoked through ``checkin``'s services (the key is shown once); scans and check-ins
# are read-only records, and a conflict is marked handled through
# ``checkin.scan_conflict_resolve``.

from django.utils import timezone  # noqa: E402

from designmall.events import checkin  # noqa: E402
from designmall.events.models import (  # noqa: E402
    CheckIn,
    CheckinList,
    Scan,
    ScanConflict,
    ScannerDevice,
)


class CheckinListForm(forms.ModelForm):
    """A list's sessions are picked one by one, or a whole day of one event at once."""

    event = forms.ModelChoiceField(
        label=_("整日场次：活动"),
        queryset=Event.objects.exclude(status=EventStatus.CANCELLED),
        required=False,
        help_text=_("连同下面的日期一起选择，可加入该活动当天的全部场次（如展览一整天）。"),
    )
    day = forms.DateField(label=_("整日场次：日期"), required=False)

    class Meta:
        model = CheckinList
        fields = (
            "name_zh",
            "name_en",
            "gate",
            "allow_reentry",
            "sessions",
            "event",
            "day",
            "staff",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sessions"].required = False

    def clean(self):
        cleaned = super().clean()
        event, day = cleaned.get("event"), cleaned.get("day")
        if bool(event) != bool(day):
            raise forms.ValidationError(_("整日场次需要同时选择活动和日期。"))
        sessions = list(cleaned.get("sessions") or [])
        if event and day:
            picked = {s.pk for s in sessions}
            extra = checkin.sessions_of_event_day(event_id=event.pk, day=day)
            sessions += [s for s in extra if s.pk not in picked]
            if not extra:
                self.add_error("day", _("该活动在这一天没有场次。"))
        cleaned["sessions"] = sessions
        if self.errors:
            return cleaned
        try:
            cleaned["name_zh"], cleaned["gate"] = checkin.checkin_list_check(
                name=cleaned.get("name_zh"),
                gate=cleaned.get("gate"),
                sessions=sessions,
                staff=cleaned.get("staff") or [],
            )
        except DomainError as exc:
            field = (exc.details or {}).get("field")
            self.add_error(field if field in self.fields else None, exc.message)
        return cleaned


@admin.register(CheckinList)
class CheckinListAdmin(ModelAdmin):
    form = CheckinListForm
    list_display = (
        "name_zh",
        "name_en",
        "gate",
        "sessions_n",
        "allow_reentry",
        "staff_n",
        "created_at",
    )
    list_filter = ("allow_reentry",)
    search_fields = ("public_id", "name_zh", "name_en", "gate", "sessions__public_id")
    autocomplete_fields = ("sessions", "staff")
    readonly_fields = ("public_id", "figures", "created_at")

    def get_fields(self, request, obj=None):
        fields = (
            "name_zh",
            "name_en",
            "gate",
            "allow_reentry",
            "sessions",
            "event",
            "day",
            "staff",
        )
        return fields if obj is None else ("public_id", *fields, "figures", "created_at")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                sessions_n=Count("sessions", distinct=True), staff_n=Count("staff", distinct=True)
            )
        )

    @admin.display(description=_("场次数"), ordering="sessions_n")
    def sessions_n(self, checkin_list):
        return checkin_list.sessions_n

    @admin.display(description=_("检票人员数"), ordering="staff_n")
    def staff_n(self, checkin_list):
        return checkin_list.staff_n

    @admin.display(description=_("检票进度"))
    def figures(self, checkin_list):
        status = checkin.checkin_list_status(checkin_list=checkin_list)
        return _(
            "有效票 %(tickets)d，已入场 %(checked_in)d，在场内 %(inside)d；"
            "本清单扫描 %(scans)d 次，未处理冲突 %(conflicts)d 条。"
        ) % {
            "tickets": status.tickets,
            "checked_in": status.checked_in,
            "inside": status.inside,
            "scans": status.scans,
            "conflicts": status.open_conflicts,
        }

    def save_model(self, request, obj, form, change):
        if not obj.created_at:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # scans refer to it: a list is history once used


class ScannerDeviceForm(forms.ModelForm):
    class Meta:
        model = ScannerDevice
        fields = ("name", "staff", "gate", "lists")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            checkin.scanner_device_check(staff=cleaned["staff"], lists=cleaned.get("lists") or [])
        except DomainError as exc:
            field = (exc.details or {}).get("field")
            self.add_error(field if field in self.fields else None, exc.message)
        return cleaned


def _adopt(obj, saved) -> None:
    """Make the admin's unsaved ``obj`` the row a service just wrote."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding, obj._state.db = False, saved._state.db


@admin.register(ScannerDevice)
class ScannerDeviceAdmin(ModelAdmin):
    """A device's key is made when it is registered and shown once; revoking it stops the
    device at its next request."""

    form = ScannerDeviceForm
    list_display = ("name", "staff", "gate", "key_prefix", "last_seen_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("public_id", "name", "key_prefix", "staff__email", "staff__mobile")
    list_select_related = ("staff",)
    autocomplete_fields = ("staff", "lists")
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "staff", "gate", "lists")
        return (
            "public_id",
            "name",
            "staff",
            "gate",
            "lists",
            "key_prefix",
            "created_at",
            "created_by",
            "last_seen_at",
            "revoked_at",
            "revoked_by",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fixed = (
            "public_id",
            "staff",
            "key_prefix",
            "created_at",
            "created_by",
            "last_seen_at",
            "revoked_at",
            "revoked_by",
        )
        return fixed if obj.revoked_at is None else (*fixed, "name", "gate", "lists")

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        device, key = checkin.scanner_device_register(
            name=form.cleaned_data["name"],
            staff=form.cleaned_data["staff"],
            lists=form.cleaned_data["lists"],
            gate=form.cleaned_data.get("gate", ""),
            by=request.user,
        )
        _adopt(obj, device)
        messages.warning(
            request,
            _("设备密钥（只显示这一次，请立即配置到设备上）：%(key)s") % {"key": key},
        )
        return None

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: its scans refer to it

    def has_revoke_permission(self, request):
        return request.user.has_perm("events.change_scannerdevice")

    @admin.action(description=_("停用所选设备的密钥"), permissions=["revoke"])
    def revoke(self, request, queryset):
        done = sum(
            checkin.scanner_device_revoke(device=device, by=request.user)
            for device in queryset.filter(revoked_at__isnull=True)
        )
        messages.success(request, _("已停用 %(n)d 台设备。") % {"n": done})


class ConflictFilter(admin.SimpleListFilter):
    title = _("冲突")
    parameter_name = "conflicts"

    def lookups(self, request, model_admin):
        return [("open", _("待处理")), ("resolved", _("已处理")), ("any", _("全部冲突"))]

    def queryset(self, request, queryset):
        conflicts = queryset.exclude(conflict=ScanConflict.NONE)
        if self.value() == "open":
            return conflicts.filter(conflict_resolved_at__isnull=True)
        if self.value() == "resolved":
            return conflicts.filter(conflict_resolved_at__isnull=False)
        if self.value() == "any":
            return conflicts
        return queryset


@admin.register(Scan)
class ScanAdmin(ReadOnlyAdmin):
    """Every scan at every door; filter by 冲突 → 待处理 for what the operator must see to."""

    list_display = (
        "scanned_at",
        "scan_id",
        "checkin_list",
        "gate",
        "direction",
        "ticket",
        "outcome",
        "device_outcome",
        "conflict",
        "winner",
        "source",
        "device",
        "user",
    )
    list_filter = (ConflictFilter, "outcome", "direction", "source", "conflict", "checkin_list")
    search_fields = ("scan_id", "ticket__public_id", "code", "checkin_list__public_id", "gate")
    date_hierarchy = "scanned_at"
    list_select_related = ("checkin_list", "ticket", "device", "user", "duplicate_of")
    readonly_fields = [f.name for f in Scan._meta.fields]
    actions = ["resolve"]

    @admin.display(description=_("以此扫描为准"))
    def winner(self, scan):
        if scan.duplicate_of is None:
            return "-"
        won = scan.duplicate_of
        return f"{timezone.localtime(won.scanned_at):%m-%d %H:%M} · {won.gate}"

    def has_resolve_permission(self, request):
        return checkin.can_resolve_conflicts(request.user)

    @admin.action(description=_("标记所选冲突为已处理"), permissions=["resolve"])
    def resolve(self, request, queryset):
        run_each(
            request,
            queryset.exclude(conflict=ScanConflict.NONE).filter(conflict_resolved_at__isnull=True),
            lambda scan: checkin.scan_conflict_resolve(scan=scan, by=request.user),
            _("已处理 %(n)d 条冲突。"),
        )


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    """Who is in: each ticket's first entry, and whether it is inside now."""

    list_display = ("ticket", "session", "entered_at", "gate", "inside", "entries", "exits")
    list_filter = ("inside", "checkin_list")
    search_fields = ("ticket__public_id", "session__public_id", "gate")
    date_hierarchy = "entered_at"
    list_select_related = ("ticket", "session__event")
    readonly_fields = [f.name for f in CheckIn._meta.fields]
