from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from designmall.accounts.models import Address, ApiToken, EmailChange, User
from designmall.core.admin import ListYuanMixin, ModelAdmin


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "mobile")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(ListYuanMixin, BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ("-date_joined",)
    list_display = ("public_id", "email", "mobile", "display_name", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", "groups")
    search_fields = ("email", "mobile", "display_name", "public_id")
    readonly_fields = ("public_id", "date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("public_id", "email", "mobile", "display_name", "password")}),
        (_("角色与权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("时间"), {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "mobile", "password1", "password2")}),
    )
    filter_horizontal = ("groups",)


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("public_id", "user", "name", "prefix", "created_at", "last_used_at")
    exclude = ("key_hash",)
    search_fields = ("name", "user__email", "user__mobile")

    def has_add_permission(self, request):
        return False


@admin.register(EmailChange)
class EmailChangeAdmin(ModelAdmin):
    """Email changes asked for and confirmed (accounts.recovery): read only."""

    list_display = ("user", "old_email", "new_email", "created_at", "confirmed_at", "cancelled_at")
    search_fields = ("old_email", "new_email", "user__email", "user__public_id")
    readonly_fields = [f.name for f in EmailChange._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Address)
class AddressAdmin(ModelAdmin):
    """Buyers' address books: operators look (a delivery question), buyers change them."""

    list_display = ("name", "user", "province", "city", "district", "is_default", "updated_at")
    list_filter = ("is_default", "province")
    search_fields = ("public_id", "user__email", "user__mobile", "name", "mobile")
    list_select_related = ("user",)
    readonly_fields = [f.name for f in Address._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
