from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from designmall.core.models import AuditEvent, Job


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "target_type", "target_id", "from_state", "to_state", "actor")
    list_filter = ("action", "target_type")
    search_fields = ("target_id", "reason")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Queued work (notification deliveries, refunds, reconciliation): read-only."""

    list_display = ("name", "run_at", "attempts", "done_at", "failed_at", "short_error")
    list_filter = ("name",)
    search_fields = ("name", "key")
    readonly_fields = [f.name for f in Job._meta.fields]

    @admin.display(description=_("最近的错误"))
    def short_error(self, job):
        return (job.last_error or "")[-80:]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
