"""The leaders' dashboard (/dashboard/): headline figures with 同比, chart series and the
department league table, for one period and the viewer's scope.

Everything is counted in SQL — filtered aggregates and GROUP BY, a fixed number of queries
whatever the data size — over the same `visible_to(user)` querysets the ledger and the lists
use, so every figure carries the query string of the list that shows the same records:
hazards → /hazards/, enforcement → /enforcement/, accidents → /accidents/, inspections →
/inspections/. The hazard scope is a `stats.Scope` (the bulletins' one) narrowed to the user and
an optional department, so the league table reuses the bulletins' per-department figures and
their 一票否决 rules.

Stock figures (overdue now, open major hazards) have no 同比: the records keep no status as of
a past day, and a comparison that no list can show would break "every number is a link".
"""

import dataclasses
import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from units.models import Category, Unit

from . import bulletin_rules, stats
from . import dashboard_charts as charts
from .models import Accident, EnforcementAction, Hazard, Inspection

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
        qs = Hazard.objects.visible_to(self.user).exclude(status=S.DRAFT)
        if self.campaign_id:
            qs = qs.filter(inspection__campaign_id=self.campaign_id)
        if self.area_id:
            qs = qs.filter(unit__area_id=self.area_id)
        if self.department_id:
            qs = qs.filter(lead_department_id=self.department_id)
        return qs

    def all_inspections(self) -> QuerySet:
        """Submitted inspections by the district's staff, any date."""
        qs = (
            Inspection.objects.visible_to(self.user)
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
        qs = EnforcementAction.objects.visible_to(self.user)
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
        qs = Accident.objects.visible_to(self.user)
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


def hazard_headline(scope: DashboardScope, period: Period) -> dict:
    """Found / closed in the period and year to date, both rates, overdue and open major
    hazards: one query."""
    spans = {
        "cur": period.current,
        "last": period.current.last_year(),
        "ytd": period.year_to_date,
        "last_ytd": period.year_to_date.last_year(),
    }
    aggregates: dict[str, Count] = {}
    for name, span in spans.items():
        lower, upper = span.closed_bounds()
        found = Q(found_on__range=(span.start, span.end))
        aggregates[f"found_{name}"] = Count("id", filter=found)
        aggregates[f"closed_{name}"] = Count(
            "id", filter=Q(status=CLOSED, closed_at__gte=lower, closed_at__lt=upper)
        )
        if name in ("cur", "last"):
            accepted = found & ~Q(status__in=NOT_ACCEPTED)
            due = accepted & Q(deadline__lte=span.end)
            aggregates[f"accepted_{name}"] = Count("id", filter=accepted)
            aggregates[f"found_closed_{name}"] = Count("id", filter=found & Q(status=CLOSED))
            aggregates[f"due_{name}"] = Count("id", filter=due)
            aggregates[f"due_closed_{name}"] = Count("id", filter=due & Q(status=CLOSED))
    major_open = Q(level=Hazard.Level.MAJOR, status__in=OPEN)
    aggregates["major_open"] = Count("id", filter=major_open)
    aggregates["major_listed"] = Count("id", filter=major_open & ~Q(listed_document=""))

    first = min(span.start for span in spans.values())
    last = max(span.end for span in spans.values())
    lower, upper = Span(first, last).closed_bounds()
    relevant = (
        Q(found_on__range=(first, last))
        | Q(status__in=OPEN)
        | Q(status=CLOSED, closed_at__gte=lower, closed_at__lt=upper)
    )
    c = {
        k: int(v or 0) for k, v in scope.hazards().filter(relevant).aggregate(**aggregates).items()
    }
    # Its own query, so 逾期 stays the one definition in HazardQuerySet.overdue().
    c["overdue"] = scope.hazards().overdue(period.today).count()

    def found_fig(name: str) -> dict:
        return figure(c[f"found_{name}"], link("hazard_list", scope, _found_params(spans[name])))

    def closed_fig(name: str) -> dict:
        return figure(c[f"closed_{name}"], link("hazard_list", scope, _closed_params(spans[name])))

    def rates(name: str) -> dict:
        span = spans[name]
        found = _found_params(span)
        due = [*found, ("deadline_to", span.end.isoformat())]
        rectified = rate(c[f"found_closed_{name}"], c[f"accepted_{name}"])
        due_rate = rate(c[f"due_closed_{name}"], c[f"due_{name}"])
        return {
            "rate": rectified,
            "rate_text": rate_text(rectified),
            "closed": figure(
                c[f"found_closed_{name}"],
                link("hazard_list", scope, [*found, ("status", "closed")]),
            ),
            "accepted": figure(
                c[f"accepted_{name}"], link("hazard_list", scope, [*found, ("status", "accepted")])
            ),
            "due_rate": due_rate,
            "due_rate_text": rate_text(due_rate),
            "due_closed": figure(
                c[f"due_closed_{name}"], link("hazard_list", scope, [*due, ("status", "closed")])
            ),
            "due": figure(
                c[f"due_{name}"], link("hazard_list", scope, [*due, ("status", "accepted")])
            ),
        }

    cur_rates, last_rates = rates("cur"), rates("last")
    return {
        "found": {
            "cur": found_fig("cur"),
            "last": found_fig("last"),
            "change": change(c["found_cur"], c["found_last"], good="neutral"),
            "ytd": found_fig("ytd"),
            "last_ytd": found_fig("last_ytd"),
            "ytd_change": change(c["found_ytd"], c["found_last_ytd"], good="neutral"),
        },
        "closed": {
            "cur": closed_fig("cur"),
            "last": closed_fig("last"),
            "change": change(c["closed_cur"], c["closed_last"], good="up"),
            "ytd": closed_fig("ytd"),
            "last_ytd": closed_fig("last_ytd"),
            "ytd_change": change(c["closed_ytd"], c["closed_last_ytd"], good="up"),
        },
        "rates": {
            "cur": cur_rates,
            "last": last_rates,
            "rate_change": points_change(cur_rates["rate"], last_rates["rate"]),
            "due_rate_change": points_change(cur_rates["due_rate"], last_rates["due_rate"]),
        },
        "overdue": figure(c["overdue"], link("hazard_list", scope, [("status", "overdue")])),
        "major_open": figure(
            c["major_open"], link("hazard_list", scope, [("level", "major"), ("status", "open")])
        ),
        "major_listed": figure(
            c["major_listed"],
            link("hazard_list", scope, [("level", "major"), ("status", "open"), ("listed", "1")]),
        ),
    }


def enforcement_headline(scope: DashboardScope, period: Period) -> dict:
    """执法措施 of the period and of last year's same days, by kind, with fines: one query."""
    cur, last = period.current, period.current.last_year()
    in_cur = Q(decided_on__range=(cur.start, cur.end))
    in_last = Q(decided_on__range=(last.start, last.end))
    rows = {
        row["kind"]: row
        for row in scope.all_enforcement()
        .filter(in_cur | in_last)
        .order_by()
        .values("kind")
        .annotate(
            cur=Count("id", filter=in_cur),
            last=Count("id", filter=in_last),
            cur_fines=Sum("fine_amount", filter=in_cur),
            last_fines=Sum("fine_amount", filter=in_last),
        )
    }

    def params(span: Span, kind: str | None = None) -> list[tuple[str, str]]:
        p = [("decided_from", span.start.isoformat()), ("decided_to", span.end.isoformat())]
        return [*p, ("kind", kind)] if kind else p

    kinds = []
    for kind, label in EnforcementAction.Kind.choices:
        row = rows.get(kind, {})
        now, before = int(row.get("cur") or 0), int(row.get("last") or 0)
        kinds.append(
            {
                "kind": kind,
                "label": label,
                "cur": figure(now, link("enforcement_list", scope, params(cur, kind))),
                "last": figure(before, link("enforcement_list", scope, params(last, kind))),
                "change": change(now, before, good="neutral"),
            }
        )
    total_cur = sum(k["cur"]["value"] for k in kinds)
    total_last = sum(k["last"]["value"] for k in kinds)
    fine = rows.get(EnforcementAction.Kind.FINE, {})
    fines_cur, fines_last = fine.get("cur_fines") or 0, fine.get("last_fines") or 0
    return {
        "kinds": kinds,
        "total": figure(total_cur, link("enforcement_list", scope, params(cur))),
        "total_last": figure(total_last, link("enforcement_list", scope, params(last))),
        "change": change(total_cur, total_last, good="neutral"),
        "fines": figure(
            wan_yuan(fines_cur), link("enforcement_list", scope, params(cur, "fine")), "fines"
        ),
        "fines_last": figure(
            wan_yuan(fines_last), link("enforcement_list", scope, params(last, "fine")), "fines"
        ),
        "fines_change": change(fines_cur, fines_last, good="neutral"),
    }


def accident_headline(scope: DashboardScope, period: Period) -> dict:
    """Accidents, deaths and fires in the period and year to date against last year: one query."""
    spans = {
        "cur": period.current,
        "last": period.current.last_year(),
        "ytd": period.year_to_date,
        "last_ytd": period.year_to_date.last_year(),
    }
    fire = Q(kind=Accident.Kind.FIRE)
    aggregates = {}
    for name, span in spans.items():
        when = Q(occurred_on__range=(span.start, span.end))
        aggregates[f"count_{name}"] = Count("id", filter=when)
        aggregates[f"deaths_{name}"] = Sum("deaths", filter=when)
        aggregates[f"fires_{name}"] = Count("id", filter=when & fire)
    first = min(span.start for span in spans.values())
    last = max(span.end for span in spans.values())
    row = scope.accidents().filter(occurred_on__range=(first, last)).aggregate(**aggregates)
    c = {k: int(v or 0) for k, v in row.items()}

    def params(name: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
        span = spans[name]
        return [
            ("occurred_from", span.start.isoformat()),
            ("occurred_to", span.end.isoformat()),
            *extra,
        ]

    result = {"rows": []}
    for key, label, unit, extra, good in (
        ("count", "事故", "起", (), "down"),
        ("deaths", "死亡", "人", (("with_deaths", "true"),), "down"),
        ("fires", "火灾", "起", (("kind", "fire"),), "down"),
    ):
        entry = {"key": key, "label": label, "unit": unit}
        for name in spans:
            # The list behind a death toll: the accidents with deaths, whose deaths add up to it.
            entry[name] = figure(
                c[f"{key}_{name}"],
                link("accident_list", scope, params(name, *extra)),
                "deaths" if key == "deaths" else "count",
            )
        entry["change"] = change(c[f"{key}_cur"], c[f"{key}_last"], good=good)
        entry["ytd_change"] = change(c[f"{key}_ytd"], c[f"{key}_last_ytd"], good=good)
        result[key] = entry
        result["rows"].append(entry)
    return result


def spans_context(period: Period) -> dict:
    return {
        "cur": period.current,
        "last": period.current.last_year(),
        "ytd": period.year_to_date,
        "last_ytd": period.year_to_date.last_year(),
    }


# ---------------------------------------------------------------- chart series


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


def _month_label(month: datetime.date, first: bool) -> str:
    return f"{month.month}月" if month.month != 1 or first else f"{month.year % 100}年1月"


def _by_month(qs: QuerySet, field_name: str, **aggregates) -> dict[datetime.date, dict]:
    rows = qs.order_by().annotate(m=TruncMonth(field_name)).values("m").annotate(**aggregates)
    result = {}
    for row in rows:
        month = row["m"]
        if isinstance(month, datetime.datetime):
            month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
        result[month] = row
    return result


def unscoped(scope: DashboardScope, *names: str) -> list[tuple[str, str]]:
    """The scope's link parameters less those a chart's rows set themselves."""
    return [(k, v) for k, v in scope.params() if k not in names]


def _url(name: str, params: list[tuple[str, str]]) -> str:
    return f"{reverse(name)}?{urlencode(params)}"


def found_closed_by_month(scope: DashboardScope, period: Period) -> dict:
    """Hazards found and hazards closed in each of the 12 months up to the period's end."""
    months = months_back(period.upto, 12)
    first, last = months[0], month_end(months[-1])
    found = _by_month(
        scope.hazards().filter(found_on__range=(first, last)), "found_on", n=Count("id")
    )
    lower, upper = Span(first, last).closed_bounds()
    closed = _by_month(
        scope.hazards().filter(status=CLOSED, closed_at__gte=lower, closed_at__lt=upper),
        "closed_at",
        n=Count("id"),
    )
    found_points, closed_points, rows = [], [], []
    for month in months:
        span = Span(month, month_end(month))
        f = figure(
            int(found.get(month, {}).get("n") or 0),
            link("hazard_list", scope, _found_params(span)),
        )
        c = figure(
            int(closed.get(month, {}).get("n") or 0),
            link("hazard_list", scope, _closed_params(span)),
        )
        found_points.append(f)
        closed_points.append(c)
        rows.append({"label": f"{month.year}年{month.month}月", "cells": [f, c]})
    labels = [_month_label(m, i == 0) for i, m in enumerate(months)]
    return {
        "id": "found-closed",
        "title": "隐患发现与销号（近12个月）",
        "svg": charts.grouped_columns(
            labels,
            [
                {"name": "发现", "cls": "s-found", "points": found_points},
                {"name": "销号", "cls": "s-closed", "points": closed_points},
            ],
        ),
        "head": ["月份", "发现", "销号"],
        "rows": rows,
    }


def overdue_by_department(scope: DashboardScope, period: Period) -> dict:
    """Overdue hazards now by 首办 department, most first: the laggards at the top."""
    qs = (
        scope.hazards()
        .overdue(period.today)
        .order_by()
        .values("lead_department", "lead_department__name", "lead_department__short_name")
        .annotate(n=Count("id"))
        .order_by("-n", "lead_department")
    )
    base = unscoped(scope, "department")
    rows, bars = [], []
    for row in qs:
        name = row["lead_department__short_name"] or row["lead_department__name"]
        f = figure(
            row["n"],
            _url(
                "hazard_list",
                [*base, ("department", str(row["lead_department"])), ("status", "overdue")],
            ),
        )
        rows.append({"label": name, "cells": [f]})
        bars.append(
            {
                "label": name,
                "segments": [{"name": "逾期", "cls": "s-overdue", **f}],
            }
        )
    return {
        "id": "overdue-departments",
        "title": "逾期未整改隐患（按首办部门，当前）",
        "svg": charts.horizontal_bars(bars),
        "head": ["部门", "逾期"],
        "rows": rows,
        "empty": "当前没有逾期隐患",
    }


def by_type_and_level(scope: DashboardScope, period: Period) -> dict:
    """Hazards found in the period by 类别, 一般 and 重大 stacked."""
    span = period.current
    counts = {
        (row["hazard_type"], row["level"]): row["n"]
        for row in scope.hazards()
        .filter(found_on__range=(span.start, span.end))
        .order_by()
        .values("hazard_type", "level")
        .annotate(n=Count("id"))
    }
    levels = [(Hazard.Level.GENERAL, "s-general"), (Hazard.Level.MAJOR, "s-major")]
    rows, bars = [], []
    for value, label in Hazard.Type.choices:
        cells = []
        for level, _cls in levels:
            params = [*_found_params(span), ("type", value), ("level", level)]
            cells.append(figure(counts.get((value, level), 0), link("hazard_list", scope, params)))
        total = figure(
            sum(c["value"] for c in cells),
            link("hazard_list", scope, [*_found_params(span), ("type", value)]),
        )
        rows.append({"label": label, "cells": [*cells, total]})
    rows.sort(key=lambda r: -r["cells"][2]["value"])
    for row in rows:
        bars.append(
            {
                "label": row["label"],
                "segments": [
                    {"name": level.label, "cls": cls, **cell}
                    for (level, cls), cell in zip(levels, row["cells"][:2], strict=True)
                ],
            }
        )
    return {
        "id": "types",
        "title": f"本期发现隐患（按类别和等级，{span.label}）",
        "svg": charts.horizontal_bars(bars, label_width=80),
        "head": ["类别", "一般隐患", "重大隐患", "合计"],
        "rows": rows,
    }


def accidents_by_month(scope: DashboardScope, period: Period) -> list[dict]:
    """Accidents and fires per month, this year against last year (two charts, one query)."""
    year = period.upto.year
    fire = Q(kind=Accident.Kind.FIRE)
    monthly = _by_month(
        scope.accidents().filter(
            occurred_on__range=(datetime.date(year - 1, 1, 1), datetime.date(year, 12, 31))
        ),
        "occurred_on",
        n=Count("id"),
        fires=Count("id", filter=fire),
    )
    result = []
    for key, title, extra in (
        ("n", "事故起数", []),
        ("fires", "火灾起数", [("kind", Accident.Kind.FIRE)]),
    ):
        this_points, last_points, rows = [], [], []
        for month in range(1, 13):
            cells = []
            for y in (year, year - 1):
                first = datetime.date(y, month, 1)
                params = [
                    ("occurred_from", first.isoformat()),
                    ("occurred_to", month_end(first).isoformat()),
                    *extra,
                ]
                cells.append(
                    figure(
                        int(monthly.get(first, {}).get(key) or 0),
                        link("accident_list", scope, params),
                    )
                )
            this_points.append(cells[0])
            last_points.append(cells[1])
            rows.append({"label": f"{month}月", "cells": cells})
        result.append(
            {
                "id": f"accidents-{'fires' if key == 'fires' else 'all'}",
                "title": f"{title}（{year}年与{year - 1}年逐月对比）",
                "svg": charts.grouped_columns(
                    [f"{m}" for m in range(1, 13)],
                    [
                        {"name": f"{year}年", "cls": "s-this", "points": this_points},
                        {"name": f"{year - 1}年", "cls": "s-last", "points": last_points},
                    ],
                    height=190,
                ),
                "head": ["月份", f"{year}年", f"{year - 1}年"],
                "rows": rows,
            }
        )
    return result


def coverage(scope: DashboardScope, period: Period) -> dict:
    """Units inspected in the period against the units on the register (not closed), per key
    category or the campaign's target categories — "180 of 213 construction sites"."""
    categories = Category.objects.filter(is_key=True)
    if scope.campaign_id:
        targeted = Category.objects.filter(campaign=scope.campaign_id)
        # Evaluated with the page's other queries only when a campaign is chosen.
        if targeted.exists():
            categories = targeted
    units = Unit.objects.visible_to(scope.user).exclude(status=Unit.Status.CLOSED)
    if scope.area_id:
        units = units.filter(area_id=scope.area_id)
    # Coverage is of the street's / campaign's units whoever inspected them: no department.
    inspections = dataclasses.replace(scope, department_id=None).inspections()
    registered = {
        row["category"]: row["n"]
        for row in units.order_by().values("category").annotate(n=Count("id"))
    }
    inspected = {
        row["unit__category"]: row["n"]
        for row in inspections.order_by()
        .values("unit__category")
        .annotate(n=Count("unit", distinct=True))
    }
    span = period.current
    area = [("area", str(scope.area_id))] if scope.area_id else []
    campaign = [("campaign", str(scope.campaign_id))] if scope.campaign_id else []
    rows, bars = [], []
    for cat in categories.order_by("sort_order", "id").values("id", "name"):
        total = int(registered.get(cat["id"]) or 0)
        done = int(inspected.get(cat["id"]) or 0)
        reg = figure(
            total,
            _url("units:list", [("category", str(cat["id"])), *area, ("status", "active")]),
        )
        ins = figure(
            done,
            _url(
                "inspection_list",
                [
                    ("category", str(cat["id"])),
                    *area,
                    *campaign,
                    ("status", Inspection.Status.SUBMITTED),
                    ("staff", "1"),
                    ("date_from", span.start.isoformat()),
                    ("date_to", span.end.isoformat()),
                ],
            ),
            "units",
        )
        share = rate_text(rate(min(done, total), total))
        rows.append({"label": cat["name"], "cells": [ins, reg], "rate": share})
        bars.append({"label": cat["name"], "registered": reg, "inspected": ins, "rate": share})
    return {
        "id": "coverage",
        "title": f"重点行业/场所检查覆盖（{span.label}）",
        "svg": charts.coverage_bars(bars),
        "head": ["行业/场所", "已检查单位", "登记在册", "覆盖率"],
        "rows": rows,
        "note": "登记在册不含已关闭取缔的单位；按街道、专项检查筛选，不按部门。",
    }


def league(scope: DashboardScope, period: Period) -> dict:
    """Per department: inspections, hazards found, 整改率, overdue rate, 一票否决 — the
    bulletins' own per-department figures and rules."""
    config = bulletin_rules.RuleConfig.from_settings()
    rows = stats.by_department(
        scope,
        major_overdue_days=settings.BULLETIN_VETO_MAJOR_OVERDUE_DAYS,
        untouched_days=settings.BULLETIN_CRITICISE_UNTOUCHED_DAYS,
    )
    own = None if scope.user.sees_everything else scope.user.department_id
    wanted = scope.department_id or own
    if wanted:
        rows = [row for row in rows if row["id"] == wanted]
    span = period.current
    base = unscoped(scope, "department")
    hazard_base = reverse("hazard_list")
    result = []
    for row in rows:
        found_effective = row["found_effective"]
        value = rate(row["found_closed"]["value"], found_effective)
        inspections = figure(
            row["inspections"],
            _url(
                "inspection_list",
                [
                    *base,
                    ("department", str(row["id"])),
                    ("status", Inspection.Status.SUBMITTED),
                    ("staff", "1"),
                    ("date_from", span.start.isoformat()),
                    ("date_to", span.end.isoformat()),
                ],
            ),
        )
        result.append(
            {
                "id": row["id"],
                "name": row["short_name"],
                "inspections": inspections,
                "found": figure(row["found"]["value"], f"{hazard_base}?{row['found']['query']}"),
                "found_closed": figure(
                    row["found_closed"]["value"], f"{hazard_base}?{row['found_closed']['query']}"
                ),
                "rate": value,
                "rate_text": rate_text(value),
                "open": figure(row["open"]["value"], f"{hazard_base}?{row['open']['query']}"),
                "overdue": figure(
                    row["overdue"]["value"], f"{hazard_base}?{row['overdue']['query']}"
                ),
                "overdue_rate": row["overdue_rate"],
                "veto": bulletin_rules.veto_reasons(row, config),
            }
        )
    result.sort(
        key=lambda r: (r["rate"] is None, -(r["rate"] or 0), -r["overdue"]["value"], r["id"])
    )
    return {"rows": result, "period": span.label}


def compute(scope: DashboardScope, period: Period) -> dict:
    """Every figure of the page, as plain data (cached as a whole)."""
    return {
        "hazards": hazard_headline(scope, period),
        "enforcement": enforcement_headline(scope, period),
        "accidents": accident_headline(scope, period),
        "charts": [
            found_closed_by_month(scope, period),
            overdue_by_department(scope, period),
            by_type_and_level(scope, period),
            *accidents_by_month(scope, period),
            coverage(scope, period),
        ],
        "league": league(scope, period),
    }
