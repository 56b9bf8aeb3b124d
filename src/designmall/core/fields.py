from django import forms
from django.db import models

from designmall.core.ids import PublicIdDefault
from designmall.core.images import ALLOWED_FORMATS, CleanImageFile, ImageRefused, intake_image


class PublicIdField(models.CharField):
    """A unique, random, prefixed id for use in URLs and the API."""

    def __init__(self, *args, prefix: str = "", **kwargs):
        self.prefix = prefix
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
