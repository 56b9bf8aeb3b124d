"""Forms of the coupon pages: a seller's new shop coupon and a redemption-code batch.

Amounts are typed in yuan and sent to ``promotions.services`` in fen; the service checks
the coupon as a whole and its refusal is shown on the field it names."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from designmall.promotions.models import CouponKind, Distribution, ValidityKind
from designmall.promotions.services import MAX_BATCH, MAX_PER_BUYER, MAX_QUANTITY, MAX_VALID_DAYS
from designmall.storefront.forms import Form, _parse_yuan

_WHEN_FORMAT = "%Y-%m-%dT%H:%M"


def _when(label, *, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=[_WHEN_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_WHEN_FORMAT),
    )


class YuanField(forms.CharField):
    """Yuan as typed, to fen (blank: 0)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def clean(self, value) -> int:
        text = super().clean(value)
        return _parse_yuan(text, allow_zero=True) if text else 0


SHOP_SCOPES = [
    ("shop", _("全店通用")),
    ("categories", _("指定分类")),
    ("products", _("指定商品")),
]


class ShopCouponForm(Form):
    name_zh = forms.CharField(label=_("中文名称"), max_length=60)
    name_en = forms.CharField(label=_("英文名称"), max_length=80, required=False)
    kind = forms.ChoiceField(
        label=_("类型"), choices=CouponKind.choices, widget=forms.RadioSelect, initial="spend_off"
    )
    threshold = YuanField(
        label=_("使用门槛（元）"), help_text=_("满减券必填；其他类型可留空，表示无门槛。")
    )
    off = YuanField(label=_("减免金额（元）"), help_text=_("满减券、立减券填写。"))
    percent_off = forms.IntegerField(
        label=_("折扣百分比"),
        required=False,
        min_value=1,
        max_value=99,
        help_text=_("折扣券填写：减免的百分比，例如 15 表示 85 折。"),
    )
    cap = YuanField(label=_("最高减免（元）"), help_text=_("折扣券必填。"))
    scope = forms.ChoiceField(
        label=_("适用范围"), choices=SHOP_SCOPES, widget=forms.RadioSelect, initial="shop"
    )
    categories = forms.MultipleChoiceField(
        label=_("适用分类"), required=False, widget=forms.CheckboxSelectMultiple
    )
    products = forms.MultipleChoiceField(
        label=_("适用商品"), required=False, widget=forms.CheckboxSelectMultiple
    )
    validity = forms.ChoiceField(
        label=_("有效期类型"),
        choices=ValidityKind.choices,
        widget=forms.RadioSelect,
        initial="fixed",
    )
    valid_from = _when(_("生效时间"))
    valid_until = _when(_("失效时间"))
    valid_days = forms.IntegerField(
        label=_("领取后有效天数"), required=False, min_value=1, max_value=MAX_VALID_DAYS
    )
    claim_starts_at = _when(_("开始领取时间"), required=True)
    claim_ends_at = _when(_("停止领取时间"), required=True)
    distribution = forms.ChoiceField(
        label=_("发放方式"),
        choices=Distribution.choices,
        widget=forms.RadioSelect,
        initial="public",
    )
    total_quantity = forms.IntegerField(
        label=_("发行总量"), min_value=1, max_value=MAX_QUANTITY, initial=100
    )
    per_buyer_limit = forms.IntegerField(
        label=_("每人限领"), min_value=1, max_value=MAX_PER_BUYER, initial=1
    )

    def __init__(self, *args, categories, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = categories
        self.fields["products"].choices = products

    def service_values(self) -> dict:
        """The cleaned values as ``shop_coupon_create`` takes them (categories and
        products as the ids chosen; the view turns them into rows)."""
        data = self.cleaned_data
        return {
            "name_zh": data["name_zh"],
            "name_en": data["name_en"],
            "kind": data["kind"],
            "threshold_fen": data["threshold"],
            "off_fen": data["off"],
            "percent_off": data["percent_off"] or 0,
            "cap_fen": data["cap"],
            "scope": data["scope"],
            "validity": data["validity"],
            "valid_from": data["valid_from"],
            "valid_until": data["valid_until"],
            "valid_days": data["valid_days"],
            "claim_starts_at": data["claim_starts_at"],
            "claim_ends_at": data["claim_ends_at"],
            "distribution": data["distribution"],
            "total_quantity": data["total_quantity"],
            "per_buyer_limit": data["per_buyer_limit"],
        }

    # The service's field names -> this form's.
    FIELD_OF = {
        "threshold_fen": "threshold",
        "off_fen": "off",
        "cap_fen": "cap",
    }


class CodeBatchForm(Form):
    quantity = forms.IntegerField(
        label=_("兑换码数量"), min_value=1, max_value=MAX_BATCH, initial=100
    )
    note = forms.CharField(
        label=_("备注"),
        max_length=200,
        required=False,
        help_text=_("例如发放的场合：展位、讲座。"),
    )


class RedeemForm(Form):
    code = forms.CharField(
        label=_("兑换码"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
