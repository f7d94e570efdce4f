from django.conf import settings
from django.db import models


class Voidable(models.Model):
    """Records that matter are voided with a reason, never deleted (the database refuses the
    DELETE, audit/tracking.py): who, when and why stay on the record, and a voided record
    leaves the statistics."""

    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作废人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    void_reason = models.TextField("作废原因", blank=True)

    class Meta:
        abstract = True
