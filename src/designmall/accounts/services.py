"""Accounts: registration, roles and API tokens (signing in: ``accounts.login``)."""

from __future__ import annotations

import functools
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from designmall.accounts.models import MOBILE_RE, ApiToken, User
from designmall.accounts.roles import ROLE_PERMISSIONS, STAFF_ROLES, Role
from designmall.core import clock, leansql
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)

TOKEN_PREFIX = "dm_"
MAX_ACTIVE_TOKENS = 20


# --- roles -----------------------------------------------------------------------


def roles_sync_groups() -> None:
    """Create the role groups and give them their permissions (idempotent)."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm:
                wanted.append(perm)
        group.permissions.set(wanted)


@transaction.atomic
def user_grant_role(*, user: User, role: Role, by: User | None = None) -> None:
    group, _created = Group.objects.get_or_create(name=Role(role).value)
    user.groups.add(group)
    if role in STAFF_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_role_names", None)
    audit_record(actor=by, action="user.role_granted", target=user, data={"role": role})


# --- registration and login ------------------------------------------------------------


def _clean_identifier(identifier: str) -> tuple[str | None, str | None]:
    """Split what a person typed into (email, mobile); raise if it is neither."""
    import re

    value = (identifier or "").strip()
    if re.match(MOBILE_RE, value):
        return None, value
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationFailed(
            _("请输入有效的邮箱地址或 11 位手机号。"), code="invalid_identifier"
        ) from None
    return value.lower(), None


@transaction.atomic
def user_register(*, identifier: str, password: str, display_name: str = "") -> User:
    """Create a buyer account from an email address or a mobile number."""
    email, mobile = _clean_identifier(identifier)
    if len(display_name) > 60:
        raise ValidationFailed(_("昵称最多 60 个字符。"), code="display_name_too_long")
    if User.objects.filter(Q(email__iexact=email) if email else Q(mobile=mobile)).exists():
        raise Conflict(_("该账号已注册，请直接登录。"), code="account_exists")
    candidate = User(email=email, mobile=mobile, display_name=display_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationFailed(
            " ".join(exc.messages), code="weak_password", details=exc.messages
        ) from None
    user = User.objects.create_user(
        email=email, mobile=mobile, password=password, display_name=display_name
    )
    user_grant_role(user=user, role=Role.BUYER)
    audit_record(actor=user, action="user.registered", target=user)
    return user


# --- API tokens -------------------------------------------------------------------


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; returns it and the raw secret, which is never stored."""
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed(_("令牌名称须为 1–60 个字符。"), code="invalid_token_name")
    if user.api_tokens.filter(revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise Conflict(_("有效令牌数量已达上限，请先撤销不用的令牌。"), code="too_many_tokens")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=_hash_token(raw), prefix=raw[:10], created_at=clock.now()
    )
    audit_record(actor=user, action="api_token.created", target=token)
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token_public_id: str) -> ApiToken:
    token = ApiToken.objects.filter(user=user, public_id=token_public_id).first()
    if token is None:
        raise NotFound(_("没有这个令牌。"), code="token_not_found")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        api_tokens_forget(key_hashes=[token.key_hash])
        audit_record(actor=user, action="api_token.revoked", target=token)
    return token


@functools.cache
def _token_sql() -> str:
    token, user = leansql.columns(ApiToken, "t"), leansql.columns(User, "u")
    return (
        f"SELECT {token.sql}, {user.sql} FROM {ApiToken._meta.db_table} t"
        f" JOIN {User._meta.db_table} u ON u.id = t.user_id"
        " WHERE t.key_hash = %s AND t.revoked_at IS NULL"
    )


def _token_cache_key(key_hash: str) -> str:
    return f"api-token:{key_hash}"


def api_tokens_forget(*, key_hashes: list[str]) -> None:
    """Drop these tokens' cached lookups once the current transaction commits (a token
    revoked, or its user changed: deactivated, logged out everywhere)."""
    if settings.API_TOKEN_CACHE_SECONDS and key_hashes:
        keys = [_token_cache_key(key_hash) for key_hash in key_hashes]
        transaction.on_commit(lambda: cache.delete_many(keys), robust=True)


def api_tokens_forget_of_user(user_id: int) -> None:
    if settings.API_TOKEN_CACHE_SECONDS:
        api_tokens_forget(
            key_hashes=list(
                ApiToken.objects.filter(user_id=user_id, revoked_at__isnull=True).values_list(
                    "key_hash", flat=True
                )
            )
        )


def api_token_authenticate(raw: str) -> User | None:
    """The active user a bearer token belongs to, or None.

    Every API request with a token comes here first, so the lookup is one
    statement built once (``core.leansql``), not a query compiled per request;
    with ``API_TOKEN_CACHE_SECONDS`` (on where the cache is Redis) it comes from
    the cache, dropped when the token is revoked or its user saved.
    """
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    key_hash = _hash_token(raw)
    seconds = settings.API_TOKEN_CACHE_SECONDS
    found = cache.get(_token_cache_key(key_hash)) if seconds else None
    if found is None:
        rows = leansql.fetch_all(_token_sql(), [key_hash])
        if not rows:
            return None
        token_columns, user_columns = leansql.columns(ApiToken, "t"), leansql.columns(User, "u")
        token = token_columns.instance(rows[0])
        user = user_columns.instance(rows[0], len(token_columns))
        found = (token.pk, token.last_used_at, user)
        if seconds:
            cache.set(_token_cache_key(key_hash), found, seconds)
    token_pk, last_used_at, user = found
    if not user.is_active:
        return None
    now = clock.now()
    # Touch at most once a minute: no write per request on hot paths.
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token_pk).update(last_used_at=now)
        if seconds:
            cache.set(_token_cache_key(key_hash), (token_pk, now, user), seconds)
    return user
