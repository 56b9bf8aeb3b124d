"""The client's address behind our own proxies (nginx in front of the web nodes).

Behind nginx every request reaches a node from nginx's address, so rate limits per
address would count all visitors as one. nginx appends the address it saw to
``X-Forwarded-For``; a node trusts that header only when the request comes from an
address in ``TRUSTED_PROXIES``, and takes the rightmost address that is not one of its
own proxies (anything further left was written by the client and proves nothing).
"""

from __future__ import annotations

from django.conf import settings


def client_address_behind(remote_addr: str, forwarded_for: str, trusted: frozenset[str]) -> str:
    """The address that reached our first trusted proxy."""
    if remote_addr not in trusted or not forwarded_for:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return hops[0] if hops else remote_addr


class ForwardedClientMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted = frozenset(settings.TRUSTED_PROXIES)

    def __call__(self, request):
        if self.trusted:
            meta = request.META
            meta["REMOTE_ADDR"] = client_address_behind(
                meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""), self.trusted
            )
        return self.get_response(request)
