"""Working days on the Chinese calendar, including make-up working days (调休).

Order of authority: the office's CalendarDay rows, then the `chinesecalendar` package for the
years it covers, then plain Monday–Friday (with a logged warning) for years nobody has entered.
"""

import datetime
import logging

import chinese_calendar

from .models import CalendarDay

logger = logging.getLogger(__name__)


def _package_is_workday(day: datetime.date) -> bool | None:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself not counted)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    # One query for the overrides in a window generous enough for any holiday run.
    horizon = start + datetime.timedelta(days=days * 3 + 30)
    overrides = dict(
        CalendarDay.objects.filter(date__gt=start, date__lte=horizon).values_list(
            "date", "is_workday"
        )
    )
    warned = False
    day = start
    remaining = days
    while remaining:
        day += datetime.timedelta(days=1)
        if day in overrides:
            workday = overrides[day]
        else:
            workday = _package_is_workday(day)
            if workday is None:
                if not warned:
                    logger.warning("no holiday data for %s: counting Mon-Fri only", day.year)
                    warned = True
                workday = day.weekday() < 5
        if workday:
            remaining -= 1
    return day


def calendar_known(year: int) -> bool:
    """Whether holidays for `year` are known (package or office entries)."""
    if CalendarDay.objects.filter(date__year=year).exists():
        return True
    return _package_is_workday(datetime.date(year, 1, 1)) is not None
