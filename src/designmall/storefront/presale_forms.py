"""The seller's pre-sale campaign form: the campaign's fields and one line per SKU of its
product (include it or not; pre-sale price, deposit and its credit in yuan; quantity).

It parses what is typed and nothing more: the rules (deposit ≤ 20% of the price, the
windows in order, the ship date after them…) are the service's, whose message the page
shows above the form with everything typed still in it.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from designmall.catalog.models import Sku
from designmall.presale.models import Campaign, CampaignKind
from designmall.storefront.forms import Form, _parse_yuan

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class _When(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        super().__init__(**kwargs)


class _Yuan(forms.CharField):
    def __init__(self, *, allow_zero: bool, **kwargs):
        self.allow_zero = allow_zero
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 8}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        return _parse_yuan(value, allow_zero=self.allow_zero)


class CampaignForm(Form):
    kind = forms.ChoiceField(
        label=_("预售类型"), choices=CampaignKind.choices, initial=CampaignKind.DEPOSIT
    )
    title_zh = forms.CharField(label=_("中文标题"), max_length=120)
    title_en = forms.CharField(label=_("英文标题"), max_length=160, required=False)
    earnest = forms.BooleanField(
        label=_("定金（逾期未付尾款不退；不勾选则为预付款，逾期全额退回）"),
        required=False,
        initial=True,
    )
    starts_at = _When(label=_("开始时间（定金或全款）"))
    ends_at = _When(label=_("结束时间"))
    balance_starts_at = _When(label=_("尾款开始时间"), required=False)
    balance_ends_at = _When(label=_("尾款截止时间"), required=False)
    ship_on = forms.DateField(
        label=_("承诺发货日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    ship_days_after_end = forms.IntegerField(
        label=_("或：结束后几天内发货"), required=False, min_value=1, max_value=365
    )
    per_buyer_limit = forms.IntegerField(label=_("每人限购"), min_value=1, initial=1)
    resell_defaulted = forms.BooleanField(
        label=_("逾期未付尾款的名额重新开放"), required=False, initial=True
    )

    def __init__(self, *args, skus: list[Sku], **kwargs):
        super().__init__(*args, **kwargs)
        self.skus = skus
        for sku in skus:
            prefix = f"sku_{sku.public_id}"
            self.fields[f"{prefix}_on"] = forms.BooleanField(required=False, label=sku.label)
            self.fields[f"{prefix}_price"] = _Yuan(
                label=_("预售价（元）"), allow_zero=False, required=False
            )
            self.fields[f"{prefix}_deposit"] = _Yuan(
                label=_("定金（元）"), allow_zero=True, required=False
            )
            self.fields[f"{prefix}_credit"] = _Yuan(
                label=_("定金抵扣（元）"), allow_zero=True, required=False
            )
            self.fields[f"{prefix}_quantity"] = forms.IntegerField(
                label=_("预售数量"),
                required=False,
                min_value=1,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "style": "width:6em"}),
            )

    def sku_rows(self) -> list[dict]:
        """Each SKU with its bound fields, for the template's table."""
        return [
            {
                "sku": sku,
                **{
                    name: self[f"sku_{sku.public_id}_{name}"]
                    for name in ("on", "price", "deposit", "credit", "quantity")
                },
            }
            for sku in self.skus
        ]

    def clean(self):
        data = super().clean()
        lines = []
        for sku in self.skus:
            prefix = f"sku_{sku.public_id}"
            if not data.get(f"{prefix}_on"):
                continue
            price = data.get(f"{prefix}_price")
            quantity = data.get(f"{prefix}_quantity")
            if price is None:
                self.add_error(f"{prefix}_price", _("请填写预售价。"))
            if quantity is None:
                self.add_error(f"{prefix}_quantity", _("请填写预售数量。"))
            deposit = data.get(f"{prefix}_deposit") or 0
            credit = data.get(f"{prefix}_credit")
            lines.append(
                {
                    "sku": sku.public_id,
                    "price_fen": price,
                    "deposit_fen": deposit,
                    "credit_fen": deposit if credit is None else credit,
                    "quantity": quantity,
                }
            )
        if not lines:
            raise forms.ValidationError(_("请至少选择一个规格参加预售。"))
        data["skus"] = lines
        return data

    def service_fields(self) -> dict:
        """The cleaned campaign fields as ``campaign_create``/``campaign_update`` take them."""
        data = self.cleaned_data
        deposit = data["kind"] == CampaignKind.DEPOSIT
        return {
            "kind": data["kind"],
            "title_zh": data["title_zh"],
            "title_en": data["title_en"],
            "earnest": data["earnest"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "balance_starts_at": data["balance_starts_at"] if deposit else None,
            "balance_ends_at": data["balance_ends_at"] if deposit else None,
            "ship_on": data["ship_on"],
            "ship_days_after_end": data["ship_days_after_end"],
            "per_buyer_limit": data["per_buyer_limit"],
            "resell_defaulted": data["resell_defaulted"],
        }


def initial_of(campaign: Campaign) -> dict:
    """The form's values for an existing campaign (times in the active time zone)."""
    from django.utils import timezone

    def local(moment):
        return timezone.localtime(moment).strftime(DATETIME_FORMAT) if moment else None

    initial = {
        "kind": campaign.kind,
        "title_zh": campaign.title_zh,
        "title_en": campaign.title_en,
        "earnest": campaign.earnest,
        "starts_at": local(campaign.starts_at),
        "ends_at": local(campaign.ends_at),
        "balance_starts_at": local(campaign.balance_starts_at),
        "balance_ends_at": local(campaign.balance_ends_at),
        "ship_on": campaign.ship_on,
        "ship_days_after_end": campaign.ship_days_after_end,
        "per_buyer_limit": campaign.per_buyer_limit,
        "resell_defaulted": campaign.resell_defaulted,
    }
    for row in campaign.skus.all():
        prefix = f"sku_{row.sku.public_id}"
        initial[f"{prefix}_on"] = True
        initial[f"{prefix}_price"] = f"{row.price_fen / 100:.2f}"
        initial[f"{prefix}_deposit"] = f"{row.deposit_fen / 100:.2f}"
        initial[f"{prefix}_credit"] = f"{row.credit_fen / 100:.2f}"
        initial[f"{prefix}_quantity"] = row.quantity
    return initial
