from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from designmall.core.ids import PublicIdDefault
from designmall.core.images import ALLOWED_FORMATS, CleanImageFile, ImageRefused, intake_image
from designmall.core.money import MAX_FEN, Money

PUBLIC_ID_LABEL = _("编号")


class PublicIdField(models.CharField):
    """A unique, random, prefixed id for use in URLs and the API."""

    def __init__(self, *args, prefix: str = "", **kwargs):
        self.prefix = prefix
        if not args:
            kwargs.setdefault("verbose_name", PUBLIC_ID_LABEL)
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        if prefix:
            kwargs.setdefault("default", PublicIdDefault(prefix))
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["prefix"] = self.prefix
        kwargs.pop("default", None)  # rebuilt from the prefix
        if kwargs.get("verbose_name") is PUBLIC_ID_LABEL:
            del kwargs["verbose_name"]  # a label only: no migration for every model
        # Only what differs from this field's own defaults (unique, not editable, 24 long):
        # a field that is not unique (yet) must say so, or migrations would make it unique.
        if kwargs.get("max_length") == 24:
            del kwargs["max_length"]
        if kwargs.pop("unique", False) is not True:
            kwargs["unique"] = False
        if kwargs.pop("editable", True) is not False:
            kwargs["editable"] = True
        return name, path, args, kwargs


class SafeImageFormField(forms.FileField):
    """A file input whose clean value is the upload after image intake (``core.images``):
    refusals become form errors with intake's message and code."""

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        try:
            return intake_image(upload).as_file()
        except ImageRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.FileInput) and "accept" not in widget.attrs:
            attrs.setdefault("accept", ",".join(t for _ext, t in ALLOWED_FORMATS.values()))
        return attrs


class SafeImageField(models.ImageField):
    """An image field that stores only what image intake returns: every file assigned to
    it is decoded, re-encoded and stored under a random name with the detected format's
    extension when the row is saved (``ImageRefused`` otherwise). Forms for it (the back
    office's included) run intake when they are cleaned, so a refusal is a form error."""

    def deconstruct(self):
        # The column is a plain ImageField's: migrations record it as one, so adopting this
        # field (or dropping it) needs no migration, and SQLite never rebuilds the table.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ImageField", args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": SafeImageFormField, **kwargs})

    def pre_save(self, model_instance, add):
        file = getattr(model_instance, self.attname)
        if file and not file._committed:
            content = file.file
            if not isinstance(content, CleanImageFile):
                content = intake_image(content).as_file()
            file.save(content.name, content, save=False)
        return file


class YuanInput(forms.TextInput):
    """A money input that shows yuan (``1999.00``) for a value kept in fen."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(
            {"inputmode": "decimal", "class": "vTextField yuan-input", **(attrs or {})}
        )

    def format_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return Money(value).yuan_str()
        return super().format_value(value)


class YuanFormField(forms.Field):
    """A form field that shows and takes yuan (``1999``, ``1999.5``, ``1999.00``) and whose
    clean value is whole fen (``199900``). The back office uses it for every ``*_fen``
    field (``core.admin.YuanAdminMixin``), so operators never type or read fen."""

    widget = YuanInput
    default_error_messages = {
        "invalid": _("请输入以元为单位的金额，最多两位小数，例如 1999.00。"),
        "min_value": _("金额不能低于 %(limit)s。"),
        "max_value": _("金额不能高于 %(limit)s。"),
    }

    def __init__(self, *, min_value: int | None = None, max_value: int | None = None, **kwargs):
        self.min_value, self.max_value = min_value, max_value
        kwargs.pop("max_length", None)
        kwargs.pop("step_size", None)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return Money(value).yuan_str()
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().replace(",", "").removeprefix("¥").strip()
        try:
            return Money.from_yuan(text).fen
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if self.min_value is not None and value < self.min_value:
            limit = Money(self.min_value).format()
            raise forms.ValidationError(
                self.error_messages["min_value"], code="min_value", params={"limit": limit}
            )
        if self.max_value is not None and value > min(self.max_value, MAX_FEN):
            limit = Money(min(self.max_value, MAX_FEN)).format()
            raise forms.ValidationError(
                self.error_messages["max_value"], code="max_value", params={"limit": limit}
            )
