"""The show's dashboards: the operators' (back office, every booth) and the seller's (its own
booths). Each chart has its figures as a table beside it and a CSV of that table; the
figures are ``o2o.dashboard``'s, the tables ``o2o.dashboard_tables``'. The page reads without
JavaScript (the tables); ``dashboard.js`` draws the charts from the tables."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from designmall.catalog.models import Shop
from designmall.catalog.services import shop_for_seller
from designmall.core.errors import NotFound
from designmall.o2o import dashboard, dashboard_tables
from designmall.o2o.services import is_operator


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        raise ValueError("not a date") from None


def _scope(request: HttpRequest, shop: Shop | None) -> tuple[dashboard.Scope, str]:
    """The asked range (``from``, ``to``: ISO dates), else the design week; with the
    message to show when the asked one could not be used."""
    try:
        scope = dashboard.scope_of(
            start=_date(request.GET.get("from", "")),
            end=_date(request.GET.get("to", "")),
            shop=shop,
        )
    except ValueError:
        return dashboard.scope_default(shop=shop), _(
            "日期无效：请填写起止日期（结束不早于开始，最多 %(n)d 天）。已显示设计周全部日期。"
        ) % {"n": dashboard.MAX_DAYS}
    return scope, ""


def _query(scope: dashboard.Scope) -> str:
    return urlencode({"from": scope.start.isoformat(), "to": scope.end.isoformat()})


def _page(request: HttpRequest, *, shop: Shop | None, csv_url: str) -> HttpResponse:
    scope, problem = _scope(request, shop)
    board = dashboard.dashboard(scope)
    week = dashboard.scope_default()
    return render(
        request,
        "storefront/show/dash/dashboard.html",
        {
            "shop": shop,
            "scope": scope,
            "problem": problem,
            "week": week,
            "tables": dashboard_tables.tables(board),
            "csv_url": csv_url,
            "query": _query(scope),
            "pending": dashboard.attribution_pending(scope),
        },
    )


def _csv(request: HttpRequest, *, shop: Shop | None, key: str) -> HttpResponse:
    if key not in dashboard_tables.KEYS:
        raise Http404(_("没有这张图表。"))
    scope, _problem = _scope(request, shop)
    found = dashboard_tables.table(dashboard.dashboard(scope), key)
    text = dashboard_tables.table_csv(found)
    # A byte-order mark, so spreadsheet programs read the Chinese as UTF-8.
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    name = f"show-{key}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _operator_only(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect(
            f"{reverse('storefront:login')}?{urlencode({'next': request.get_full_path()})}"
        )
    if not is_operator(request.user):
        raise PermissionDenied
    return None


@require_GET
def operator_dashboard(request: HttpRequest) -> HttpResponse:
    """Operators: the whole show's figures."""
    refused = _operator_only(request)
    if refused is not None:
        return refused
    return _page(request, shop=None, csv_url="storefront:show_dashboard_csv")


@require_GET
def operator_dashboard_csv(request: HttpRequest, key: str) -> HttpResponse:
    refused = _operator_only(request)
    if refused is not None:
        return refused
    return _csv(request, shop=None, key=key)


def _own_shop(request: HttpRequest) -> Shop:
    try:
        return shop_for_seller(user=request.user)
    except NotFound:
        raise Http404(_("您还没有店铺。")) from None


@login_required
@require_GET
def seller_dashboard(request: HttpRequest) -> HttpResponse:
    """A seller: its own booths' figures and its shop's online and offline-sourced sales."""
    return _page(request, shop=_own_shop(request), csv_url="storefront:seller_dashboard_csv")


@login_required
@require_GET
def seller_dashboard_csv(request: HttpRequest, key: str) -> HttpResponse:
    return _csv(request, shop=_own_shop(request), key=key)
