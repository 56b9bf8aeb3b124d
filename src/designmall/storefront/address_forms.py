"""The address book's form: three selects (province, city, district) filled from
``accounts.divisions``; ``static/storefront/address.js`` refills the lower ones when a
higher one changes. Without JavaScript, a changed province is simply asked again with its
cities. The accounts service decides what is a valid address."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from designmall.accounts import divisions
from designmall.storefront.order_forms import ADDRESS_LABELS


def _choices(names, prompt):
    return [("", prompt), *((name, name) for name in names)]


class AddressForm(forms.Form):
    name = forms.CharField(label=ADDRESS_LABELS["name"], max_length=40)
    mobile = forms.CharField(
        label=ADDRESS_LABELS["mobile"],
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    province = forms.ChoiceField(label=ADDRESS_LABELS["province"])
    city = forms.ChoiceField(label=ADDRESS_LABELS["city"])
    district = forms.ChoiceField(label=ADDRESS_LABELS["district"], required=False)
    detail = forms.CharField(
        label=ADDRESS_LABELS["detail"],
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2, "data-i18n-exempt": ""}),  # the buyer's words
    )
    postcode = forms.CharField(label=ADDRESS_LABELS["postcode"], max_length=10, required=False)
    make_default = forms.BooleanField(label=_("设为默认地址"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        source = self.data if self.is_bound else self.initial
        province = source.get("province") or ""
        city = source.get("city") or ""
        self.fields["province"].choices = _choices(divisions.provinces(), _("请选择省份"))
        self.fields["city"].choices = _choices(divisions.cities(province), _("请选择城市"))
        self.fields["district"].choices = _choices(
            divisions.districts(province, city), _("请选择区县")
        )
        for name in ("province", "city", "district"):
            self.fields[name].widget.attrs[f"data-division-{name}"] = ""
            self.fields[name].widget.attrs["lang"] = "zh"  # the data set names places in Chinese

    def address(self) -> dict[str, str]:
        fields = ("name", "mobile", "province", "city", "district", "detail", "postcode")
        return {name: self.cleaned_data.get(name) or "" for name in fields}
