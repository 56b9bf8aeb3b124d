"""The buyer's address book pages: list, add, edit, delete, choose the default. Each
change is a call to ``accounts.addresses``; the divisions file is served for the picker."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from designmall.accounts import addresses, divisions
from designmall.core.errors import DomainError, NotFound
from designmall.storefront.address_forms import AddressForm


@login_required
@require_GET
def address_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "storefront/account/addresses.html",
        {"addresses": addresses.addresses_of(request.user), "limit": addresses.MAX_ADDRESSES},
    )


def _after(request: HttpRequest):
    """Back to the checkout when the form was opened from there, else to the list."""
    wanted = request.POST.get("next") or request.GET.get("next")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(wanted)
    return redirect("storefront:addresses")


def _form_page(request, form, address=None) -> HttpResponse:
    return render(
        request,
        "storefront/account/address_form.html",
        {"form": form, "address": address, "next": request.GET.get("next", "")},
    )


def _save(request: HttpRequest, form: AddressForm, address=None) -> HttpResponse:
    if not form.is_valid():
        return _form_page(request, form, address)
    try:
        if address is None:
            saved = addresses.address_create(
                user=request.user,
                data=form.address(),
                make_default=form.cleaned_data["make_default"],
            )
        else:
            saved = addresses.address_update(
                user=request.user,
                public_id=address.public_id,
                data=form.address(),
                make_default=form.cleaned_data["make_default"],
            )
    except DomainError as exc:
        field = (exc.details or {}).get("field")
        form.add_error(field if field in form.fields else None, exc.message)
        return _form_page(request, form, address)
    messages.success(request, _("收货地址已保存。"))
    response = _after(request)
    if response.url == reverse("storefront:checkout"):  # back to the checkout, with it
        response["Location"] = f"{response.url}?address={saved.public_id}"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def address_add(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, AddressForm(request.POST))
    return _form_page(request, AddressForm())


def _owned(request: HttpRequest, public_id: str):
    try:
        return addresses.address_of(request.user, public_id)
    except NotFound:
        raise Http404(_("没有找到这个收货地址。")) from None


@login_required
@require_http_methods(["GET", "POST"])
def address_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    address = _owned(request, public_id)
    if request.method == "POST":
        return _save(request, AddressForm(request.POST), address)
    fields = ("name", "mobile", "province", "city", "district", "detail", "postcode")
    initial = {name: getattr(address, name) for name in fields}
    return _form_page(request, AddressForm(initial=initial), address)


@login_required
@require_POST
def address_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        addresses.address_delete(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个收货地址。")) from None
    messages.success(request, _("收货地址已删除。"))
    return redirect("storefront:addresses")


@login_required
@require_POST
def address_default(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        addresses.address_set_default(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个收货地址。")) from None
    messages.success(request, _("已设为默认地址。"))
    return redirect("storefront:addresses")


@require_GET
def division_data(request: HttpRequest) -> HttpResponse:
    """China's divisions for the picker (``accounts.divisions``), cached by browsers."""
    response = HttpResponse(divisions.raw_json(), content_type="application/json")
    response["Cache-Control"] = "public, max-age=86400"
    return response
