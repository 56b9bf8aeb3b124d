"""Signing in with a password: guessing is slowed down, and nobody can lock the real
user out.

The rules (``login_check``):

- Failures are counted in scopes: per account and address (the person typing),
  per address across accounts (one address trying many accounts: credential
  stuffing) and per account across addresses (many addresses trying one account).
  Each scope has free failures (``LOGIN_THROTTLE_FREE_FAILURES``, and the looser
  ``..._ADDRESS_FREE_FAILURES`` and ``..._ACCOUNT_FREE_FAILURES``); past them,
  every further try must wait after the scope's last failure ``BASE``, ``2 x BASE``,
  ``4 x BASE`` ... seconds, up to ``LOGIN_THROTTLE_MAX_DELAY_SECONDS``
  (``backoff_seconds``). A try that comes too early is refused (429
  ``login_throttled`` with ``retry_after``) without checking the password, even a
  right one. A scope is forgotten ``LOGIN_THROTTLE_FORGET_SECONDS`` after its last
  failure; a success forgets the failures of its account and address.
- So a stranger's wrong passwords slow down only the stranger's own address, and
  the account's own count only after many addresses tried it.
- A known device is never slowed down by others: a device that signed in to the
  account before carries a signed token (``known_device_token``: a long-lived
  cookie on the web, ``device_token`` in the API) naming the account. Its tries
  are counted in its own scope only, and no other scope or address limit applies.
  The token names the password it signed in with: a new password forgets it.
- One try at a time per account and address (or device): a burst of parallel
  guesses is refused, not checked in parallel.
- Besides, tries from one address without a known device are rate limited
  (``RATE_LIMITS["login"]``, ``core.ratelimit``).

Counts live in the shared cache (Redis, or the database), so every web process sees
the same ones, and time is ``core.clock``.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.core import signing
from django.core.cache import cache
from django.db.models import Q
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from designmall.accounts.backends import normalize_identifier
from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.errors import NotAuthenticated, TooManyRequests
from designmall.core.ratelimit import rate_limit

DEVICE_SALT = "designmall.accounts.known-device"
BUSY_SECONDS = 30


def backoff_seconds(failures: int, *, free: int, base: int, cap: int) -> int:
    """How long the next try must wait after the last of ``failures``: nothing while
    within ``free``, then ``base``, ``2 x base``, ``4 x base`` ... never above ``cap``."""
    if failures < free or free < 0:
        return 0
    exponent = failures - free
    if exponent >= 32:
        return cap
    return min(cap, base * 2**exponent)


@dataclass(frozen=True)
class _Scope:
    key: str
    free: int

    @property
    def count_key(self) -> str:
        return f"login:{self.key}:n"

    @property
    def last_key(self) -> str:
        return f"login:{self.key}:t"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _failures(scopes: list[_Scope]) -> list[tuple[int, float]]:
    """Each scope's failures and the time of its last one (a scope quiet for
    ``LOGIN_THROTTLE_FORGET_SECONDS`` by the clock has none: the cache may keep it
    longer)."""
    stored = cache.get_many([k for s in scopes for k in (s.count_key, s.last_key)])
    now = clock.now().timestamp()
    found = []
    for scope in scopes:
        last = float(stored.get(scope.last_key) or 0)
        quiet = now - last > settings.LOGIN_THROTTLE_FORGET_SECONDS
        found.append((0 if quiet else int(stored.get(scope.count_key) or 0), last))
    return found


def _refuse_if_early(scopes: list[_Scope]) -> None:
    now = clock.now().timestamp()
    waits = []
    for scope, (failures, last) in zip(scopes, _failures(scopes), strict=True):
        delay = backoff_seconds(
            failures,
            free=scope.free,
            base=settings.LOGIN_THROTTLE_BASE_DELAY_SECONDS,
            cap=settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS,
        )
        if delay:
            waits.append(last + delay - now)
    if waits and max(waits) > 0:
        _refuse(max(waits))


def _refuse(seconds: float) -> None:
    seconds = max(1, math.ceil(seconds))
    raise TooManyRequests(
        _("登录尝试过于频繁，请 %(seconds)d 秒后再试。") % {"seconds": seconds},
        code="login_throttled",
        retry_after=seconds,
    )


def _record_failure(scopes: list[_Scope]) -> None:
    forget = settings.LOGIN_THROTTLE_FORGET_SECONDS
    now = clock.now().timestamp()
    for scope, (failures, _last) in zip(scopes, _failures(scopes), strict=True):
        if failures == 0:  # new, or forgotten by the clock
            cache.set(scope.count_key, 1, timeout=forget)
        else:
            try:
                cache.incr(scope.count_key)  # atomic with Redis: parallel failures all count
            except ValueError:  # dropped by the cache meanwhile
                cache.set(scope.count_key, 1, timeout=forget)
            cache.touch(scope.count_key, timeout=forget)
        cache.set(scope.last_key, now, timeout=forget)


# --- known devices -----------------------------------------------------------------------


def _password_mark(user: User) -> str:
    # A new password or "log out everywhere" (a new session generation) forgets every device.
    secret = f"{user.password}:{user.session_generation}"
    return salted_hmac(DEVICE_SALT, secret).hexdigest()[:16]


def _device_claim(device_token: str | None) -> dict | None:
    if not device_token or len(device_token) > 500:
        return None
    try:
        claim = signing.loads(device_token, salt=DEVICE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(claim, dict) or not {"u", "d", "h", "t"} <= claim.keys():
        return None
    age = clock.now().timestamp() - float(claim["t"])
    if not 0 <= age <= settings.LOGIN_KNOWN_DEVICE_DAYS * 86400:
        return None
    return claim


def _known_device(identifier: str, device_token: str | None) -> str | None:
    """The device's id, if ``device_token`` is a valid token of the account
    ``identifier`` names, signed with its current password; else None."""
    claim = _device_claim(device_token)
    if claim is None:
        return None
    user = User.objects.filter(
        Q(email__iexact=identifier) | Q(mobile=identifier), public_id=claim["u"]
    ).first()
    if user is None or not constant_time_compare(claim["h"], _password_mark(user)):
        return None
    return f"{user.pk}:{claim['d']}"


def known_device_token(*, user: User, device_token: str | None = None) -> str:
    """The token that makes this device known to ``user``'s account, given after each
    successful sign-in (the device's earlier token keeps its id, with a new age)."""
    claim = _device_claim(device_token)
    device = claim["d"] if claim and claim["u"] == user.public_id else secrets.token_hex(12)
    return signing.dumps(
        {"u": user.public_id, "d": device, "h": _password_mark(user), "t": clock.now().timestamp()},
        salt=DEVICE_SALT,
    )


# --- signing in --------------------------------------------------------------------------


def login_check(
    *,
    identifier: str,
    password: str,
    client_ip: str | None = None,
    device_token: str | None = None,
) -> User:
    """The active user ``identifier`` (email or mobile) and ``password`` name, or
    ``NotAuthenticated`` ``invalid_credentials``; ``TooManyRequests``
    ``login_throttled`` (with ``retry_after``) while a scope must wait, or
    ``rate_limited`` past the address's rate. See the module for the rules."""
    identifier = normalize_identifier(identifier)
    account = _hash(identifier.lower())
    device = _known_device(identifier, device_token) if device_token else None
    if device is not None:
        scopes = [_Scope(f"device:{_hash(device)}", settings.LOGIN_THROTTLE_FREE_FAILURES)]
    else:
        rate_limit("login", address=client_ip)
        address = _hash(client_ip or "-")
        scopes = [
            _Scope(f"pair:{account}:{address}", settings.LOGIN_THROTTLE_FREE_FAILURES),
            _Scope(f"address:{address}", settings.LOGIN_THROTTLE_ADDRESS_FREE_FAILURES),
            _Scope(f"account:{account}", settings.LOGIN_THROTTLE_ACCOUNT_FREE_FAILURES),
        ]
    _refuse_if_early(scopes)
    busy = f"login:{scopes[0].key}:busy"
    if not cache.add(busy, 1, timeout=BUSY_SECONDS):
        _refuse(1)
    try:
        user = authenticate(username=identifier, password=password)
        if user is None:
            _record_failure(scopes)
            raise NotAuthenticated(_("账号或密码不正确。"), code="invalid_credentials")
        cache.delete_many([scopes[0].count_key, scopes[0].last_key])
        return user
    finally:
        cache.delete(busy)
