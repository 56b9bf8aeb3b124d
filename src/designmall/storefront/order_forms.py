"""Forms of the cart, checkout and order pages. They only parse what was typed; the
orders services decide (limits, stock, address rules, transitions)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from designmall.core.formtokens import FormTokenField
from designmall.core.money import Money
from designmall.orders import rules
from designmall.orders.checkout import ADDRESS_FIELDS
from designmall.orders.models import carrier_choices

DELIVERY_CHOICES = [
    (rules.Delivery.ADDRESS.value, _("快递到家")),
    (rules.Delivery.PICKUP.value, _("设计周展会现场自提")),
]
ADDRESS_LABELS = {
    "name": _("收货人"),
    "mobile": _("手机号"),
    "province": _("省 / 直辖市"),
    "city": _("城市"),
    "district": _("区县"),
    "detail": _("详细地址"),
    "postcode": _("邮编"),
}
ADDRESS_OPTIONAL = ("district", "postcode")
# A delivery choice "pick up at this booth today" (o2o): ``booth:<booth public id>``.
BOOTH_CHOICE = "booth:"


class CheckoutForm(forms.Form):
    """Delivery and address; the idempotency key and the totals shown ride along hidden."""

    delivery = forms.ChoiceField(
        label=_("配送方式"), choices=DELIVERY_CHOICES, widget=forms.RadioSelect
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=255)
    total_address = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    total_pickup = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    address_keys = tuple(ADDRESS_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, max_length in ADDRESS_FIELDS.items():
            self.fields[name] = forms.CharField(
                label=ADDRESS_LABELS[name], max_length=max_length, required=False
            )
        # A text input (styled as the others) that still brings up the phone keypad.
        self.fields["mobile"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        # The buyer's own words, in whatever language (the page's language test skips them).
        self.fields["detail"].widget = forms.Textarea(attrs={"rows": 2, "data-i18n-exempt": ""})

    def clean(self):
        data = super().clean()
        if data.get("delivery") == rules.Delivery.ADDRESS:
            for name in ADDRESS_FIELDS:
                if name not in ADDRESS_OPTIONAL and not data.get(name, "").strip():
                    self.add_error(name, _("请填写%(field)s。") % {"field": ADDRESS_LABELS[name]})
        return data

    def address(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in ADDRESS_FIELDS}

    def expected_total_fen(self) -> int:
        delivery = self.cleaned_data["delivery"]
        if delivery.startswith(BOOTH_CHOICE):  # a booth pickup is priced as a pickup
            delivery = rules.Delivery.PICKUP.value
        return self.cleaned_data[f"total_{delivery}"]


class ShipForm(forms.Form):
    carrier = forms.ChoiceField(
        label=_("快递公司"),
        choices=[("", _("请选择")), *carrier_choices()],
    )
    tracking_number = forms.CharField(label=_("运单号"), max_length=40)


class PickupForm(forms.Form):
    code = forms.CharField(
        label=_("自提码"),
        max_length=20,
        help_text=_("扫描买家的自提二维码，或输入 8 位自提码。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class RefundForm(forms.Form):
    """A refund's amount and reason, with the one-time token it was issued with."""

    form_token = FormTokenField()
    line = forms.ChoiceField(
        label=_("退哪件商品"),
        required=False,
        help_text=_("按商品退款时，最多退该商品分摊优惠后的实付金额。"),
    )
    units = forms.IntegerField(label=_("退款件数"), required=False, min_value=1)
    amount = forms.CharField(label=_("退款金额（元）"), max_length=16)
    reason = forms.CharField(label=_("退款原因"), max_length=500)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [("", _("整单退款（不指定商品）")), *lines]

    def clean(self):
        data = super().clean()
        if data.get("line") and not data.get("units"):
            self.add_error("units", _("按商品退款时请填写件数。"))
        if data.get("units") and not data.get("line"):
            self.add_error("line", _("填写了件数，请选择退哪件商品。"))
        return data

    def clean_amount(self) -> int:
        try:
            fen = Money.from_yuan(self.cleaned_data["amount"]).fen
        except ValueError:
            raise forms.ValidationError(_("请输入金额，例如 12.50。")) from None
        if fen <= 0:
            raise forms.ValidationError(_("退款金额必须大于零。"))
        return fen
