"""The buyer's address book: add, edit, delete, choose the default.

Each function is one transaction that locks the user's row first, so two requests of one
buyer (two tabs, the app and the web) never leave two defaults or none: while a buyer has
addresses, exactly one is the default (the first one added, the one chosen, or after the
default is deleted the most recently updated of the rest). Province, city and district
must name divisions of ``accounts.divisions``.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from designmall.accounts.divisions import division_problem
from designmall.accounts.models import Address, User
from designmall.core import clock
from designmall.core.errors import Conflict, NotFound, ValidationFailed

MAX_ADDRESSES = 20
# Field -> longest length; the same limits as the address an order keeps.
FIELDS = {
    "name": 40,
    "mobile": 20,
    "province": 30,
    "city": 30,
    "district": 30,
    "detail": 200,
    "postcode": 10,
}
REQUIRED = ("name", "mobile", "province", "city", "detail")
_MOBILE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")
_POSTCODE_RE = re.compile(r"^[0-9]{6}$")


def _refuse(field: str) -> ValidationFailed:
    return ValidationFailed(
        _("收货地址不完整或格式不正确。"), code="invalid_address", details={"field": field}
    )


def address_clean(data: Any) -> dict[str, str]:
    """The fields of an address as kept; ``ValidationFailed`` ``invalid_address`` with
    ``details.field`` naming the first wrong field."""
    if not isinstance(data, dict):
        raise _refuse("address")
    clean: dict[str, str] = {}
    for field, max_length in FIELDS.items():
        value = data.get(field) or ""
        if not isinstance(value, str):
            raise _refuse(field)
        value = " ".join(value.split())
        if len(value) > max_length:
            raise _refuse(field)
        clean[field] = value
    for field in REQUIRED:
        if not clean[field]:
            raise _refuse(field)
    if not _MOBILE_RE.match(clean["mobile"]):
        raise _refuse("mobile")
    if clean["postcode"] and not _POSTCODE_RE.match(clean["postcode"]):
        raise _refuse("postcode")
    wrong = division_problem(clean["province"], clean["city"], clean["district"])
    if wrong:
        raise _refuse(wrong)
    return clean


def _locked_user(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def _owned(user: User, public_id: str) -> Address:
    found = Address.objects.filter(user=user, public_id=public_id).first()
    if found is None:
        raise NotFound(_("没有找到这个收货地址。"), code="address_not_found")
    return found


def _promote_next(user: User) -> None:
    following = Address.objects.filter(user=user).order_by("-updated_at", "-id").first()
    if following is not None:
        Address.objects.filter(pk=following.pk).update(is_default=True)


@transaction.atomic
def address_create(*, user: User, data: Any, make_default: bool = False) -> Address:
    """Add an address; the buyer's first address is the default, as is one asked to be."""
    fields = address_clean(data)
    _locked_user(user)
    count = Address.objects.filter(user=user).count()
    if count >= MAX_ADDRESSES:
        raise Conflict(
            _("最多保存 %(n)d 个收货地址，请先删除不用的地址。") % {"n": MAX_ADDRESSES},
            code="address_book_full",
            details={"max": MAX_ADDRESSES},
        )
    default = make_default or count == 0
    if default:
        Address.objects.filter(user=user, is_default=True).update(is_default=False)
    now = clock.now()
    return Address.objects.create(
        user=user, is_default=default, created_at=now, updated_at=now, **fields
    )


@transaction.atomic
def address_update(*, user: User, public_id: str, data: Any, make_default: bool = False) -> Address:
    """Change an address's fields (all of them are given); optionally make it the default."""
    fields = address_clean(data)
    _locked_user(user)
    address = _owned(user, public_id)
    for name, value in fields.items():
        setattr(address, name, value)
    address.updated_at = clock.now()
    if make_default and not address.is_default:
        Address.objects.filter(user=user, is_default=True).update(is_default=False)
        address.is_default = True
    address.save()
    return address


@transaction.atomic
def address_set_default(*, user: User, public_id: str) -> Address:
    _locked_user(user)
    address = _owned(user, public_id)
    if not address.is_default:
        Address.objects.filter(user=user, is_default=True).update(is_default=False)
        address.is_default = True
        address.save(update_fields=["is_default"])
    return address


@transaction.atomic
def address_delete(*, user: User, public_id: str) -> None:
    """Delete an address; if it was the default, the most recently updated other becomes
    the default. Orders keep their own copy of the address, so none changes."""
    _locked_user(user)
    address = _owned(user, public_id)
    was_default = address.is_default
    address.delete()
    if was_default:
        _promote_next(user)


def addresses_of(user: User) -> list[Address]:
    """The buyer's addresses, the default first."""
    return list(Address.objects.filter(user=user).order_by("-is_default", "-updated_at", "-id"))


def address_default(user: User) -> Address | None:
    return Address.objects.filter(user=user, is_default=True).first()


def address_of(user: User, public_id: str) -> Address:
    return _owned(user, public_id)
