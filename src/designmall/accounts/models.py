from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from designmall.core import clock
from designmall.core.fields import PublicIdField

MOBILE_RE = r"^1[3-9]\d{9}$"
mobile_validator = RegexValidator(MOBILE_RE, _("请输入 11 位中国大陆手机号。"))


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, *, email, mobile, password, **extra):
        if not email and not mobile:
            raise ValueError("a user needs an email address or a mobile number")
        email = self.normalize_email(email) if email else None
        user = self.model(email=email or None, mobile=mobile or None, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, *, mobile=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email=email, mobile=mobile, password=password, **extra)

    def create_superuser(self, email=None, password=None, *, mobile=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email=email, mobile=mobile, password=password, **extra)

    def get_by_natural_key(self, identifier):
        return self.get(Q(email__iexact=identifier) | Q(mobile=identifier))


class User(AbstractBaseUser, PermissionsMixin):
    """A person: buyer, seller, operator, venue staff or finance (by group)."""

    public_id = PublicIdField(prefix="u")
    email = models.EmailField(_("邮箱"), unique=True, null=True, blank=True)
    mobile = models.CharField(
        _("手机号"),
        max_length=11,
        unique=True,
        null=True,
        blank=True,
        validators=[mobile_validator],
    )
    display_name = models.CharField(_("昵称"), max_length=60, blank=True)
    is_staff = models.BooleanField(_("可登录后台"), default=False)
    is_active = models.BooleanField(_("有效"), default=True)
    date_joined = models.DateTimeField(_("注册时间"), default=clock.now)
    # Raised by "log out everywhere" (accounts.recovery): it is part of the hash every
    # session carries, so each session made before it no longer matches and is ended.
    session_generation = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=_("会话代次")
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(mobile__isnull=False),
                name="user_has_email_or_mobile",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.email or self.mobile or self.public_id

    def get_username(self) -> str:
        return self.email or self.mobile or ""

    def natural_key(self):
        return (self.get_username(),)

    def _get_session_auth_hash(self, secret=None):
        """Django's session hash (an HMAC of the password hash), bound to the generation too.

        Django checks it on every request of a session, also with SECRET_KEY_FALLBACKS,
        which is why this private method is the one overridden. At generation 0 it is
        Django's own hash, so sessions made before the field existed stay valid.
        """
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "designmall.accounts.User.session_auth_hash"
        value = f"{self.password}:{self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    def has_role(self, role: str) -> bool:
        if not self.is_active:
            return False
        cached = getattr(self, "_role_names", None)
        if cached is None:
            cached = set(self.groups.values_list("name", flat=True))
            self._role_names = cached
        return role in cached

    @property
    def role_names(self) -> list[str]:
        return sorted(self.groups.values_list("name", flat=True))


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the token is shown once."""

    public_id = PublicIdField(prefix="tok")
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户")
    )
    name = models.CharField(max_length=60, verbose_name=_("名称"))
    key_hash = models.CharField(max_length=64, unique=True, verbose_name=_("密钥摘要"))
    prefix = models.CharField(max_length=12, verbose_name=_("前缀"))
    created_at = models.DateTimeField(verbose_name=_("创建时间"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("最近使用"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("吊销时间"))

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class EmailChange(models.Model):
    """A request to change a user's email address, confirmed from the new address.

    The link mailed to the new address carries a signed token naming this
    request, the user and the address the user had when asking
    (``accounts.recovery``). It works once, until ``expires_at``, and only
    while the user still has ``old_email``.
    """

    public_id = PublicIdField(prefix="ec")
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="email_changes", verbose_name=_("用户")
    )
    old_email = models.EmailField(null=True, blank=True, verbose_name=_("原邮箱"))
    new_email = models.EmailField(verbose_name=_("新邮箱"))
    created_at = models.DateTimeField(verbose_name=_("创建时间"))
    expires_at = models.DateTimeField(verbose_name=_("过期时间"))
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("确认时间"))
    cancelled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("取消时间"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("邮箱变更")
        verbose_name_plural = _("邮箱变更")

    def __str__(self) -> str:
        return f"{self.old_email or '-'} → {self.new_email}"


class Address(models.Model):
    """One of a buyer's delivery addresses (the address book). At most one per user is the
    default (a partial unique constraint); the services keep exactly one while any exist.
    Province, city and district come from ``accounts.divisions``."""

    public_id = PublicIdField(prefix="adr")
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("用户")
    )
    name = models.CharField(_("收货人"), max_length=40)
    mobile = models.CharField(_("手机号"), max_length=20)
    province = models.CharField(_("省 / 直辖市"), max_length=30)
    city = models.CharField(_("城市"), max_length=30)
    district = models.CharField(_("区县"), max_length=30, blank=True)
    detail = models.CharField(_("详细地址"), max_length=200)
    postcode = models.CharField(_("邮编"), max_length=10, blank=True)
    is_default = models.BooleanField(_("默认地址"), default=False)
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("收货地址")
        verbose_name_plural = _("收货地址")
        ordering = ["-is_default", "-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default=True),
                name="accounts_one_default_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.province}{self.city}{self.district}{self.detail}"

    def as_delivery(self) -> dict[str, str]:
        """The fields a checkout takes as its delivery address."""
        fields = ("name", "mobile", "province", "city", "district", "detail", "postcode")
        return {f: getattr(self, f) for f in fields if getattr(self, f)}
