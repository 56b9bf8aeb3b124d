"""Accounts: registration, API tokens and the caller's own profile."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from designmall.accounts import addresses, divisions
from designmall.accounts.login import known_device_token, login_check
from designmall.accounts.models import ApiToken, User
from designmall.accounts.selectors import api_tokens_of
from designmall.accounts.services import (
    api_token_create,
    api_token_revoke,
    user_register,
)
from designmall.api.auth import AUTHENTICATED
from designmall.api.errors import with_errors
from designmall.api.schemas import Input, Page, PageQuery, page_out, text
from designmall.core.ratelimit import client_address, rate_limited

router = Router(tags=["accounts"])


class MeOut(Schema):
    public_id: str
    email: str | None
    mobile: str | None
    display_name: str
    roles: list[str]
    date_joined: datetime


def me_out(user: User) -> dict[str, Any]:
    return {
        "public_id": user.public_id,
        "email": user.email,
        "mobile": user.mobile,
        "display_name": user.display_name,
        "roles": user.role_names,
        "date_joined": user.date_joined,
    }


# --- POST /auth/register ------------------------------------------------------------------


class RegisterIn(Input):
    identifier: text(254, min_length=1)
    password: text(128, min_length=1)
    display_name: text(60) = ""


@router.post("/auth/register", response=with_errors({201: MeOut}, 400, 409, 422, 429))
@rate_limited("register")
def auth_register(request: HttpRequest, payload: RegisterIn):
    """Create a buyer account from an email address or an 11-digit mobile number.
    Registrations from one address are rate limited (429 ``rate_limited``)."""
    user = user_register(
        identifier=payload.identifier,
        password=payload.password,
        display_name=payload.display_name,
    )
    return Status(201, me_out(user))


# --- POST /auth/tokens --------------------------------------------------------------------


class TokenOut(Schema):
    public_id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    is_active: bool


class TokenCreatedOut(TokenOut):
    token: str
    device_token: str = Field(
        description="Keep it and send it with the next token request: this device is then "
        "known to the account and never slowed down by others' failed logins."
    )


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "public_id": token.public_id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "is_active": token.is_active,
    }


class TokenCreateIn(Input):
    identifier: text(254, min_length=1)
    password: text(128, min_length=1)
    name: text(60, min_length=1)
    device_token: text(500) | None = Field(
        None, description="The `device_token` of this device's last token, if any."
    )


@router.post("/auth/tokens", response=with_errors({201: TokenCreatedOut}, 400, 401, 409, 422, 429))
def auth_token_create(request: HttpRequest, payload: TokenCreateIn):
    """Log in with identifier and password and get a new API token.

    The token (``dm_...``) is in this response only; it is never shown again.
    Repeated failures make further tries wait, longer each time (429
    ``login_throttled`` with ``Retry-After``), per account and address; a device that
    sends the ``device_token`` of an earlier sign-in waits only for its own failures.
    Tries from one address are also rate limited (429 ``rate_limited``).
    """
    user = login_check(
        identifier=payload.identifier,
        password=payload.password,
        client_ip=client_address(request),
        device_token=payload.device_token,
    )
    token, raw = api_token_create(user=user, name=payload.name)
    device = known_device_token(user=user, device_token=payload.device_token)
    return Status(201, {**token_out(token), "token": raw, "device_token": device})


# --- GET /auth/tokens ---------------------------------------------------------------------


@router.get(
    "/auth/tokens", auth=AUTHENTICATED, response=with_errors({200: Page[TokenOut]}, 401, 422)
)
def auth_token_list(request: HttpRequest, query: Query[PageQuery]):
    """The caller's tokens, newest first, revoked ones included. Never the secret."""
    return page_out(api_tokens_of(user=request.auth), query, token_out)


# --- DELETE /auth/tokens/{public_id} ------------------------------------------------------


@router.delete(
    "/auth/tokens/{pid:public_id}",
    auth=AUTHENTICATED,
    response=with_errors({204: None}, 401, 403, 404),
)
def auth_token_revoke(request: HttpRequest, public_id: str):
    """Revoke one of the caller's tokens (revoking twice is harmless)."""
    api_token_revoke(user=request.auth, token_public_id=public_id)
    return HttpResponse(status=204)


# --- GET /me ------------------------------------------------------------------------------


@router.get("/me", auth=AUTHENTICATED, response=with_errors({200: MeOut}, 401))
def me(request: HttpRequest):
    """The caller's profile and roles."""
    return me_out(request.auth)


# --- the address book: /me/addresses --------------------------------------------------------


class AddressOut(Schema):
    public_id: str
    name: str
    mobile: str
    province: str
    city: str
    district: str
    detail: str
    postcode: str
    is_default: bool
    updated_at: datetime


class AddressIn(Input):
    """An address of the book. Province, city and district name China's divisions
    (``GET /me/addresses/divisions`` lists them); district may be empty only for a city
    that has none. Amounts of text are the order's address limits."""

    name: text(40, min_length=1)
    mobile: text(20, min_length=1)
    province: text(30, min_length=1)
    city: text(30, min_length=1)
    district: text(30) = ""
    detail: text(200, min_length=1)
    postcode: text(10) = ""
    make_default: bool = False


def address_out(address) -> dict[str, Any]:
    return {
        "public_id": address.public_id,
        "name": address.name,
        "mobile": address.mobile,
        "province": address.province,
        "city": address.city,
        "district": address.district,
        "detail": address.detail,
        "postcode": address.postcode,
        "is_default": address.is_default,
        "updated_at": address.updated_at,
    }


def _address_data(payload: AddressIn) -> dict[str, str]:
    return payload.model_dump(exclude={"make_default"})


@router.get("/me/addresses", auth=AUTHENTICATED, response=with_errors({200: list[AddressOut]}, 401))
def address_list(request: HttpRequest):
    """The caller's address book, the default address first (at most 20 addresses)."""
    return [address_out(a) for a in addresses.addresses_of(request.auth)]


@router.post(
    "/me/addresses",
    auth=AUTHENTICATED,
    response=with_errors({201: AddressOut}, 400, 401, 409, 422),
)
def address_add(request: HttpRequest, payload: AddressIn):
    """Add an address. The first one is the default, as is one sent with
    ``make_default``. 422 ``invalid_address`` (``details.field``), 409
    ``address_book_full``."""
    address = addresses.address_create(
        user=request.auth, data=_address_data(payload), make_default=payload.make_default
    )
    return Status(201, address_out(address))


@router.put(
    "/me/addresses/{pid:public_id}",
    auth=AUTHENTICATED,
    response=with_errors({200: AddressOut}, 400, 401, 404, 422),
)
def address_change(request: HttpRequest, public_id: str, payload: AddressIn):
    """Replace an address's fields (and make it the default with ``make_default``)."""
    address = addresses.address_update(
        user=request.auth,
        public_id=public_id,
        data=_address_data(payload),
        make_default=payload.make_default,
    )
    return address_out(address)


@router.post(
    "/me/addresses/{pid:public_id}/default",
    auth=AUTHENTICATED,
    response=with_errors({200: AddressOut}, 401, 404),
)
def address_make_default(request: HttpRequest, public_id: str):
    """Make this address the default (the one a checkout starts from)."""
    return address_out(addresses.address_set_default(user=request.auth, public_id=public_id))


@router.delete(
    "/me/addresses/{pid:public_id}",
    auth=AUTHENTICATED,
    response=with_errors({204: None}, 401, 404),
)
def address_remove(request: HttpRequest, public_id: str):
    """Delete an address; if it was the default, the most recently changed other one
    becomes the default. Orders keep their own copy of their address."""
    addresses.address_delete(user=request.auth, public_id=public_id)
    return HttpResponse(status=204)


class DivisionOut(Schema):
    code: str
    name: str
    children: list[DivisionOut] = []


@router.get("/me/addresses/divisions", response=with_errors({200: list[DivisionOut]}))
def address_divisions(request: HttpRequest):
    """China's provinces, their cities and those cities' districts (with the statistical
    division codes), as the address book checks them. The same for everyone; cacheable."""
    return _divisions_out()


@functools.cache
def _divisions_out() -> list[dict[str, Any]]:
    return [
        {
            "code": p_code,
            "name": province,
            "children": [
                {
                    "code": c_code,
                    "name": city,
                    "children": [{"code": a_code, "name": area} for a_code, area in areas],
                }
                for c_code, city, areas in cities
            ],
        }
        for p_code, province, cities in json.loads(divisions.raw_json())["divisions"]
    ]
