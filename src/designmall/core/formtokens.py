"""One-time form tokens: a page's form that acts (a refund, say) carries one, issued
with the form; the first submit uses it up, and submitting it again (a double click,
back and submit, a retry after a timeout) answers the first result, never acts twice.

A token is signed (``SECRET_KEY``) and names its user, its purpose (what the form
does, and to what) and a random nonce; it stores nothing when issued. The view hands
``form_token_key`` to the service as its Idempotency-Key: the service records its
first result under that key and answers it again (``orders.idempotency``). A token is
honoured for ``IDEMPOTENCY_KEY_HOURS`` from its issue, no longer than a used key is
kept, so an old form can never act a second time once its key is forgotten.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy

from designmall.core import clock
from designmall.core.errors import ValidationFailed

_SALT = "designmall.core.formtokens"
_INVALID = gettext_lazy("这个表单已失效，请刷新页面后重新填写。")


class FormTokenField(forms.CharField):
    """The hidden field that carries a form's one-time token (``form_token_issue``)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("error_messages", {"required": _INVALID, "max_length": _INVALID})
        super().__init__(**kwargs)


def form_token_issue(*, user, purpose: str) -> str:
    """A new one-time token for ``user``'s form that does ``purpose`` (e.g.
    ``"order_refund:o_..."``), to put in a hidden field."""
    return signing.dumps(
        {
            "u": user.pk,
            "p": purpose,
            "n": secrets.token_urlsafe(18),
            "t": int(clock.now().timestamp()),
        },
        salt=_SALT,
    )


def form_token_key(token: str, *, user, purpose: str) -> str:
    """The Idempotency-Key of a submitted ``token``, if it was issued to ``user`` for
    ``purpose`` no more than ``IDEMPOTENCY_KEY_HOURS`` ago; else ``ValidationFailed``
    ``form_token_invalid`` (the page is to be reloaded for a new form)."""
    try:
        data = signing.loads(token or "", salt=_SALT)
    except signing.BadSignature:
        data = None
    fresh_after = clock.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    if (
        not isinstance(data, dict)
        or data.get("u") != user.pk
        or data.get("p") != purpose
        or not isinstance(data.get("n"), str)
        or not isinstance(data.get("t"), int)
        or data["t"] < fresh_after.timestamp()
    ):
        raise ValidationFailed(str(_INVALID), code="form_token_invalid")
    return f"form:{data['n']}"
