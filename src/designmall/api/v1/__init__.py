"""Version 1 of the JSON API: one NinjaAPI, one router per domain.

Served at ``/api/v1/``; the OpenAPI document is ``/api/v1/openapi.json`` and
the interactive docs ``/api/v1/docs``. Path ids are public ids, matched by the
``pid`` converter, so a malformed id is an unknown route (404), never a query.
"""

from __future__ import annotations

from django.urls import URLPattern, register_converter

from designmall.api.errors import JsonBodyParser, install_error_handlers, shaped_view
from designmall.api.openapi import DocumentedErrorsAPI
from designmall.api.v1 import (
    accounts,
    aftersales,
    auctions,
    catalog,
    checkin,
    deals,
    events,
    finance,
    o2o,
    o2o_dash,
    o2o_passport,
    o2o_pickup,
    o2o_votes,
    operator,
    orders,
    payments,
    presale,
    promotions,
    recovery,
    seller,
)


class PublicIdConverter:
    regex = r"[a-z]{1,4}_[0-9a-z]{16}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


# Registered before ``urls()`` turns the routers' paths into URL patterns.
register_converter(PublicIdConverter, "pid")

api = DocumentedErrorsAPI(
    title="Design Mall API",
    version="1",
    description=(
        "The JSON API of Design Mall. Authenticate with `Authorization: Bearer dm_...` "
        "(tokens from `POST /auth/tokens`) or the browser session (changes need the "
        "`X-CSRFToken` header). Money is integer fen with a formatted `*_display` text. "
        'Every error is `{"error": {"code", "message", "details"}}`.'
    ),
    urls_namespace="api-v1",
    parser=JsonBodyParser(),
    path_id_pattern=PublicIdConverter.regex,
)
install_error_handlers(api)
api.add_router("", accounts.router)
api.add_router("", recovery.router)
api.add_router("", catalog.router)
api.add_router("/seller", seller.router)
api.add_router("/operator", operator.router)
api.add_router("/finance", finance.router)
api.add_router("", payments.router)
api.add_router("", orders.router)
api.add_router("", events.router)
api.add_router("", checkin.router)
api.add_router("", auctions.router)
api.add_router("", promotions.router)
api.add_router("", deals.router)
api.add_router("", aftersales.router)
api.add_router("/operator", aftersales.operator_router)
api.add_router("", o2o.router)
api.add_router("", o2o.seller_router)
api.add_router("", o2o.operator_router)
api.add_router("", o2o_dash.operator_router)
api.add_router("", o2o_dash.seller_router)
api.add_router("", o2o_passport.router)
api.add_router("", o2o_passport.visitor_router)
api.add_router("", o2o_votes.router)
api.add_router("", o2o_votes.visitor_router)
api.add_router("", o2o_votes.operator_router)
api.add_router("", o2o_pickup.router)
api.add_router("", presale.router)
api.add_router("/seller", presale.seller_router)
api.add_router("/operator", presale.operator_router)


def urls() -> tuple[list[URLPattern], str, str]:
    """``api.urls`` with every view giving the error shape for 404 and 405 too."""
    patterns, app_name, namespace = api.urls
    wrapped = [
        URLPattern(p.pattern, shaped_view(p.callback), p.default_args, p.name) for p in patterns
    ]
    return wrapped, app_name, namespace
