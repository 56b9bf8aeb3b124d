from django.db import models

from designmall.core.ids import PublicIdDefault


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
