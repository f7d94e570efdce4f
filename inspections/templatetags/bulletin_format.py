"""Filters of the bulletin document: dates as official documents write them."""

import datetime

from django import template

from ..stats import chinese_date

register = template.Library()


@register.filter
def cn_date(value) -> str:
    """ "2026-06-12" (as the statistics snapshot stores dates) → 2026年6月12日; "" stays ""."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            return value
    return chinese_date(value)
