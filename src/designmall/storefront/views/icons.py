"""``/favicon.ico``: the site's icon where browsers look for it without being told (the
back office's pages, a PDF, a JSON page); the site's own pages link the SVG one."""

from __future__ import annotations

import functools
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

ICON = "storefront/favicon.ico"


@functools.cache
def _icon() -> bytes:
    return Path(finders.find(ICON)).read_bytes()


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_icon(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
