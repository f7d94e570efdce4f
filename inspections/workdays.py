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
    if _package_is_workday(datetime.date(year, 1, 1)) is not None:
        return True
    return CalendarDay.objects.filter(date__year=year).exists()


def uncovered_years(start: datetime.date, end: datetime.date) -> list[int]:
    """The years from `start` to `end` whose holidays nobody has entered."""
    return [year for year in range(start.year, end.year + 1) if not calendar_known(year)]


def working_days_problem(start: datetime.date, deadline: datetime.date) -> str | None:
    """The message for a form's working-days field when the count ran through a year the
    calendar does not cover: counted Mon–Fri, the deadline may be days off (春节, 国庆)."""
    missing = uncovered_years(start, deadline)
    if not missing:
        return None
    years = "、".join(f"{year}年" for year in missing)
    return (
        f"{years}节假日安排尚未录入，按工作日计算的期限（{deadline:%Y-%m-%d}）可能不准确："
        "请改填具体日期，或请管理员先在“节假日/调休”中录入该年的放假安排"
    )


def years_to_enter(today: datetime.date) -> list[int]:
    """For the office's home page: this year if missing, and next year from October on, when
    deadlines given now start to run into it (the State Council publishes it in Nov–Dec)."""
    years = [today.year] + ([today.year + 1] if today.month >= 10 else [])
    return [year for year in years if not calendar_known(year)]
