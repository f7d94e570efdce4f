"""Days the office marks as holiday or make-up working day (调休), overriding the package."""

from django.db import models


class CalendarDay(models.Model):
    """The State Council publishes next year's holiday schedule each winter; until the
    `chinesecalendar` package ships it, the office enters those days here (admin)."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日", help_text="节假日不勾选；调休上班日勾选")
    note = models.CharField("说明", max_length=50, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "节假日/调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.note}"
