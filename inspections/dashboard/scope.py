"""The dashboard's period, its scope (the bulletins' Scope narrowed to a user and a department)
and its figures: a number with the link of the list that shows the same number, and 同比."""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from .. import stats
from ..models import Accident, EnforcementAction, Hazard, Inspection

S = Hazard.Status
OPEN = list(Hazard.OPEN_STATUSES)
CLOSED = S.CLOSED
# Found, then not accepted as a hazard to rectify: out of both rates' denominators.
NOT_ACCEPTED = [S.REJECTED, S.MERGED, S.VOID]


# ---------------------------------------------------------------- periods and scope


@dataclass(frozen=True)
class Span:
    start: datetime.date
    end: datetime.date

    def last_year(self) -> "Span":
        return Span(stats.same_day_last_year(self.start), stats.same_day_last_year(self.end))

    def closed_bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """closed_at bounds equal to the ledger's closed_from/closed_to (local calendar days)."""
        tz = timezone.get_current_timezone()
        lower = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=tz)
        upper = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        return lower, upper

    @property
    def label(self) -> str:
        return stats.period_label(self.start, self.end)


@dataclass(frozen=True)
class Period:
    """The chosen period, cut at today: figures of a month still running are compared with the
    same days of last year's month, not with the whole of it."""

    kind: str  # month / quarter / year / custom
    start: datetime.date
    end: datetime.date
    today: datetime.date

    @property
    def upto(self) -> datetime.date:
        return min(self.end, self.today) if self.start <= self.today else self.end

    @property
    def current(self) -> Span:
        return Span(self.start, self.upto)

    @property
    def year_to_date(self) -> Span:
        return Span(self.upto.replace(month=1, day=1), self.upto)

    @property
    def label(self) -> str:
        label = stats.period_label(self.start, self.end)
        if self.upto < self.end:
            label += f"（截至{self.upto.month}月{self.upto.day}日）"
        return label


@dataclass(frozen=True)
class DashboardScope(stats.Scope):
    """The bulletins' scope (period, campaign, street) narrowed to what `user` may see and,
    optionally, to one department: 首办 for hazards, the inspecting / enforcing department for
    inspections and enforcement, the unit's lead department for accidents."""

    user: object = field(default=None, compare=False, hash=False)
    department_id: int | None = None

    def params(self) -> list[tuple[str, str]]:
        params = super().params()
        if self.department_id:
            params.append(("department", str(self.department_id)))
        return params

    def hazards(self) -> QuerySet:
        qs = Hazard.objects.visible_to(self.user, drafts=False)
        if self.campaign_id:
            qs = qs.filter(inspection__campaign_id=self.campaign_id)
        if self.area_id:
            # The unit's 属地 as the hazard keeps it (inspections/scope.py): no join, so the
            # dashboard's counts stay index-only, and the same column as the month counts'.
            qs = qs.filter(scope_unit_area_id=self.area_id)
        if self.department_id:
            qs = qs.filter(lead_department_id=self.department_id)
        return qs

    def all_inspections(self) -> QuerySet:
        """Submitted inspections by the district's staff, any date."""
        qs = (
            # The period's dates pick the rows, the scope filters them.
            Inspection.objects.visible_to(self.user, filtered=True)
            .filter(status=Inspection.Status.SUBMITTED)
            .exclude(kind__in=Inspection.NOT_BY_INSPECTORS)
        )
        if self.campaign_id:
            qs = qs.filter(campaign_id=self.campaign_id)
        if self.area_id:
            qs = qs.filter(unit__area_id=self.area_id)
        if self.department_id:
            qs = qs.filter(department_id=self.department_id)
        return qs

    def inspections(self) -> QuerySet:
        return self.all_inspections().filter(date__range=(self.start, self.end))

    def all_enforcement(self) -> QuerySet:
        qs = EnforcementAction.objects.visible_to(self.user).filter(voided_at__isnull=True)
        if self.campaign_id:
            qs = qs.filter(inspection__campaign_id=self.campaign_id)
        if self.area_id:
            qs = qs.filter(unit__area_id=self.area_id)
        if self.department_id:
            qs = qs.filter(department_id=self.department_id)
        return qs

    def enforcement(self) -> QuerySet:
        return self.all_enforcement().filter(decided_on__range=(self.start, self.end))

    def accidents(self) -> QuerySet:
        # Accidents belong to no campaign (as in the bulletins).
        qs = Accident.objects.visible_to(self.user).filter(voided_at__isnull=True)
        if self.area_id:
            qs = qs.filter(area_id=self.area_id)
        if self.department_id:
            qs = qs.filter(unit__lead_department_id=self.department_id)
        return qs

    def accident_params(self) -> list[tuple[str, str]]:
        params = []
        if self.area_id:
            params.append(("area", str(self.area_id)))
        if self.department_id:
            params.append(("department", str(self.department_id)))
        return params


def make_scope(
    user,
    period: Period,
    *,
    area_id: int | None = None,
    department_id: int | None = None,
    campaign_id: int | None = None,
) -> DashboardScope:
    return DashboardScope(
        start=period.start,
        end=period.upto,
        today=period.today,
        campaign_id=campaign_id,
        area_id=area_id,
        user=user,
        department_id=department_id,
    )


# ---------------------------------------------------------------- figures and 同比


def link(name: str, scope: DashboardScope, params: list[tuple[str, str]]) -> str:
    base = scope.accident_params() if name == "accident_list" else scope.params()
    return f"{reverse(name)}?{urlencode([*base, *params])}"


def figure(value, url: str, measure: str = "count") -> dict:
    """A number with the list that shows it: `measure` says how that list shows it — its row
    count, or the sum of its deaths / fines column."""
    return {"value": value, "url": url, "measure": measure}


def change(now, before, *, good: str = "up") -> dict:
    """同比: arrow and figure. Against a last year of 0 there is no percentage, only the
    difference; `good` says which direction is good news (colours the arrow)."""
    now, before = Decimal(now or 0), Decimal(before or 0)
    diff = now - before
    if diff == 0:
        return {"arrow": "→", "text": "持平", "tone": "neutral"}
    arrow = "↑" if diff > 0 else "↓"
    # More hazards found or more enforcement is neither good news nor bad.
    tone = "good" if (diff > 0) == (good == "up") else "bad"
    if good == "neutral":
        tone = "neutral"
    if before == 0:
        text = f"{'+' if diff > 0 else '−'}{_plain(abs(diff))}（去年同期为0）"
    else:
        pct = (abs(diff) * 100 / before).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        text = f"{'+' if diff > 0 else '−'}{pct}%"
    return {"arrow": arrow, "text": text, "tone": tone}


def points_change(now: Decimal | None, before: Decimal | None) -> dict:
    """同比 of a rate, in percentage points; none when either year has no denominator."""
    if now is None or before is None:
        return {"arrow": "", "text": "无可比数据", "tone": "neutral"}
    diff = ((now - before) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if diff == 0:
        return {"arrow": "→", "text": "持平", "tone": "neutral"}
    arrow = "↑" if diff > 0 else "↓"
    return {
        "arrow": arrow,
        "text": f"{'+' if diff > 0 else '−'}{abs(diff)}个百分点",
        "tone": "good" if diff > 0 else "bad",
    }


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def rate(numerator: int, denominator: int) -> Decimal | None:
    # Kept here (not stats.percent) so the dashboard can switch to shared 整改率 functions.
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def rate_text(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{(value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def wan_yuan(amount) -> str:
    """Fines in 万元 with two decimals, as official statistics print them."""
    value = Decimal(amount or 0) / Decimal(10000)
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def _found_params(span: Span) -> list[tuple[str, str]]:
    return [("found_from", span.start.isoformat()), ("found_to", span.end.isoformat())]


def _closed_params(span: Span) -> list[tuple[str, str]]:
    return [
        ("status", "closed"),
        ("closed_from", span.start.isoformat()),
        ("closed_to", span.end.isoformat()),
    ]


def month_end(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(
        days=1
    )


def months_back(last: datetime.date, count: int) -> list[datetime.date]:
    """First days of the `count` months ending with `last`'s month, oldest first."""
    months = [last.replace(day=1)]
    while len(months) < count:
        months.insert(0, (months[0] - datetime.timedelta(days=1)).replace(day=1))
    return months


def unscoped(scope: DashboardScope, *names: str) -> list[tuple[str, str]]:
    """The scope's link parameters less those a chart's rows set themselves."""
    return [(k, v) for k, v in scope.params() if k not in names]


def _url(name: str, params: list[tuple[str, str]]) -> str:
    return f"{reverse(name)}?{urlencode(params)}"
