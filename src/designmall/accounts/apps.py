from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "designmall.accounts"
    label = "accounts"
    verbose_name = _("账号")

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_role_groups, dispatch_uid="designmall-role-groups")


def _sync_role_groups(**kwargs):
    # Runs after each app's migration; idempotent, so the last run sees every permission.
    from designmall.accounts.services import roles_sync_groups

    roles_sync_groups()
