"""Forms of the account recovery pages: they parse what people type, the rules are in
``accounts.recovery``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from designmall.storefront.forms import Form

NEW_PASSWORD_HELP = _("至少 8 位，不要只用数字或常见密码。")


def _password(label, autocomplete: str, *, help_text="") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=128,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class PasswordResetRequestForm(Form):
    email = forms.EmailField(
        label=_("注册邮箱"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class NewPasswordForm(Form):
    new_password = _password(_("新密码"), "new-password", help_text=NEW_PASSWORD_HELP)
    new_password_again = _password(_("再次输入新密码"), "new-password")

    def clean(self):
        data = super().clean()
        first, second = data.get("new_password"), data.get("new_password_again")
        if first and second and first != second:
            self.add_error("new_password_again", _("两次输入的新密码不一致。"))
        return data


class PasswordChangeForm(NewPasswordForm):
    old_password = _password(_("当前密码"), "current-password")

    field_order = ["old_password", "new_password", "new_password_again"]


class EmailChangeForm(Form):
    new_email = forms.EmailField(
        label=_("新邮箱"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = _password(_("当前密码"), "current-password")
