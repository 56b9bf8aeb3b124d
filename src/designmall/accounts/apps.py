from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "designmall.accounts"
    label = "accounts"
    verbose_name = _("账号")

    def ready(self):
        from django.db.models.signals import post_migrate, post_save

        post_migrate.connect(_sync_role_groups, dispatch_uid="designmall-role-groups")
        post_save.connect(
            _forget_cached_tokens, sender=self.get_model("User"), dispatch_uid="designmall-tokens"
        )


def _sync_role_groups(**kwargs):
    # Runs after each app's migration; idempotent, so the last run sees every permission.
    from designmall.accounts.services import roles_sync_groups

    roles_sync_groups()


def _forget_cached_tokens(instance, **kwargs):
    # A cached token lookup keeps the user as it was: a saved user (deactivated, say) is
    # read again on the next request.
    from designmall.accounts.services import api_tokens_forget_of_user

    api_tokens_forget_of_user(instance.pk)
