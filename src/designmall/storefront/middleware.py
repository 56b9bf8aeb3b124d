"""A page refused by a rate limit (``core.ratelimit``) is a readable page, not an error."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from designmall.core.errors import TooManyRequests


class TooManyRequestsPageMiddleware:
    """Turn ``TooManyRequests`` raised by a page view into the 429 page with
    ``Retry-After``. (The API answers it itself, in its error shape.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, TooManyRequests):
            return None
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = "/"
        response = render(
            request, "429.html", {"message": exc.message, "back_url": back}, status=429
        )
        if exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        return response
