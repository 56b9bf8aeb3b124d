"""Page forms: they parse what people type (yuan, attribute lines) and nothing more.

Rules (lengths that matter, states, ownership) are checked by the services,
whose messages the pages show next to the form.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from designmall.catalog.models import Origin
from designmall.core.money import Money

SORT_CHOICES = [
    ("relevance", _("综合")),
    ("newest", _("最新上架")),
    ("price", _("价格从低到高")),
    ("-price", _("价格从高到低")),
]


def _countries() -> list[tuple[str, str]]:
    """Every country and region, named in the page's language (django-countries)."""
    return list(countries)


class CountryField(forms.ChoiceField):
    """A picker of countries by name; the code goes to the service, which judges it (and
    says why a code is refused), so a typed lower-case code from a script still counts."""

    def __init__(self, **kwargs):
        super().__init__(choices=_countries, **kwargs)

    def to_python(self, value) -> str:
        return super().to_python(value).strip().upper()

    def validate(self, value) -> None:
        forms.Field.validate(self, value)


class Form(forms.Form):
    """Our forms: labels without Django's trailing colon (it reads wrong in Chinese); a
    field for one language's text (``*_zh``, ``*_en``) says which language it holds."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name.endswith("_en"):
                field.widget.attrs.setdefault("lang", "en")
            elif name.endswith("_zh"):
                field.widget.attrs.setdefault("lang", "zh")


def _parse_yuan(text: str, *, allow_zero: bool) -> int:
    """Yuan as typed (``129``, ``129.5``, ``¥1,299``) to fen, or a readable error."""
    cleaned = text.strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    try:
        fen = Money.from_yuan(cleaned).fen
    except ValueError:
        raise forms.ValidationError(
            _("请输入正确的金额（元），如 99 或 99.50。"), code="invalid_amount"
        ) from None
    if fen < 0:
        raise forms.ValidationError(_("金额不能为负数。"), code="invalid_amount")
    if fen == 0 and not allow_zero:
        raise forms.ValidationError(_("金额须大于 0。"), code="invalid_amount")
    return fen


class SearchForm(Form):
    """The search and filter form. Invalid fields are reported and left out of the search."""

    q = forms.CharField(label=_("关键词"), required=False, max_length=100)
    category = forms.CharField(label=_("分类"), required=False, max_length=60)
    designer = forms.CharField(label=_("设计师"), required=False, max_length=24)
    shop = forms.CharField(label=_("店铺"), required=False, max_length=24)
    origin = forms.ChoiceField(
        label=_("产地"),
        required=False,
        choices=[("", _("不限")), *Origin.choices],
        error_messages={"invalid_choice": _("没有这个产地选项。")},
    )
    price_min = forms.CharField(label=_("最低价（元）"), required=False, max_length=20)
    price_max = forms.CharField(label=_("最高价（元）"), required=False, max_length=20)
    in_stock = forms.BooleanField(label=_("只看有货"), required=False)
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=SORT_CHOICES,
        error_messages={"invalid_choice": _("不支持这种排序，已按默认顺序排列。")},
    )

    def clean_price_min(self) -> int | None:
        value = self.cleaned_data["price_min"]
        return _parse_yuan(value, allow_zero=True) if value.strip() else None

    def clean_price_max(self) -> int | None:
        value = self.cleaned_data["price_max"]
        return _parse_yuan(value, allow_zero=True) if value.strip() else None

    def clean(self):
        data = super().clean()
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("最高价不能低于最低价。"))
        return data


class LoginForm(Form):
    identifier = forms.CharField(
        label=_("邮箱或手机号"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("密码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RegisterForm(Form):
    identifier = forms.CharField(
        label=_("邮箱或手机号"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    display_name = forms.CharField(label=_("昵称"), max_length=60, required=False)
    password = forms.CharField(
        label=_("密码"),
        max_length=128,
        strip=False,
        help_text=_("至少 8 位，不要只用数字或常见密码。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("再次输入密码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") != data["password"]:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class ShopApplyForm(Form):
    name_zh = forms.CharField(label=_("店铺中文名"), max_length=100)
    name_en = forms.CharField(label=_("店铺英文名"), max_length=100, required=False)
    description_zh = forms.CharField(
        label=_("中文介绍"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    description_en = forms.CharField(
        label=_("英文介绍"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    country = CountryField(label=_("国家/地区"), initial="CN")


class ProductForm(Form):
    title_zh = forms.CharField(label=_("中文标题"), max_length=120)
    title_en = forms.CharField(label=_("英文标题"), max_length=120, required=False)
    category = forms.ChoiceField(label=_("分类"))
    designer = forms.ChoiceField(
        label=_("设计师"),
        required=False,
        help_text=_("输入中文名或英文名查找设计师。"),
        # site.js turns the list into a search box over the seller center's designer lookup.
        widget=forms.Select(attrs={"data-designer-picker": ""}),
    )
    # The origin (国内 / 国际) follows the country: it is not asked for, so they agree.
    country = CountryField(
        label=_("产地（国家/地区）"),
        help_text=_("中国制造为国内商品，其他国家/地区为国际商品。"),
    )
    description_zh = forms.CharField(
        label=_("中文描述"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    description_en = forms.CharField(
        label=_("英文描述"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    per_buyer_limit = forms.IntegerField(
        label=_("每位买家限购（件）"),
        required=False,
        min_value=1,
        max_value=9999,
        help_text=_("留空表示不限购。计入买家已支付和待支付的订单。"),
    )

    def __init__(self, *args, categories, designers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("请选择分类")),
            *(
                (c.slug, ("— " * c.depth) + c.name)
                for c in categories  # already ordered parents first
            ),
        ]
        self.fields["designer"].widget.attrs.update(
            {
                "data-lookup": reverse("storefront:seller_designer_lookup"),
                "data-placeholder": _("输入设计师姓名查找，留空表示不指定"),
                "data-i18n-exempt": "",  # names in both languages, to find either
            }
        )
        self.fields["designer"].choices = [
            ("", _("不指定")),
            *(
                (d.public_id, " · ".join(dict.fromkeys(n for n in (d.name_zh, d.name_en) if n)))
                for d in designers
            ),
        ]

    def service_fields(self) -> dict:
        """The cleaned data as the catalog services take it."""
        data = dict(self.cleaned_data)
        data["designer"] = data.get("designer") or None
        return data


def parse_attributes(text: str) -> dict[str, str]:
    """``颜色=黑`` one per line into ``{"颜色": "黑"}``; a readable error for anything else."""
    attributes: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace("＝", "=")
        if not line:
            continue
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise forms.ValidationError(
                _("第 %(n)d 行「%(line)s」格式不对：每行写一项，如 颜色=黑。"),
                code="invalid_attributes",
                params={"n": number, "line": raw.strip()},
            )
        if name in attributes:
            raise forms.ValidationError(
                _("规格「%(name)s」重复了。"), code="invalid_attributes", params={"name": name}
            )
        attributes[name] = value
    return attributes


def format_attributes(attributes: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in attributes.items())


def format_attributes_en(attributes: dict[str, str], english: dict[str, list[str]]) -> str:
    """The English lines in the order of the Chinese ones (a blank line for one without)."""
    lines = []
    for name in attributes:
        en_name, en_value = english.get(name) or ["", ""]
        lines.append(f"{en_name}={en_value}" if en_name or en_value else "")
    return "\n".join(lines).rstrip("\n")


def pair_attributes_en(attributes: dict[str, str], text: str) -> dict[str, list[str]]:
    """``Colour=Black`` lines matched, line by line, to the Chinese ``颜色=黑`` ones: the
    English of each Chinese option, keyed by its Chinese name. Blank lines skip an option."""
    lines = [raw.strip().replace("＝", "=") for raw in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if len(lines) > len(attributes):
        raise forms.ValidationError(
            _("英文规格比中文规格多：请逐行对应，如 颜色=黑 对应 Colour=Black。"),
            code="invalid_attributes",
        )
    english: dict[str, list[str]] = {}
    for number, (name, line) in enumerate(zip(attributes, lines, strict=False), start=1):
        if not line:
            continue
        en_name, sep, en_value = line.partition("=")
        if not sep or not en_name.strip() or not en_value.strip():
            raise forms.ValidationError(
                _("第 %(n)d 行「%(line)s」格式不对：每行写一项，如 Colour=Black。"),
                code="invalid_attributes",
                params={"n": number, "line": line},
            )
        english[name] = [en_name.strip(), en_value.strip()]
    return english


class SkuForm(Form):
    code = forms.CharField(label=_("货号"), max_length=40)
    price = forms.CharField(
        label=_("价格（元）"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    # The units available now. The value shown travels back hidden, so saving
    # the form without touching it leaves stock sold meanwhile alone.
    stock = forms.IntegerField(label=_("库存"), min_value=0, initial=0, show_hidden_initial=True)
    attributes = forms.CharField(
        label=_("规格"),
        required=False,
        help_text=_("每行一项，如 颜色=黑。"),
        # The options' own (Chinese) names and values, whatever the page's language.
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("颜色=黑\n尺寸=L"), "lang": "zh"}),
    )
    attributes_en = forms.CharField(
        label=_("英文规格"),
        required=False,
        help_text=_("与中文规格逐行对应，如 Colour=Black；英文页面显示这些。"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Colour=Black\nSize=L"}),
    )
    is_active = forms.BooleanField(label=_("可售"), required=False, initial=True)

    def clean_price(self) -> int:
        return _parse_yuan(self.cleaned_data["price"], allow_zero=False)

    def clean_attributes(self) -> dict[str, str]:
        return parse_attributes(self.cleaned_data["attributes"])

    def clean(self) -> dict:
        data = super().clean()
        if "attributes" in data and "attributes_en" in data:
            try:
                data["attributes_en"] = pair_attributes_en(
                    data["attributes"], data["attributes_en"]
                )
            except forms.ValidationError as error:
                self.add_error("attributes_en", error)
        return data

    def service_fields(self, *, editing: bool = False) -> dict:
        """The cleaned data as inventory's ``sku_*_with_stock`` take it.

        Editing, a stock figure left as it was shown is sent as None (unchanged).
        """
        data = dict(self.cleaned_data)
        data["price_fen"] = data.pop("price")
        if editing and "stock" not in self.changed_data:
            data["stock"] = None
        return data


STOCK_REASON_CHOICES = [
    ("received", _("入库（到货）")),
    ("damaged", _("报损")),
    ("correction", _("盘点修正")),
]


class StockAdjustForm(Form):
    delta = forms.IntegerField(
        label=_("变动数量"),
        help_text=_("入库填正数，报损填负数，盘点修正可正可负。"),
    )
    reason = forms.ChoiceField(label=_("原因"), choices=STOCK_REASON_CHOICES)
    note = forms.CharField(label=_("备注"), max_length=500, required=False)


class ImageForm(Form):
    image = forms.FileField(
        label=_("图片"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    alt = forms.CharField(label=_("图片说明"), max_length=120, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = _(
            "JPEG、PNG 或 WebP，%(mb)d MB 以内，不超过 %(mp)d 百万像素。"
        ) % {
            "mb": settings.MAX_IMAGE_BYTES // (1024 * 1024),
            "mp": settings.IMAGE_MAX_PIXELS // 1_000_000,
        }


class PayoutForm(Form):
    """A withdrawal: an amount in yuan and the Alipay account to send it to. The one-time
    ``request_key`` rides along hidden, so a double submit is one payout."""

    amount = forms.CharField(label=_("提现金额（元）"), max_length=20)
    payee_account = forms.CharField(
        label=_("收款支付宝账号"), max_length=100, help_text=_("支付宝登录账号：邮箱或手机号。")
    )
    payee_name = forms.CharField(label=_("收款人真实姓名"), max_length=50)
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def clean_amount(self) -> int:
        return _parse_yuan(self.cleaned_data["amount"], allow_zero=False)
