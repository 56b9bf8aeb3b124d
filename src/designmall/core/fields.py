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
        kwargs.pop("default", None)
        for key in ("max_length", "unique", "editable"):
            kwargs.pop(key, None)
        return name, path, args, kwargs
