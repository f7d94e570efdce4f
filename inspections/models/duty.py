"""值班: who keeps duty for each department on holidays (中秋、国庆、春节 …).

The speech asks every 一把手 to keep duty over the holidays. The office enters the roster (or
imports it from the sheet departments send in); on a duty day an escalation or a fatal accident
also reaches that day's leader on duty, when the roster links the leader to an account.
"""

from django.conf import settings
from django.db import models

from units.validators import validate_phone


class DutyShiftQuerySet(models.QuerySet):
    def visible_to(self, user) -> "DutyShiftQuerySet":
        # District-wide work: the office, the supervision office and leaders. Inspectors are
        # told through their notifications, not by reading colleagues' phone numbers.
        if not user.is_authenticated or not user.sees_everything:
            return self.none()
        return self

    def on(self, day) -> "DutyShiftQuerySet":
        return self.filter(date=day)


class DutyShift(models.Model):
    """One department's duty on one day."""

    date = models.DateField("值班日期")
    department = models.ForeignKey(
        "units.Department", verbose_name="部门", on_delete=models.PROTECT, related_name="duties"
    )
    leader_name = models.CharField("带班领导", max_length=30)
    # Optional: only a leader with an account can be notified.
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="带班领导账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duty_shifts",
    )
    staff = models.CharField("值班人员", max_length=120, blank=True)
    phone = models.CharField("值班电话", max_length=30, validators=[validate_phone])
    note = models.CharField("备注", max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = DutyShiftQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "值班安排"
        ordering = ["date", "department__sort_order", "department_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "department"], name="duty_one_shift_per_department_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.department} {self.leader_name}"
