"""Idempotency-Keys: a retried request gets the first result, never a second effect.

One rule for every request that takes a key (a checkout, a refund): per user, scope
and key, the first result, a checkout or refund or the error it was refused with,
is kept (``IdempotencyKey``) for at least ``IDEMPOTENCY_KEY_HOURS`` and answered
again for the same request (the same fingerprint); the same key with another
request is ``Conflict`` ``idempotency_key_reused``. The unique (user, scope, key)
row decides, written in the transaction that makes the result, so two concurrent
requests with one key can never both make one: the second fails on the key, rolls
back and answers the first's result.

The checkout (``checkout``) writes its key with its own lean statements; other
services run through ``idempotent``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock, leansql
from designmall.core.errors import (
    Conflict,
    DomainError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooManyRequests,
    ValidationFailed,
)
from designmall.orders.models import IdempotencyKey, IdempotencyScope

M = TypeVar("M", bound=models.Model)

MAX_KEY_LENGTH = 255
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
# The field of ``IdempotencyKey`` that holds each scope's result.
_RESULT_FIELD = {IdempotencyScope.CHECKOUT: "checkout", IdempotencyScope.REFUND: "refund"}
# Scopes whose result lives in another app: its loader by public id (``register_scope``).
_RESULT_LOADERS: dict[str, Callable[[str], Any]] = {}


def register_scope(scope: str, *, load: Callable[[str], Any]) -> None:
    """Let ``idempotent`` keep results of ``scope`` (an ``IdempotencyScope``) made by
    another app: recorded by their ``public_id`` and loaded again by ``load(public_id)``."""
    _RESULT_LOADERS[scope] = load


# A replayed error is raised as the kind it was first raised as.
_ERRORS_BY_STATUS: dict[int, type[DomainError]] = {
    401: NotAuthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
    429: TooManyRequests,
}


class KeyTaken(Exception):
    """Another request recorded this Idempotency-Key first."""


def clean_key(key: Any) -> str:
    """``key`` if it is 1 to 255 printable ASCII characters, else ``ValidationFailed``
    ``invalid_idempotency_key``."""
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise ValidationFailed(
            _("Idempotency-Key 须为 1 至 255 个可见 ASCII 字符。"), code="invalid_idempotency_key"
        )
    return key


def fingerprint_of(**request: Any) -> str:
    """A fingerprint of a request's arguments (when the caller gives none)."""
    body = json.dumps(request, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def recorded(*, user: User, scope: str, key: str) -> IdempotencyKey | None:
    """The key's record, with its result, or None."""
    found = IdempotencyKey.objects.filter(user=user, scope=scope, key=key)
    if scope in _RESULT_FIELD:
        found = found.select_related(_RESULT_FIELD[scope])
    return found.first()


def replay(record: IdempotencyKey, fingerprint: str):
    """The recorded result of ``record`` (marked ``replayed``), or its error raised again;
    ``Conflict`` ``idempotency_key_reused`` if ``fingerprint`` is another request's."""
    if record.fingerprint != fingerprint:
        raise Conflict(
            _("这个 Idempotency-Key 已用于另一个不同的请求。"), code="idempotency_key_reused"
        )
    if record.scope in _RESULT_FIELD:
        result = getattr(record, _RESULT_FIELD[record.scope])
    else:
        result = _RESULT_LOADERS[record.scope](record.result_ref) if record.result_ref else None
    if result is not None:
        result.replayed = True
        return result
    error_class = _ERRORS_BY_STATUS.get(record.error_status or 400, DomainError)
    error = error_class(record.error_message, code=record.error_code, details=record.error_details)
    error.status = record.error_status or error.status
    raise error


def remember_error(*, user: User, scope: str, key: str, fingerprint: str, error: DomainError):
    """Keep ``error`` as the key's result and raise it; if another request's result was
    kept first (a result, or an error), that one is the answer.

    One statement, no transaction: ``INSERT ... ON CONFLICT DO NOTHING`` (which on
    PostgreSQL waits for a request still writing the same key)."""
    details = json.loads(json.dumps(error.details, default=str)) if error.details else None
    record = IdempotencyKey(
        user=user,
        scope=scope,
        key=key,
        fingerprint=fingerprint,
        error_code=error.code[:64],
        error_message=error.message[:500],
        error_status=error.status,
        error_details=details,
        created_at=clock.now(),
    )
    if leansql.insert_unless_exists(record):
        raise error
    first = recorded(user=user, scope=scope, key=key)
    if first is None:  # forgotten by the sweeper in between: this answer stands
        raise error
    return replay(first, fingerprint)


def idempotent(
    *,
    user: User,
    scope: str,
    key: str,
    fingerprint: str,
    make: Callable[[], M],
    looked_up: bool = False,
) -> M:
    """``make()`` once per ``user``, ``scope`` and ``key``: its result (marked
    ``replayed`` False) is recorded under the key in the same transaction, and a request
    with the same key and ``fingerprint`` gets the first result again (``replayed``
    True), or the first error raised again; another fingerprint is ``Conflict``
    ``idempotency_key_reused``.

    Looked up first (a retry after a timeout finds it), unless the caller just did
    (``looked_up``); two requests racing with one key both run ``make``, and the one
    that records second rolls back and answers the first's result. ``make`` should lock
    what it changes, so the second usually waits for the first and is refused or finds
    nothing left to do, and rolls back all the same."""
    key = clean_key(key)
    first = None if looked_up else recorded(user=user, scope=scope, key=key)
    if first is not None:
        return replay(first, fingerprint)
    try:
        with transaction.atomic():
            result = make()
            try:  # no savepoint: the failure ends this transaction anyway
                leansql.insert(
                    [
                        IdempotencyKey(
                            user=user,
                            scope=scope,
                            key=key,
                            fingerprint=fingerprint,
                            created_at=clock.now(),
                            **(
                                {_RESULT_FIELD[scope]: result}
                                if scope in _RESULT_FIELD
                                else {"result_ref": result.public_id}
                            ),
                        )
                    ]
                )
            except IntegrityError:
                raise KeyTaken from None
    except KeyTaken:
        first = recorded(user=user, scope=scope, key=key)
        if first is None:  # recorded and forgotten in between: nothing to answer but a retry
            raise Conflict(
                _("同一请求正在处理，请稍后重试。"), code="idempotency_key_in_use"
            ) from None
        return replay(first, fingerprint)
    except DomainError as error:
        return remember_error(user=user, scope=scope, key=key, fingerprint=fingerprint, error=error)
    result.replayed = False
    return result
