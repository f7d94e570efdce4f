"""一票否决台账: per department and year, what the annual safety evaluation (年度考核) reads.

A veto is written here when the bulletin that pronounced it is circulated (inspections.vetoes),
never when a draft is built. A fatal accident is recorded once per responsible department, in
the bulletin of the period in which it happened; a later bulletin whose period overlaps finds
it here and does not pronounce it again. The database decides "once", not Python."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from units.models import Department

from .bulletins import Bulletin
from .enforcement import Accident


class VetoEntryQuerySet(models.QuerySet):
    def visible_to(self, user) -> "VetoEntryQuerySet":
        """The district's roles see every department's; anyone else only their department's."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        if user.department_id is None:
            return self.none()
        return self.filter(department_id=user.department_id)


class VetoEntry(models.Model):
    class Kind(models.TextChoices):
        FATAL_ACCIDENT = "fatal_accident", "亡人事故"
        MAJOR_OVERDUE = "major_overdue", "重大隐患逾期未整改"
        ADDED = "added", "安委办增列"

    department = models.ForeignKey(
        Department, verbose_name="部门/街道", on_delete=models.PROTECT, related_name="+"
    )
    # The accident's year for a fatal accident; the bulletin period's (end) year otherwise.
    year = models.PositiveIntegerField("考核年度")
    kind = models.CharField("否决事项", max_length=20, choices=Kind.choices)
    accident = models.ForeignKey(
        Accident,
        verbose_name="事故",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="veto_entries",
    )
    occurred_on = models.DateField("发生日期")
    reason = models.TextField("事由")
    bulletin = models.ForeignKey(
        Bulletin, verbose_name="通报", on_delete=models.PROTECT, related_name="veto_entries"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("记入时间", auto_now_add=True)

    objects = VetoEntryQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "一票否决台账"
        ordering = ["-year", "-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="vetoentry_kind_valid",
                condition=Q(kind__in=["fatal_accident", "major_overdue", "added"]),
            ),
            models.CheckConstraint(
                name="vetoentry_accident_named",
                condition=~Q(kind="fatal_accident") | Q(accident__isnull=False),
            ),
            models.CheckConstraint(name="vetoentry_has_reason", condition=~Q(reason="")),
            # A fatal accident vetoes each responsible department once, whichever bulletins
            # overlap its date.
            models.UniqueConstraint(
                fields=["department", "accident"],
                condition=Q(accident__isnull=False),
                name="vetoentry_once_per_accident",
            ),
            # Overdue major hazards are one veto of the year, however many bulletins say so.
            models.UniqueConstraint(
                fields=["department", "year"],
                condition=Q(kind="major_overdue"),
                name="vetoentry_major_overdue_once_a_year",
            ),
            models.UniqueConstraint(
                fields=["bulletin", "department"],
                condition=Q(kind="added"),
                name="vetoentry_added_once_per_bulletin",
            ),
        ]
        indexes = [
            # /vetoes/ filtered by year (and department), newest first.
            models.Index(fields=["year", "department"], name="vetoentry_year_dept_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.department} {self.get_kind_display()}"
