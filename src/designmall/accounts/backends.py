from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from designmall.accounts.models import User


def normalize_identifier(identifier: str) -> str:
    return (identifier or "").strip()


class EmailOrMobileBackend(ModelBackend):
    """Log in with an email address or a mobile number, and a password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = normalize_identifier(username or kwargs.get("email") or "")
        if not identifier or password is None:
            return None
        user = User.objects.filter(Q(email__iexact=identifier) | Q(mobile=identifier)).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
