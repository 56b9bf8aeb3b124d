"""Serving stored media so that no stored file can ever run as a page of our origin.

A file is served inline only as one of the image types of ``core.images.SERVED_TYPES``
(chosen by its extension, never guessed); anything else is sent as
``application/octet-stream`` with ``Content-Disposition: attachment``. Every answer carries
``X-Content-Type-Options: nosniff`` (browsers take the type as given) and a
Content-Security-Policy that allows nothing and sandboxes the document, should a browser
render one anyway. A web server in front of the app must serve ``/media/`` the same way
(README, "Serving media").
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from django.views.static import serve

from designmall.core.images import served_type

MEDIA_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@require_safe
def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    # MEDIA_ROOT is read per request (tests and deployments may move it).
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    content_type = served_type(path)
    if content_type is None:
        response["Content-Type"] = "application/octet-stream"
        response["Content-Disposition"] = "attachment"
    else:
        response["Content-Type"] = content_type
    response.headers.pop("Content-Encoding", None)  # serve() sets it for .gz, .br, ...
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    return response
