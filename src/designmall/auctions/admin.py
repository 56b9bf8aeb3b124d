"""Back office for auctions: sales with their lots, increment tables, lots with their bid
timeline, retractions with a reason, deposits, second-chance offers and results.

Lots and increment tables are saved through the services (``lot_create``,
``lot_update``, ``increment_table_save``): their forms check with the services' own
rules, and the engine's snapshot and outcome columns are never written by a form.
Bids are retracted only through ``services.bid_retract``; bids, deposits, offers and
checkouts are otherwise read-only records. Once a lot's end has come by the clock
(``snapshot.lot_ended``), settled or not, its rules and times are read-only, and the
services refuse a retraction or a change with a readable message.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from designmall.auctions import services, settlement
from designmall.auctions.models import (
    AuctionSale,
    Bid,
    Deposit,
    IncrementTable,
    Lot,
    LotCheckout,
    LotImage,
    LotStatus,
    SecondChanceOffer,
)
from designmall.auctions.selectors import bidder_code, lot_verify
from designmall.auctions.snapshot import lot_ended
from designmall.core import clock
from designmall.core.admin import ModelAdmin, TabularInline
from designmall.core.adminactions import ask_reason, run_each
from designmall.core.errors import Conflict, DomainError
from designmall.core.money import Money, format_fen

# --- shared ---------------------------------------------------------------------------------


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(TabularInline):
    """Shown to whoever may view the parent."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        parent = self.parent_model._meta
        return super().has_view_permission(request, obj) or request.user.has_perm(
            f"{parent.app_label}.view_{parent.model_name}"
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _error_to_form(form: forms.Form, exc: DomainError) -> None:
    field = (exc.details or {}).get("field") if isinstance(exc.details, dict) else None
    form.add_error(field if field in form.fields else None, exc.message)


# --- increment tables -----------------------------------------------------------------------


def _bands_text(bands) -> str:
    return "\n".join(
        f"{Money(b['from_fen']).yuan_str()} {Money(b['step_fen']).yuan_str()}" for b in bands
    )


class IncrementTableForm(forms.ModelForm):
    """Bands typed one per line in yuan: ``<from> <increment>``, e.g. ``1000 100``."""

    bands_text = forms.CharField(
        label=_("加价幅度（元）"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 30}),
        help_text=_("每行一档：起始价 加价幅度（元），例如“1000 100”；第一档从 0 开始。"),
    )

    class Meta:
        model = IncrementTable
        fields = ("name", "is_default")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["bands_text"].initial = _bands_text(self.instance.bands)

    def clean_bands_text(self):
        bands = []
        for number, line in enumerate(self.cleaned_data["bands_text"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.replace(",", " ").split()
            try:
                start, step = (Money.from_yuan(part).fen for part in parts)
            except ValueError:
                raise forms.ValidationError(
                    _("第 %(n)d 行应为两个金额（元）。") % {"n": number}
                ) from None
            bands.append({"from_fen": start, "step_fen": step})
        try:
            bands = services.check_increment_bands(bands)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        table = self.instance
        if table.pk and bands != table.bands and services.increment_table_in_use(table):
            raise forms.ValidationError(_("有进行中且已有出价的拍品使用这张加价幅度表，不能修改。"))
        return bands


@admin.register(IncrementTable)
class IncrementTableAdmin(ModelAdmin):
    form = IncrementTableForm
    list_display = ("name", "is_default", "bands_display", "updated_at")
    fields = ("name", "bands_text", "is_default")

    @admin.display(description=_("加价幅度（元）"))
    def bands_display(self, table):
        return "; ".join(_bands_text(table.bands).splitlines())

    def has_delete_permission(self, request, obj=None):
        return False  # lots keep pointing at the table they ran with

    def save_model(self, request, obj, form, change):
        saved = services.increment_table_save(
            by=request.user,
            table=obj if change else None,
            name=form.cleaned_data["name"],
            bands=form.cleaned_data["bands_text"],
            is_default=form.cleaned_data["is_default"],
        )
        obj.pk = saved.pk


# --- sales ----------------------------------------------------------------------------------


class LotInline(ReadOnlyInline):
    model = Lot
    fields = ("number", "title_zh", "designer", "start", "price", "bid_count", "ends_at", "status")
    readonly_fields = fields
    ordering = ("number", "id")
    show_change_link = True

    @admin.display(description=_("起拍价"))
    def start(self, lot):
        return format_fen(lot.start_price_fen)

    @admin.display(description=_("当前价"))
    def price(self, lot):
        return format_fen(lot.price_fen)


@admin.register(AuctionSale)
class AuctionSaleAdmin(ModelAdmin):
    list_display = (
        "title_zh",
        "starts_at",
        "ends_at",
        "stagger_seconds",
        "deposit",
        "is_published",
    )
    list_filter = ("is_published",)
    search_fields = ("public_id", "title_zh", "title_en")
    readonly_fields = ("public_id", "created_at")
    fields = (
        "public_id",
        "title_zh",
        "title_en",
        "description_zh",
        "description_en",
        "cover",
        "starts_at",
        "ends_at",
        "stagger_seconds",
        "deposit_fen",
        "is_published",
        "created_at",
    )
    inlines = [LotInline]
    actions = ["apply_schedule", "publish", "unpublish"]

    @admin.display(description=_("专场保证金"), ordering="deposit_fen")
    def deposit(self, sale):
        return format_fen(sale.deposit_fen) if sale.deposit_fen else "-"

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not obj.created_at:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)

    @admin.action(description=_("按专场时间排定拍品（逐件截拍）"), permissions=["change"])
    def apply_schedule(self, request, queryset):
        run_each(
            request,
            queryset,
            lambda sale: services.sale_schedule_apply(sale=sale, by=request.user),
            _("已为 %(n)d 个专场排定拍品时间。"),
        )

    @admin.action(description=_("发布"), permissions=["change"])
    def publish(self, request, queryset):
        queryset.update(is_published=True)

    @admin.action(description=_("撤回发布"), permissions=["change"])
    def unpublish(self, request, queryset):
        queryset.update(is_published=False)


# --- lots -----------------------------------------------------------------------------------


class LotForm(forms.ModelForm):
    """The fields an operator sets, checked by ``services.lot_check``; saved through
    ``lot_create`` / ``lot_update``."""

    class Meta:
        model = Lot
        fields = services.LOT_FIELDS

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        lot = Lot(
            **{
                name: cleaned.get(name, getattr(self.instance, name, None))
                for name in services.LOT_FIELDS
            },
        )
        if lot.increment_table_id is None:
            lot.increment_table = services.increment_table_default()
        lot.ends_at = lot.scheduled_end_at
        try:
            services.lot_check(lot)
        except DomainError as exc:
            _error_to_form(self, exc)
        return cleaned


class LotImageInline(TabularInline):
    model = LotImage
    fields = ("image", "alt", "position")
    extra = 1


class BidTimelineInline(ReadOnlyInline):
    """Every bid on the lot in the order it came, refusals and retractions included."""

    model = Bid
    fk_name = "lot"
    verbose_name = _("出价记录")
    verbose_name_plural = _("出价时间线")
    fields = (
        "sequence",
        "placed_at",
        "bidder",
        "handle",
        "amount",
        "buy_now",
        "source",
        "accepted",
        "refusal",
        "retracted",
        "retraction_reason",
    )
    readonly_fields = fields
    ordering = ("placed_at", "sequence", "id")
    show_change_link = True

    @admin.display(description=_("代号"))
    def handle(self, bid):
        return bidder_code(bid.lot_id, bid.bidder_id)

    @admin.display(description=_("最高出价"))
    def amount(self, bid):
        return format_fen(bid.max_fen)


@admin.register(Lot)
class LotAdmin(ModelAdmin):
    form = LotForm
    list_display = (
        "public_id",
        "sale",
        "number",
        "title_zh",
        "designer",
        "price",
        "bid_count",
        "ends_at",
        "status",
        "outcome",
        "result",
    )
    list_filter = ("status", "outcome", "sale")
    search_fields = ("public_id", "title_zh", "title_en", "designer__name_zh", "shop__name_zh")
    list_select_related = ("sale", "designer")
    autocomplete_fields = ("designer", "shop", "product")
    date_hierarchy = "ends_at"
    inlines = [LotImageInline, BidTimelineInline]
    actions = ["settle_now"]
    state_fields = (
        "ends_at",
        "price_fen",
        "bid_count",
        "leader",
        "runner_up",
        "status",
        "outcome",
        "settlement_note",
        "closed_at",
        "winner",
        "hammer_fen",
        "payment_due_at",
        "buyer",
        "sold_fen",
        "paid_at",
        "version",
        "replay_check",
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ("sale", "number", "designer", "shop", "product")}),
            (
                _("图文"),
                {"fields": ("title_zh", "title_en", "description_zh", "description_en")},
            ),
            (
                _("拍卖规则"),
                {
                    "fields": (
                        "estimate_low_fen",
                        "estimate_high_fen",
                        "start_price_fen",
                        "reserve_fen",
                        "buy_now_fen",
                        "deposit_fen",
                        "starts_at",
                        "scheduled_end_at",
                        "hard_stop_at",
                        "soft_close_minutes",
                        "increment_table",
                        "increments_override",
                    )
                },
            ),
        ]
        if obj is not None:
            fieldsets.insert(0, (None, {"fields": ("public_id",)}))
            fieldsets.append((_("竞拍状态与结果"), {"fields": self.state_fields}))
        return fieldsets

    # What only a lot without bids whose end has not come may change (``lot_update``).
    rule_fields = ("sale", "number", "designer", "shop", *services.RULE_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fixed = ("public_id", *self.state_fields)
        if lot_ended(obj, clock.now()) or obj.bids.filter(accepted=True).exists():
            return (*fixed, *self.rule_fields)
        return fixed

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A refusal of the services (e.g. the lot ended while the form was open) is shown
        as a message on the page again; nothing of the edit is saved."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        return {
            "increment_table": services.increment_table_default().pk,
            "soft_close_minutes": settings.AUCTION_SOFT_CLOSE_MINUTES,
            **super().get_changeform_initial_data(request),
        }

    @admin.display(description=_("当前价"), ordering="price_fen")
    def price(self, lot):
        return format_fen(lot.price_fen)

    @admin.display(description=_("成交"))
    def result(self, lot):
        if lot.status == LotStatus.PAID:
            return format_fen(lot.sold_fen)
        if lot.hammer_fen is not None:
            return format_fen(lot.hammer_fen)
        return "-"

    @admin.display(description=_("与重放一致"))
    def replay_check(self, lot):
        problems = lot_verify(lot)
        return "✓" if not problems else "; ".join(problems)

    def save_model(self, request, obj, form, change):
        values = {
            name: form.cleaned_data[name]
            for name in services.LOT_FIELDS
            if name in form.cleaned_data
        }
        if change:
            posted = [
                name
                for name in self.rule_fields
                if name not in form.fields and (name in request.POST or f"{name}_0" in request.POST)
            ]
            if posted:  # the page was opened while they could change; now they cannot
                raise Conflict(
                    _("拍品在您编辑期间已截拍或已有出价，拍卖规则不能再修改，本次修改未保存。"),
                    code="lot_rules_fixed",
                    details={"fields": posted},
                )
            changed = {name: values[name] for name in form.changed_data if name in values}
            saved = services.lot_update(lot=obj, by=request.user, **changed)
        else:
            saved = services.lot_create(by=request.user, **values)
        obj.pk, obj.public_id = saved.pk, saved.public_id
        obj._state.adding = False

    @admin.action(description=_("立即结算已截拍的拍品"), permissions=["change"])
    def settle_now(self, request, queryset):
        run_each(
            request,
            queryset.filter(status=LotStatus.ACTIVE),
            lambda lot: settlement.lot_finalize(lot=lot),
            _("已处理 %(n)d 件拍品。"),
        )


# --- bids -----------------------------------------------------------------------------------


@admin.register(Bid)
class BidAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "lot",
        "sequence",
        "bidder",
        "amount",
        "placed_at",
        "source",
        "accepted",
        "refusal",
        "retracted",
    )
    list_filter = ("accepted", "retracted", "source", "refusal")
    search_fields = ("public_id", "lot__public_id", "bidder__email", "bidder__mobile")
    date_hierarchy = "placed_at"
    list_select_related = ("lot", "bidder")
    readonly_fields = [f.name for f in Bid._meta.fields]
    actions = ["retract"]

    @admin.display(description=_("最高出价"), ordering="max_fen")
    def amount(self, bid):
        return format_fen(bid.max_fen)

    def has_retract_permission(self, request):
        return services.can_retract_bids(request.user)

    @admin.action(description=_("撤销出价（重新计算拍品）…"), permissions=["retract"])
    def retract(self, request, queryset):
        def apply(bids, reason):
            run_each(
                request,
                bids.filter(accepted=True, retracted=False).order_by("-sequence"),
                lambda bid: services.bid_retract(bid=bid, by=request.user, reason=reason),
                _("已撤销 %(n)d 次出价。"),
            )

        return ask_reason(self, request, queryset, title=_("撤销出价"), apply=apply, max_length=500)


# --- deposits, offers, checkouts (read-only) ------------------------------------------------


@admin.register(Deposit)
class DepositAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "bidder",
        "lot",
        "sale",
        "amount",
        "status",
        "credited_lot",
        "created_at",
        "paid_at",
        "closed_at",
    )
    list_filter = ("status",)
    search_fields = ("public_id", "bidder__email", "bidder__mobile", "lot__public_id")
    date_hierarchy = "created_at"
    list_select_related = ("bidder", "lot", "sale", "credited_lot")
    readonly_fields = [f.name for f in Deposit._meta.fields]

    @admin.display(description=_("金额"), ordering="amount_fen")
    def amount(self, deposit):
        return deposit.amount_display


@admin.register(SecondChanceOffer)
class SecondChanceOfferAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "lot", "bidder", "amount", "status", "offered_at", "expires_at")
    list_filter = ("status",)
    search_fields = ("public_id", "lot__public_id", "bidder__email")
    list_select_related = ("lot", "bidder")
    readonly_fields = [f.name for f in SecondChanceOffer._meta.fields]

    @admin.display(description=_("价格"), ordering="amount_fen")
    def amount(self, offer):
        return format_fen(offer.amount_fen)


@admin.register(LotCheckout)
class LotCheckoutAdmin(ReadOnlyAdmin):
    list_display = ("lot", "checkout", "buyer", "kind", "price", "credit", "created_at")
    list_filter = ("kind",)
    search_fields = ("lot__public_id", "checkout__public_id", "buyer__email")
    list_select_related = ("lot", "checkout", "buyer")
    readonly_fields = [f.name for f in LotCheckout._meta.fields]

    @admin.display(description=_("成交价"), ordering="price_fen")
    def price(self, lc):
        return format_fen(lc.price_fen)

    @admin.display(description=_("保证金抵扣"))
    def credit(self, lc):
        return format_fen(lc.deposit_credit_fen)
