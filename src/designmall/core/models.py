from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One recorded state change: who did what to which object, and why."""

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=64)
    target_id = models.CharField(_("对象编号"), max_length=64)
    from_state = models.CharField(_("原状态"), max_length=32, blank=True)
    to_state = models.CharField(_("新状态"), max_length=32, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"


class PeriodicTaskRun(models.Model):
    """When a periodic task may run next; claimed by one worker at a time."""

    name = models.CharField(max_length=100, unique=True, verbose_name=_("名称"))
    next_run_at = models.DateTimeField(verbose_name=_("下次运行"))
    last_started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("最近开始"))
    last_finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("最近结束"))
    last_error = models.TextField(blank=True, verbose_name=_("最近的错误"))

    def __str__(self) -> str:
        return self.name


class Job(models.Model):
    """A unit of background work (deliver a notification, execute a refund), run by the worker.

    Rows are written in the caller's transaction, so a job exists only if that
    transaction commits. A worker claims a due job with one conditional update
    of ``locked_until`` (a lease: a crashed worker's job becomes due again when
    it runs out); a failure is retried with exponential backoff until the
    handler's ``max_attempts``, then the job is given up (``failed_at``) and
    stays for an operator to see.
    """

    name = models.CharField(_("任务"), max_length=100)
    payload = models.JSONField(_("参数"), default=dict, blank=True)
    # Non-empty: at most one unfinished job with this key (enqueue returns the existing one).
    key = models.CharField(_("去重键"), max_length=200, blank=True, default="")
    run_at = models.DateTimeField(_("计划执行时间"))
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    locked_until = models.DateTimeField(_("租约到期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    failed_at = models.DateTimeField(_("放弃时间"), null=True, blank=True)
    last_error = models.TextField(_("最近的错误"), blank=True)
    # The request that enqueued it (core/requestid.py): its logs and the job's share the id.
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        indexes = [
            models.Index(
                fields=["run_at"],
                name="core_job_due",
                condition=models.Q(done_at__isnull=True, failed_at__isnull=True),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                name="core_job_one_open_per_key",
                condition=models.Q(done_at__isnull=True, failed_at__isnull=True)
                & ~models.Q(key=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"
