"""The visitor's favourites (收藏) and the audience award (人气奖) at the show: phone first,
working as plain form posts, with ``show-votes.js`` toggling a heart in place and keeping
the leaderboard live. Rules are in ``o2o.favourites`` and ``o2o.votes``."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from designmall.core.errors import DomainError, NotFound
from designmall.o2o import favourites, rules, selectors, votes
from designmall.o2o.models import Exhibit
from designmall.storefront.views.show import VISITOR_COOKIE_SECONDS, visitor_id


def _to_login(request: HttpRequest, back: str, message: str) -> HttpResponse:
    messages.info(request, message)
    return redirect(f"{reverse('storefront:login')}?{urlencode({'next': back})}")


def _back(request: HttpRequest, default: str) -> str:
    """The page a form came from (``next``), when it is on this site."""
    wanted = request.POST.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _exhibit_or_404(code: str) -> Exhibit:
    try:
        return selectors.exhibit_by_code(code)
    except NotFound:
        raise Http404(_("没有找到这个展品。")) from None


def _device(request: HttpRequest, response: HttpResponse | None = None) -> str:
    """This browser's first-party device id (``dm_vid``), given one on ``response`` when it
    has none yet: votes record it."""
    vid = visitor_id(request)
    if not vid and response is not None:
        vid = secrets.token_urlsafe(18)
        response.set_signed_cookie(
            settings.O2O_VISITOR_COOKIE,
            vid,
            salt="o2o.visitor",
            max_age=VISITOR_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return vid


# --- favourites -------------------------------------------------------------------------------


@require_POST
def favourite_toggle(request: HttpRequest, code: str) -> HttpResponse:
    """Add (``action=add``) or remove (``action=remove``) an exhibit from my favourites; a
    visitor not logged in is asked to log in and comes back to the page."""
    removing = request.POST.get("action") == "remove"
    if removing:  # an exhibit no longer shown can still be let go of
        exhibit = Exhibit.objects.filter(code=rules.short_code_clean(code)).first()
        if exhibit is None:
            raise Http404(_("没有找到这个展品。"))
    else:
        exhibit = _exhibit_or_404(code)
    back = _back(request, reverse("storefront:show_exhibit", args=[exhibit.code]))
    if not request.user.is_authenticated:
        if _wants_json(request):
            login = f"{reverse('storefront:login')}?{urlencode({'next': back})}"
            return JsonResponse({"login": login}, status=401)
        return _to_login(request, back, _("请先登录，再收藏展品。"))
    if removing:
        favourites.favourite_remove(user=request.user, exhibit=exhibit)
        kept, message = False, _("已取消收藏。")
    else:
        favourites.favourite_add(user=request.user, exhibit=exhibit)
        kept, message = True, _("已收藏，可在“我的收藏”里找到它。")
    if _wants_json(request):
        return JsonResponse({"favourite": kept, "message": message})
    messages.success(request, message)
    return redirect(back)


@require_GET
def my_favourites(request: HttpRequest) -> HttpResponse:
    """The exhibits I keep, with their price and stock now."""
    if not request.user.is_authenticated:
        return _to_login(request, request.get_full_path(), _("请先登录，查看您的收藏。"))
    rows = favourites.favourite_rows(list(favourites.favourites_of(user=request.user)[:300]))
    kept = {row.exhibit.pk for row in rows}
    return render(request, "storefront/show/votes/favourites.html", {"rows": rows, "kept": kept})


# --- the audience award -----------------------------------------------------------------------


@require_GET
def awards(request: HttpRequest) -> HttpResponse:
    """The awards and their categories, with my votes and whether I may vote."""
    found = list(votes.awards_visible()[:20])
    mine = {}
    if request.user.is_authenticated:
        mine = {v.category_id: v for v in votes.votes_of(voter=request.user)}
    listed = [
        (award, votes.award_state(award), [(c, mine.get(c.pk)) for c in award.categories.all()])
        for award in found
    ]
    return render(
        request,
        "storefront/show/votes/awards.html",
        {"awards": listed, "checked_in": votes.voter_checked_in(request.user)},
    )


def _category_or_404(public_id: str):
    try:
        return votes.category_by_public_id(public_id)
    except NotFound:
        raise Http404(_("没有找到这个评选类别。")) from None


@require_GET
def award_category(request: HttpRequest, public_id: str) -> HttpResponse:
    """A category: its exhibits to vote for, my vote, and the live leaderboard."""
    category = _category_or_404(public_id)
    exhibits = list(votes.category_exhibits(category)[:300])
    mine = None
    if request.user.is_authenticated:
        mine = votes.votes_of(voter=request.user).filter(category=category).first()
    response = render(
        request,
        "storefront/show/votes/category.html",
        {
            "category": category,
            "award": category.award,
            "state": votes.category_state(category),
            "exhibits": exhibits,
            "mine": mine,
            "checked_in": votes.voter_checked_in(request.user),
            "board": votes.leaderboard_public(category),
            "board_url": reverse(
                "api-v1:o2o_award_leaderboard", kwargs={"public_id": category.public_id}
            ),
        },
    )
    _device(request, response)
    return response


@require_POST
def award_vote(request: HttpRequest, public_id: str) -> HttpResponse:
    """Vote for (or change my vote to) the exhibit posted; refusals are said on the page."""
    category = _category_or_404(public_id)
    back = _back(request, reverse("storefront:show_award_category", args=[category.public_id]))
    if not request.user.is_authenticated:
        return _to_login(request, back, _("请先登录，再参与投票。"))
    exhibit = Exhibit.objects.filter(public_id=request.POST.get("exhibit", "")[:24]).first()
    response = redirect(back)
    if exhibit is None:
        messages.error(request, _("请选择一件展品。"))
        return response
    try:
        _vote, created = votes.vote_cast(
            category=category,
            voter=request.user,
            exhibit=exhibit,
            visitor_id=_device(request, response),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return response
    if created:
        messages.success(request, _("投票成功！截止前可以随时改投。"))
    else:
        messages.success(request, _("已改投“%(title)s”。") % {"title": exhibit.shown_title})
    return response
