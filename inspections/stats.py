"""Statistics for 通报 (bulletins): pure functions over a period and an optional scope.

Everything is counted in SQL (filtered aggregates, GROUP BY); no function here loops over hazard
rows. Every hazard figure is a `Figure` — {"value": n, "query": "..."} — whose query string, given
to the ledger (/hazards/?<query>, filters of inspections.filters.HazardFilter), lists exactly the
hazards counted. Statuses are "now" (the day the figures are taken), as the ledger shows them.

The result of `compute()` is plain JSON (stored in Bulletin.stats): the PDF is rendered from that
snapshot, so a circulated bulletin never changes when the records do.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.db import connections
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from units.models import Area, Category, Department, Unit

from .models import (
    Accident,
    EnforcementAction,
    Hazard,
    HazardEvent,
    Inspection,
    overdue_q,
)
from .models.hazards import overdue_parts

S = Hazard.Status
OPEN = list(Hazard.OPEN_STATUSES)
# Found, then not accepted as a hazard to rectify: left out of the rectification rate.
NOT_ACCEPTED = [S.REJECTED, S.MERGED, S.VOID]
# Events that are not work on the hazard: a second 督办 or a remark does not count as handling it.
NOT_HANDLING = [
    HazardEvent.Action.ESCALATE,
    HazardEvent.Action.LIST,
    HazardEvent.Action.COMMENT,
    # The supervision office's own follow-up is not the department acting.
    HazardEvent.Action.URGE,
    HazardEvent.Action.INTERVIEW,
    HazardEvent.Action.NOTICE,
    HazardEvent.Action.PROPOSE_LISTING,
]

Figure = dict  # {"value": int, "query": str}


@dataclass(frozen=True)
class Scope:
    """A bulletin's period and optional campaign / area, plus the day statuses are read."""

    start: datetime.date
    end: datetime.date
    today: datetime.date
    campaign_id: int | None = None
    area_id: int | None = None

    def params(self) -> list[tuple[str, str]]:
        params = []
        if self.campaign_id:
            params.append(("campaign", str(self.campaign_id)))
        if self.area_id:
            params.append(("area", str(self.area_id)))
        return params

    def found_params(self) -> list[tuple[str, str]]:
        return [("found_from", self.start.isoformat()), ("found_to", self.end.isoformat())]

    def hazards(self) -> QuerySet:
        """Hazards on the ledger (drafts are not) within the campaign / area."""
        qs = Hazard.objects.exclude(status=S.DRAFT)
        if self.campaign_id:
            qs = qs.filter(inspection__campaign_id=self.campaign_id)
        if self.area_id:
            qs = qs.filter(unit__area_id=self.area_id)
        return qs

    def inspections(self) -> QuerySet:
        """Inspections by the district's staff: a unit's self-inspection or a report received
        from another system is no inspection of the department's."""
        qs = Inspection.objects.filter(
            status=Inspection.Status.SUBMITTED, date__range=(self.start, self.end)
        ).exclude(kind__in=Inspection.NOT_BY_INSPECTORS)
        if self.campaign_id:
            qs = qs.filter(campaign_id=self.campaign_id)
        if self.area_id:
            qs = qs.filter(unit__area_id=self.area_id)
        return qs

    def enforcement(self) -> QuerySet:
        qs = EnforcementAction.objects.filter(
            decided_on__range=(self.start, self.end), voided_at__isnull=True
        )
        if self.campaign_id:
            qs = qs.filter(inspection__campaign_id=self.campaign_id)
        if self.area_id:
            qs = qs.filter(unit__area_id=self.area_id)
        return qs

    def accidents(self) -> QuerySet:
        # Accidents belong to no campaign: a campaign bulletin reports those of its period.
        qs = Accident.objects.filter(voided_at__isnull=True)
        if self.area_id:
            qs = qs.filter(area_id=self.area_id)
        return qs

    def closed_bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """closed_at range equal to the ledger's closed_from/closed_to (local calendar days)."""
        tz = timezone.get_current_timezone()
        lower = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=tz)
        upper = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        return lower, upper


def figure(value: int, scope: Scope, *params: tuple[str, str]) -> Figure:
    """A count with the ledger query string that lists the same hazards."""
    return {"value": int(value or 0), "query": urlencode([*scope.params(), *params])}


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """Exact ratio for the rules (no float rounding at a boundary); None when undefined."""
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def percent(numerator: int, denominator: int) -> str:
    value = ratio(numerator, denominator)
    if value is None:
        return "—"
    return f"{(value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def hazard_counts(scope: Scope, *, major_overdue_days: int) -> dict[str, Count]:
    """Filtered COUNTs shared by the summary and every table (one pass over the scope)."""
    lower, upper = scope.closed_bounds()
    found = Q(found_on__range=(scope.start, scope.end))
    overdue = overdue_q(scope.today)
    major = Q(level=Hazard.Level.MAJOR)
    veto_before = scope.today - datetime.timedelta(days=major_overdue_days)
    return {
        "found": Count("id", filter=found),
        "found_general": Count("id", filter=found & Q(level=Hazard.Level.GENERAL)),
        "found_major": Count("id", filter=found & major),
        # 企业自查自报: what units found themselves, against what inspections found.
        "found_self": Count("id", filter=found & Q(source=Hazard.Source.SELF_CHECK)),
        "found_closed": Count("id", filter=found & Q(status=S.CLOSED)),
        "found_open": Count("id", filter=found & Q(status__in=OPEN)),
        "found_overdue": Count("id", filter=found & overdue),
        "found_not_accepted": Count("id", filter=found & Q(status__in=NOT_ACCEPTED)),
        "closed_in_period": Count(
            "id", filter=Q(status=S.CLOSED, closed_at__gte=lower, closed_at__lt=upper)
        ),
        "open": Count("id", filter=Q(status__in=OPEN)),
        "overdue": Count("id", filter=overdue),
        "major_open": Count("id", filter=major & Q(status__in=OPEN)),
        "major_overdue": Count("id", filter=major & overdue),
        # Overdue more than N days: the time limit before today − N.
        "major_overdue_beyond": Count("id", filter=major & overdue_q(veto_before)),
        "escalated_open": Count("id", filter=Q(status__in=OPEN, escalated_at__isnull=False)),
    }


RATE_DEFINITIONS = (
    "整改率＝本期排查出的隐患中已整改（已销号）的项数÷本期排查出的隐患数（不含不予认定、合并、作废）。",
    "到期整改率＝本期排查出的隐患中已整改（已销号）的项数÷（已整改项数＋逾期未整改项数），"
    "尚未到整改期限的在办隐患不计入，本期新发现、尚未到期的隐患不影响该比例。",
)


@dataclass(frozen=True)
class Rates:
    """整改率 and 到期整改率 of one set of hazards (see RATE_DEFINITIONS).

    found: hazards found (不予认定/合并/作废 left out); rectified: of those, 已销号;
    overdue: of those, still open and 逾期 by Hazard's one definition."""

    found: int
    rectified: int
    overdue: int

    @property
    def due(self) -> int:
        """Hazards whose time is up: done, or overdue. Open ones not yet due are left out."""
        return self.rectified + self.overdue

    @property
    def rate(self) -> Decimal | None:
        return ratio(self.rectified, self.found)

    @property
    def due_rate(self) -> Decimal | None:
        return ratio(self.rectified, self.due)

    @property
    def rate_label(self) -> str:
        return percent(self.rectified, self.found)

    @property
    def due_rate_label(self) -> str:
        return percent(self.rectified, self.due)


def rectification_rates(
    hazards: QuerySet, *, start: datetime.date, end: datetime.date, today: datetime.date
) -> Rates:
    """整改率 and 到期整改率 of the hazards in `hazards` found from `start` to `end`, statuses
    read on `today`; one aggregate query. `hazards` is any hazard queryset (a dashboard passes
    Hazard.objects.visible_to(user), a department's, a street's …); drafts never count."""
    found = Q(found_on__range=(start, end))
    counts = (
        hazards.exclude(status=S.DRAFT)
        .filter(found)
        .aggregate(
            found=Count("id", filter=~Q(status__in=NOT_ACCEPTED)),
            rectified=Count("id", filter=Q(status=S.CLOSED)),
            overdue=Count("id", filter=overdue_q(today)),
        )
    )
    return Rates(**{key: int(value or 0) for key, value in counts.items()})


def rectification_rates_by(
    hazards: QuerySet, key: str, *, start: datetime.date, end: datetime.date, today: datetime.date
) -> dict[int, Rates]:
    """rectification_rates grouped by `key` ("lead_department", "unit__area", …), one query."""
    rows = (
        hazards.exclude(status=S.DRAFT)
        .filter(found_on__range=(start, end))
        .values(key)
        .order_by()
        .annotate(
            found=Count("id", filter=~Q(status__in=NOT_ACCEPTED)),
            rectified=Count("id", filter=Q(status=S.CLOSED)),
            overdue=Count("id", filter=overdue_q(today)),
        )
    )
    return {
        row[key]: Rates(found=row["found"], rectified=row["rectified"], overdue=row["overdue"])
        for row in rows
    }


def _relevant(scope: Scope, qs: QuerySet) -> QuerySet:
    """Only rows some count can include: lets PostgreSQL combine the found-date and status
    indexes instead of reading every hazard ever recorded."""
    lower, upper = scope.closed_bounds()
    return qs.filter(
        Q(found_on__range=(scope.start, scope.end))
        | Q(status__in=OPEN)
        | Q(status=S.CLOSED, closed_at__gte=lower, closed_at__lt=upper)
    )


def hazard_figures(
    counts: dict, scope: Scope, base: Iterable[tuple[str, str]], *, major_overdue_days: int
) -> dict:
    """Turns one row of `hazard_counts` into figures with their ledger links.

    `base` is the row's own filter (e.g. ("department", "3")); the scope's filters are added."""
    base = list(base)
    found = [*base, *scope.found_params()]
    lower = scope.start.isoformat()
    upper = scope.end.isoformat()
    veto_to = (scope.today - datetime.timedelta(days=major_overdue_days + 1)).isoformat()
    c = {key: int(counts.get(key) or 0) for key in HAZARD_KEYS}
    effective = c["found"] - c["found_not_accepted"]
    rates = Rates(found=effective, rectified=c["found_closed"], overdue=c["found_overdue"])
    return {
        "found": figure(c["found"], scope, *found),
        "found_general": figure(c["found_general"], scope, *found, ("level", "general")),
        "found_major": figure(c["found_major"], scope, *found, ("level", "major")),
        "found_self": figure(c["found_self"], scope, *found, ("source", "self_check")),
        "found_not_self": c["found"] - c["found_self"],
        "found_closed": figure(c["found_closed"], scope, *found, ("status", "closed")),
        "found_open": figure(c["found_open"], scope, *found, ("status", "open")),
        "found_overdue": figure(c["found_overdue"], scope, *found, ("status", "overdue")),
        "found_not_accepted": c["found_not_accepted"],
        "found_effective": effective,
        "rate": rates.rate_label,
        "due_rate": rates.due_rate_label,
        "closed_in_period": figure(
            c["closed_in_period"],
            scope,
            *base,
            ("status", "closed"),
            ("closed_from", lower),
            ("closed_to", upper),
        ),
        "open": figure(c["open"], scope, *base, ("status", "open")),
        "overdue": figure(c["overdue"], scope, *base, ("status", "overdue")),
        "overdue_rate": percent(c["overdue"], c["open"]),
        "major_open": figure(c["major_open"], scope, *base, ("level", "major"), ("status", "open")),
        "major_overdue": figure(
            c["major_overdue"], scope, *base, ("level", "major"), ("status", "overdue")
        ),
        "major_overdue_beyond": figure(
            c["major_overdue_beyond"],
            scope,
            *base,
            ("level", "major"),
            ("status", "overdue"),
            ("due_to", veto_to),
        ),
        "escalated_open": figure(
            c["escalated_open"], scope, *base, ("status", "open"), ("escalated", "1")
        ),
    }


HAZARD_KEYS = (
    "found",
    "found_general",
    "found_major",
    "found_self",
    "found_closed",
    "found_open",
    "found_overdue",
    "found_not_accepted",
    "closed_in_period",
    "open",
    "overdue",
    "major_open",
    "major_overdue",
    "major_overdue_beyond",
    "escalated_open",
)


def _inspection_counts(scope: Scope) -> tuple[QuerySet, dict]:
    has_hazards = Exists(
        Hazard.objects.filter(inspection_id=OuterRef("pk")).exclude(status=S.DRAFT)
    )
    key = Q(unit__category__is_key=True)
    qs = scope.inspections().annotate(has_hazards=has_hazards)
    return qs, {
        "inspections": Count("id"),
        "units_inspected": Count("unit", distinct=True),
        "zero_inspections": Count("id", filter=Q(has_hazards=False)),
        "zero_units": Count("unit", distinct=True, filter=Q(has_hazards=False)),
        "key_inspections": Count("id", filter=key),
        "key_zero": Count("id", filter=key & Q(has_hazards=False)),
    }


INSPECTION_KEYS = (
    "inspections",
    "units_inspected",
    "zero_inspections",
    "zero_units",
    "key_inspections",
    "key_zero",
)


def _grouped(qs: QuerySet, key: str, aggregates: dict) -> dict[int, dict]:
    return {row[key]: row for row in qs.values(key).order_by().annotate(**aggregates)}


@dataclass(frozen=True)
class Groups:
    """The hazard and inspection counts at the finest grain any table asks for, read once.

    Every hazard count is a COUNT FILTER, so the summary and the department, street and
    category tables are sums of the rows grouped by (首办部门, 街道, 行业领域): one pass over
    the scope instead of four (each was a 0.5 s scan at 1,000,000 hazards). The inspections
    are grouped down to the unit, so the distinct-unit counts are exact sets, not sums."""

    hazards: list[dict]
    inspections: list[dict]


HAZARD_GRAIN = ("lead_department", "unit__area", "unit__category")
INSPECTION_GRAIN = ("department", "unit__area", "unit__category", "unit")


def groups(scope: Scope, *, major_overdue_days: int) -> Groups:
    hazards = (
        _relevant(scope, scope.hazards())
        .values(*HAZARD_GRAIN)
        .order_by()
        .annotate(**hazard_counts(scope, major_overdue_days=major_overdue_days))
    )
    return Groups(hazards=list(hazards), inspections=inspection_groups(scope))


def inspection_groups(scope: Scope) -> list[dict]:
    """Groups.inspections: the period's inspections per (department, street, category, unit)."""
    qs, _ = _inspection_counts(scope)
    return list(
        qs.values(*INSPECTION_GRAIN, key=F("unit__category__is_key"))
        .order_by()
        .annotate(n=Count("id"), zero=Count("id", filter=Q(has_hazards=False)))
    )


def _hazard_totals(rows: list[dict], key: str | None) -> dict:
    totals: dict = {}
    for row in rows:
        total = totals.setdefault(row[key] if key else None, dict.fromkeys(HAZARD_KEYS, 0))
        for name in HAZARD_KEYS:
            total[name] += row[name]
    return totals


def _inspection_totals(rows: list[dict], key: str | None) -> dict:
    """INSPECTION_KEYS per `key` from the per-unit rows of `groups`."""
    totals: dict = {}
    units: dict = {}
    for row in rows:
        group = row[key] if key else None
        total = totals.setdefault(group, dict.fromkeys(INSPECTION_KEYS, 0))
        seen, zero = units.setdefault(group, (set(), set()))
        total["inspections"] += row["n"]
        total["zero_inspections"] += row["zero"]
        seen.add(row["unit"])
        if row["zero"]:
            zero.add(row["unit"])
        if row["key"]:
            total["key_inspections"] += row["n"]
            total["key_zero"] += row["zero"]
    for group, (seen, zero) in units.items():
        totals[group]["units_inspected"] = len(seen)
        totals[group]["zero_units"] = len(zero)
    return totals


def summary(scope: Scope, *, major_overdue_days: int, grouped: Groups | None = None) -> dict:
    """The 总体情况 paragraph's figures."""
    grouped = grouped or groups(scope, major_overdue_days=major_overdue_days)
    counts = _hazard_totals(grouped.hazards, None).get(None, {})
    result = hazard_figures(counts, scope, (), major_overdue_days=major_overdue_days)
    inspections = _inspection_totals(grouped.inspections, None).get(None, {})
    result.update({key: int(inspections.get(key) or 0) for key in INSPECTION_KEYS})
    return result


def enforcement(scope: Scope) -> dict:
    """执法措施 of the period by kind, with the fines' total."""
    rows = _grouped(
        scope.enforcement(), "kind", {"count": Count("id"), "fines": Sum("fine_amount")}
    )
    kinds = [
        {"kind": kind, "label": label, "count": int(rows.get(kind, {}).get("count") or 0)}
        for kind, label in EnforcementAction.Kind.choices
        if kind in EnforcementAction.PENALTY_KINDS
    ]
    fines = rows.get(EnforcementAction.Kind.FINE, {}).get("fines") or Decimal(0)
    return {
        "kinds": kinds,
        "total": sum(k["count"] for k in kinds),
        "fines_total": f"{Decimal(fines).quantize(Decimal('0.01'))}",
        "fines_wan": wan(fines),
    }


def wan(yuan) -> str:
    """An amount in 元 written in 万元 as documents do: 125000 → "12.5", 5000 → "0.5"."""
    value = (Decimal(yuan or 0) / 10000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value.normalize():f}"


def same_day_last_year(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def yoy(now: int, before: int, unit: str, *, by_count: bool = False) -> str:
    """同比 as bulletins write it: "同比增加12.5%", "同比下降3起", "同比持平". With nothing last
    year a percentage means nothing, so the difference is given in units ("同比增加3起").
    by_count: small counts (accidents, deaths) read better as a difference than a percentage."""
    if now == before:
        return "同比持平"
    word = "增加" if now > before else "下降"
    if before == 0 or by_count:
        return f"同比{word}{abs(now - before)}{unit}"
    return f"同比{word}{percent(abs(now - before), before)}"


def yoy_points(now: Decimal | None, before: Decimal | None) -> str:
    """A rate's 同比 in percentage points; empty when either year has no rate."""
    if now is None or before is None:
        return ""
    diff = ((now - before) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if diff == 0:
        return "同比持平"
    return f"同比{'提高' if diff > 0 else '降低'}{abs(diff)}个百分点"


def _change(now: int, before: int) -> str:
    return yoy(now, before, "", by_count=False).removeprefix("同比")


def accidents(scope: Scope) -> dict:
    """Accidents in the period and year to date against the same span of last year."""
    year_start = scope.end.replace(month=1, day=1)
    last_end = same_day_last_year(scope.end)
    last_start = last_end.replace(month=1, day=1)
    spans = {
        "period": Q(occurred_on__range=(scope.start, scope.end)),
        "ytd": Q(occurred_on__range=(year_start, scope.end)),
        "last_ytd": Q(occurred_on__range=(last_start, last_end)),
    }
    aggregates = {}
    for name, condition in spans.items():
        aggregates[f"{name}_count"] = Count("id", filter=condition)
        aggregates[f"{name}_deaths"] = Sum("deaths", filter=condition)
        aggregates[f"{name}_injuries"] = Sum("injuries", filter=condition)
    row = scope.accidents().aggregate(**aggregates)
    result = {
        name: {
            "count": int(row[f"{name}_count"] or 0),
            "deaths": int(row[f"{name}_deaths"] or 0),
            "injuries": int(row[f"{name}_injuries"] or 0),
        }
        for name in spans
    }
    result["change"] = {
        key: _change(result["ytd"][key], result["last_ytd"][key])
        for key in ("count", "deaths", "injuries")
    }
    result["ytd_from"] = year_start.isoformat()
    result["last_ytd_span"] = [last_start.isoformat(), last_end.isoformat()]
    result["kinds"] = accidents_by_kind(scope)
    return result


ACCIDENT_KINDS = (
    ("production", "生产安全事故", Q(production=True)),
    ("fire", "火灾", Q(kind=Accident.Kind.FIRE)),
    ("other", "其他事故", Q(production=False) & ~Q(kind=Accident.Kind.FIRE)),
)
ACCIDENT_DEFINITION = (
    "事故分类：生产安全事故指生产经营活动中发生的事故（登记时勾选“生产安全事故”），"
    "含生产经营单位发生的火灾；火灾指全部火灾，含居民住宅等非生产经营场所的火灾"
    "（后者不属于生产安全事故）；其他事故指既非生产安全事故也非火灾的事故。"
    "生产经营单位的火灾同时计入生产安全事故和火灾。同比指与去年同期相比。"
)


def accidents_by_kind(scope: Scope) -> list[dict]:
    """起数/死亡/受伤 per kind (ACCIDENT_KINDS) in the period, the same period last year, the
    year to date and last year's; one query."""
    last_start, last_end = same_day_last_year(scope.start), same_day_last_year(scope.end)
    year_start = scope.end.replace(month=1, day=1)
    spans = {
        "period": (scope.start, scope.end),
        "last": (last_start, last_end),
        "ytd": (year_start, scope.end),
        "last_ytd": (year_start.replace(year=year_start.year - 1), last_end),
    }
    aggregates = {}
    for key, _, condition in ACCIDENT_KINDS:
        for span, bounds in spans.items():
            where = condition & Q(occurred_on__range=bounds)
            aggregates[f"{key}_{span}_count"] = Count("id", filter=where)
            aggregates[f"{key}_{span}_deaths"] = Sum("deaths", filter=where)
            aggregates[f"{key}_{span}_injuries"] = Sum("injuries", filter=where)
    row = scope.accidents().aggregate(**aggregates)
    result = []
    for key, label, _ in ACCIDENT_KINDS:
        entry = {"key": key, "label": label}
        for span in spans:
            entry[span] = {
                measure: int(row[f"{key}_{span}_{measure}"] or 0)
                for measure in ("count", "deaths", "injuries")
            }
        units = {"count": "起", "deaths": "人", "injuries": "人"}
        for span, before in (("period", "last"), ("ytd", "last_ytd")):
            entry[f"{span}_change"] = {
                measure: yoy(entry[span][measure], entry[before][measure], unit, by_count=True)
                for measure, unit in units.items()
            }
        result.append(entry)
    return result


def last_year(scope: Scope) -> dict | None:
    """The same figures for the same period of last year, for 同比. Statuses are read as they
    were on the same day last year (a hazard closed since then was not yet rectified), so last
    year's 整改率 is the one its bulletin printed. A campaign has no last-year counterpart."""
    if scope.campaign_id:
        return None
    last = Scope(
        start=same_day_last_year(scope.start),
        end=same_day_last_year(scope.end),
        today=same_day_last_year(scope.today),
        area_id=scope.area_id,
    )
    _, upper = Scope(start=last.today, end=last.today, today=last.today).closed_bounds()
    found = Q(found_on__range=(last.start, last.end))
    hazards = last.hazards().aggregate(
        found=Count("id", filter=found),
        found_general=Count("id", filter=found & Q(level=Hazard.Level.GENERAL)),
        found_major=Count("id", filter=found & Q(level=Hazard.Level.MAJOR)),
        effective=Count("id", filter=found & ~Q(status__in=NOT_ACCEPTED)),
        rectified=Count("id", filter=found & Q(status=S.CLOSED, closed_at__lt=upper)),
    )
    qs, aggregates = _inspection_counts(last)
    inspections = qs.aggregate(
        inspections=aggregates["inspections"], units_inspected=aggregates["units_inspected"]
    )
    result = {key: int(value or 0) for key, value in {**hazards, **inspections}.items()}
    result.update(
        start=last.start.isoformat(),
        end=last.end.isoformat(),
        label=chinese_span(last.start, last.end),
        rate=percent(result["rectified"], result["effective"]),
    )
    return result


def compare(now: dict, before: dict | None) -> dict[str, str]:
    """同比 wording of the summary's figures against `last_year`'s; empty without one, and
    when last year's period has no inspection and no hazard at all: that means the records
    were not kept here yet (a system started this year), not a district that did nothing."""
    if before is None or not (before["inspections"] or before["found"]):
        return {}
    rate_now = ratio(now["found_closed"]["value"], now["found_effective"])
    rate_before = ratio(before["rectified"], before["effective"])
    return {
        "inspections": yoy(now["inspections"], before["inspections"], "次"),
        "units_inspected": yoy(now["units_inspected"], before["units_inspected"], "家"),
        "found": yoy(now["found"]["value"], before["found"], "项"),
        "found_general": yoy(now["found_general"]["value"], before["found_general"], "项"),
        "found_major": yoy(now["found_major"]["value"], before["found_major"], "项", by_count=True),
        "rate": yoy_points(rate_now, rate_before),
    }


REPEAT_WINDOW_DAYS = 365


def repeated_hazards(scope: Scope, *, cap: int) -> dict:
    """Units where hazards of the same kind were found at two or more inspections within a
    year up to the period's end, one of them in the period: 同类隐患反复出现.

    One statement: the grouping (a year of hazards, 500,000 rows at ten years' scale) is a
    CTE read twice — for the first `cap` cases and for the number of units — where two
    querysets grouped the year twice (0.9 s each); the unit names are joined to the groups,
    not to every hazard."""
    window = (scope.end - datetime.timedelta(days=REPEAT_WINDOW_DAYS - 1), scope.end)
    grouped = (
        scope.hazards()
        .exclude(status__in=NOT_ACCEPTED)
        .filter(found_on__range=window)
        .values("unit", "hazard_type")
        .order_by()
        .annotate(times=Count("inspection", distinct=True), latest=Max("found_on"))
        .filter(times__gte=2, latest__gte=scope.start)
    )
    # The queryset's own database (the read replica inside replica_reads()), not default's.
    using = grouped.db
    sql, params = grouped.query.get_compiler(using=using).as_sql()
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"""WITH repeated AS ({sql})
            SELECT unit.name, repeated.hazard_type, repeated.times,
                   (SELECT COUNT(DISTINCT unit) FROM repeated)
            FROM repeated JOIN {Unit._meta.db_table} unit ON unit.id = repeated.unit
            ORDER BY repeated.times DESC, unit.name, repeated.hazard_type
            LIMIT %s""",
            [*params, cap],
        )
        rows = cursor.fetchall()
    return {
        "rows": [
            {"unit": name, "type": Hazard.Type(kind).label, "times": times}
            for name, kind, times, _ in rows
        ],
        "units": rows[0][3] if rows else 0,
        "window_days": REPEAT_WINDOW_DAYS,
    }


def untouched_list(scope: Scope, *, days: int, cap: int, total: int | None = None) -> dict:
    """The hazards behind `escalated_untouched`, named: number, unit, department, days since."""
    tz = timezone.get_current_timezone()
    cutoff = datetime.datetime.combine(
        scope.today - datetime.timedelta(days=days - 1), datetime.time.min, tzinfo=tz
    )
    handled = HazardEvent.objects.filter(
        hazard_id=OuterRef("pk"), created_at__gt=OuterRef("escalated_at")
    ).exclude(action__in=NOT_HANDLING)
    qs = (
        scope.hazards()
        .filter(status__in=OPEN, escalated_at__lt=cutoff)
        .filter(~Exists(handled))
        .order_by("escalated_at", "id")
    )
    rows = list(qs.values("number", "unit__name", "lead_department__name", "escalated_at")[:cap])
    return {
        "rows": [
            {
                "number": row["number"],
                "unit": row["unit__name"],
                "department": row["lead_department__name"],
                "days": (scope.today - timezone.localtime(row["escalated_at"]).date()).days,
            }
            for row in rows
        ],
        "total": qs.count() if total is None else total,
        "days": days,
    }


def problems(
    scope: Scope,
    *,
    departments: list[dict],
    coverage_rows: list[dict],
    untouched_days: int,
    untouched: dict[int, dict] | None = None,
) -> dict:
    """What 存在问题 names: where the overdue hazards are, the least covered key categories, units
    with the same kind of hazard again, escalated hazards nobody touched. Only real cases: an
    empty list means no such problem, never a zero to print."""
    overdue = sorted(
        (r for r in departments if r["overdue"]["value"] > 0),
        key=lambda r: (-r["overdue"]["value"], r["name"]),
    )
    low = sorted(
        (r for r in coverage_rows if r["total"] and r["inspected"] < r["total"]),
        key=lambda r: (Decimal(r["inspected"]) / r["total"], r["name"]),
    )
    return {
        "overdue_departments": [
            {
                "name": r["name"],
                "overdue": r["overdue"]["value"],
                "major_overdue": r["major_overdue"]["value"],
            }
            for r in overdue[:PROBLEM_CAP]
        ],
        "overdue_departments_total": len(overdue),
        "low_coverage": [
            {k: r[k] for k in ("name", "total", "inspected", "rate")} for r in low[:PROBLEM_CAP]
        ],
        "repeated": repeated_hazards(scope, cap=PROBLEM_CAP),
        "untouched": untouched_list(
            scope,
            days=untouched_days,
            cap=PROBLEM_CAP,
            # escalated_untouched's counts are of the same hazards: their sum is the total.
            total=sum(c["count"] for c in untouched.values()) if untouched is not None else None,
        ),
    }


PROBLEM_CAP = 3


def escalated_untouched(scope: Scope, *, days: int) -> dict[int, dict]:
    """Per lead department: open hazards escalated (督办) at least `days` days ago on which
    nobody has acted since. Only escalated hazards are read, a small set."""
    tz = timezone.get_current_timezone()
    cutoff = datetime.datetime.combine(
        scope.today - datetime.timedelta(days=days - 1), datetime.time.min, tzinfo=tz
    )
    handled = HazardEvent.objects.filter(
        hazard_id=OuterRef("pk"), created_at__gt=OuterRef("escalated_at")
    ).exclude(action__in=NOT_HANDLING)
    qs = (
        scope.hazards()
        .filter(status__in=OPEN, escalated_at__lt=cutoff)
        .filter(~Exists(handled))
        .values("lead_department")
        .order_by()
        .annotate(count=Count("id"))
    )
    return {row["lead_department"]: {"count": row["count"]} for row in qs}


def fatal_accidents(scope: Scope) -> tuple[dict[int, dict], dict[int, dict]]:
    """Accidents with deaths in the period, by the unit's lead department and by area."""
    qs = scope.accidents().filter(occurred_on__range=(scope.start, scope.end), deaths__gt=0)
    aggregates = {"count": Count("id"), "deaths": Sum("deaths")}
    by_dept = _grouped(qs.filter(unit__isnull=False), "unit__lead_department", aggregates)
    by_area = _grouped(qs, "area", aggregates)
    return by_dept, by_area


def _table(
    scope: Scope,
    *,
    hazard_key: str,
    inspection_key: str,
    param: str,
    major_overdue_days: int,
    grouped: Groups | None = None,
) -> dict[int, dict]:
    grouped = grouped or groups(scope, major_overdue_days=major_overdue_days)
    hazards = _hazard_totals(grouped.hazards, hazard_key)
    inspections = _inspection_totals(grouped.inspections, inspection_key)
    rows = {}
    for pk in set(hazards) | set(inspections):
        if pk is None:
            continue
        row = hazard_figures(
            hazards.get(pk, {}), scope, [(param, str(pk))], major_overdue_days=major_overdue_days
        )
        row.update({key: int(inspections.get(pk, {}).get(key) or 0) for key in INSPECTION_KEYS})
        rows[pk] = row
    return rows


def overdue_by_department(grouped: Groups) -> list[dict]:
    """The whole overdue backlog per 首办 department (the annex's summary sheet), summed from
    the same rows as the tables: [{id, name, overdue, major_overdue, found_overdue}]."""
    totals = _hazard_totals(grouped.hazards, "lead_department")
    names = dict(Department.objects.values_list("id", "name"))
    rows = [
        {
            "id": pk,
            "name": names.get(pk) or "（未指定首办部门）",
            "overdue": c["overdue"],
            "major_overdue": c["major_overdue"],
            "found_overdue": c["found_overdue"],
        }
        for pk, c in totals.items()
        if c["overdue"]
    ]
    return sorted(rows, key=lambda r: (-r["overdue"], r["name"]))


def _empty_row(scope: Scope, param: str, pk: int, *, major_overdue_days: int) -> dict:
    row = hazard_figures({}, scope, [(param, str(pk))], major_overdue_days=major_overdue_days)
    row.update(dict.fromkeys(INSPECTION_KEYS, 0))
    return row


def by_department(
    scope: Scope,
    *,
    major_overdue_days: int,
    untouched_days: int,
    grouped: Groups | None = None,
    untouched: dict[int, dict] | None = None,
) -> list[dict]:
    """One row per department that regulates or is a street office, hazards by 首办 department,
    inspections by the inspecting department; plus what the 通报批评 / 一票否决 rules read."""
    rows = _table(
        scope,
        hazard_key="lead_department",
        inspection_key="department",
        param="department",
        major_overdue_days=major_overdue_days,
        grouped=grouped,
    )
    if untouched is None:
        untouched = escalated_untouched(scope, days=untouched_days)
    fatal_dept, fatal_area = fatal_accidents(scope)
    enforcement_rows = _grouped(scope.enforcement(), "department", {"count": Count("id")})
    departments = Department.objects.exclude(
        kind__in=[Department.Kind.OFFICE, Department.Kind.SUPERVISION]
    ).values("id", "name", "short_name", "kind", "area_id")
    result = []
    for dept in departments:
        row = rows.get(dept["id"]) or _empty_row(
            scope, "department", dept["id"], major_overdue_days=major_overdue_days
        )
        # A street office answers for accidents in its area; a regulator for its units'.
        fatal = (
            fatal_area.get(dept["area_id"], {})
            if dept["kind"] == Department.Kind.STREET
            else fatal_dept.get(dept["id"], {})
        )
        row.update(
            id=dept["id"],
            name=dept["name"],
            short_name=dept["short_name"] or dept["name"],
            kind=dept["kind"],
            enforcement=int(enforcement_rows.get(dept["id"], {}).get("count") or 0),
            escalated_untouched=untouched.get(dept["id"], {}).get("count", 0),
            fatal_accidents=int(fatal.get("count") or 0),
            fatal_deaths=int(fatal.get("deaths") or 0),
            area_id=dept["area_id"],
        )
        if dept["kind"] in (Department.Kind.REGULATOR, Department.Kind.STREET) or _active(row):
            result.append(row)
    return result


def _active(row: dict) -> bool:
    return bool(row["found"]["value"] or row["open"]["value"] or row["inspections"])


def by_area(scope: Scope, *, major_overdue_days: int, grouped: Groups | None = None) -> list[dict]:
    rows = _table(
        scope,
        hazard_key="unit__area",
        inspection_key="unit__area",
        param="area",
        major_overdue_days=major_overdue_days,
        grouped=grouped,
    )
    _, fatal_area = fatal_accidents(scope)
    period = _grouped(
        scope.accidents().filter(occurred_on__range=(scope.start, scope.end)),
        "area",
        {"count": Count("id"), "deaths": Sum("deaths"), "injuries": Sum("injuries")},
    )
    areas = Area.objects.all()
    if scope.area_id:
        areas = areas.filter(pk=scope.area_id)
    result = []
    for area in areas.values("id", "name"):
        row = rows.get(area["id"]) or _empty_row(
            scope, "area", area["id"], major_overdue_days=major_overdue_days
        )
        acc = period.get(area["id"], {})
        row.update(
            id=area["id"],
            name=area["name"],
            accidents=int(acc.get("count") or 0),
            deaths=int(acc.get("deaths") or 0),
            injuries=int(acc.get("injuries") or 0),
        )
        result.append(row)
    return result


def by_category(
    scope: Scope, *, major_overdue_days: int, grouped: Groups | None = None
) -> list[dict]:
    rows = _table(
        scope,
        hazard_key="unit__category",
        inspection_key="unit__category",
        param="category",
        major_overdue_days=major_overdue_days,
        grouped=grouped,
    )
    result = []
    for cat in Category.objects.values("id", "name", "is_key"):
        if cat["id"] not in rows:
            continue
        row = rows[cat["id"]]
        row.update(id=cat["id"], name=cat["name"], is_key=cat["is_key"])
        result.append(row)
    return result


def coverage(scope: Scope) -> list[dict]:
    """Units inspected in the period against the units on the register, per key category
    (or the campaign's target categories)."""
    categories = Category.objects.filter(is_key=True)
    if scope.campaign_id:
        targeted = Category.objects.filter(campaign=scope.campaign_id)
        if targeted.exists():
            categories = targeted
    units = Unit.objects.exclude(status=Unit.Status.CLOSED)
    if scope.area_id:
        units = units.filter(area_id=scope.area_id)
    # The inspected units are counted among the register's units (closed ones left out on both
    # sides), so the rate can never pass 100%.
    inspected = Exists(scope.inspections().filter(unit_id=OuterRef("pk")))
    totals = _grouped(
        units,
        "category",
        {"total": Count("id"), "inspected": Count("id", filter=inspected)},
    )
    result = []
    for cat in categories.order_by("sort_order", "id").values("id", "name"):
        total = int(totals.get(cat["id"], {}).get("total") or 0)
        done = int(totals.get(cat["id"], {}).get("inspected") or 0)
        result.append(
            {
                "id": cat["id"],
                "name": cat["name"],
                "total": total,
                "inspected": done,
                "rate": percent(done, total),
                "never": total - done,
            }
        )
    return result


LIST_FIELDS = (
    "id",
    "number",
    "unit__name",
    "unit__area__name",
    "unit__category__name",
    "location",
    "description",
    "level",
    "hazard_type",
    "lead_department__name",
    "responsible_person",
    "found_on",
    "deadline",
    "original_deadline",
    "status",
    "disposal",
    "risk_review_on",
    "listed_document",
    "escalated_at",
)


def overdue_hazards(scope: Scope) -> QuerySet:
    return (
        scope.hazards()
        .filter(overdue_q(scope.today))
        .order_by("deadline", "id")
        .values(*LIST_FIELDS)
    )


def first_overdue_ids(scope: Scope, cap: int) -> list[int]:
    """The ids of overdue_hazards' first `cap` rows. Ordering the OR of overdue_q's two
    branches sorted every overdue hazard (145,554 at ten years' scale, 0.5 s) to keep 30; each
    branch alone is read in deadline order from its partial index and stops at `cap`, and the
    branches are disjoint, so the first `cap` of both contain the first `cap` of the whole."""
    ids = []
    for part in overdue_parts(scope.today):
        ids += (
            scope.hazards()
            .filter(part)
            .order_by("deadline", "id")
            .values_list("id", flat=True)[:cap]
        )
    return ids


def open_major_hazards(scope: Scope) -> QuerySet:
    return (
        scope.hazards()
        .filter(status__in=OPEN, level=Hazard.Level.MAJOR)
        .order_by("deadline", "id")
        .values(*LIST_FIELDS)
    )


def list_row(row: dict, today: datetime.date) -> dict:
    """A hazard row as JSON for the capped lists in the PDF and the .xlsx attachment."""
    deadline = row["deadline"]
    due = Hazard.clock_due_on(row["status"], row["disposal"], deadline, row["risk_review_on"])
    overdue_days = (today - due).days if due and due < today else 0
    return {
        "id": row["id"],
        "number": row["number"],
        "unit": row["unit__name"],
        "area": row["unit__area__name"],
        "category": row["unit__category__name"],
        "location": row["location"],
        "description": row["description"],
        "level": Hazard.Level(row["level"]).label,
        "type": Hazard.Type(row["hazard_type"]).label,
        "department": row["lead_department__name"],
        "responsible": row["responsible_person"],
        "found_on": row["found_on"].isoformat(),
        "deadline": deadline.isoformat() if deadline else "",
        "original_deadline": row["original_deadline"].isoformat()
        if row["original_deadline"]
        else "",
        "overdue_days": overdue_days,
        "status": Hazard.Status(row["status"]).label,
        "listed_document": row["listed_document"],
        "escalated": bool(row["escalated_at"]),
    }


def capped_list(qs: QuerySet, scope: Scope, cap: int, *, total: int | None = None) -> dict:
    return {
        "rows": [list_row(row, scope.today) for row in qs[:cap]],
        "total": qs.count() if total is None else total,
    }


def period_label(start: datetime.date, end: datetime.date) -> str:
    """ "2026年3月", "2026年第一季度", "2026年", or "2026年3月1日至3月15日"."""
    last_of_month = (end.replace(day=28) + datetime.timedelta(days=4)).replace(
        day=1
    ) - datetime.timedelta(days=1)
    whole_months = start.day == 1 and end == last_of_month and start.year == end.year
    if whole_months:
        if start.month == 1 and end.month == 12:
            return f"{start.year}年"
        if start.month == end.month:
            return f"{start.year}年{start.month}月"
        if (start.month - 1) % 3 == 0 and end.month == start.month + 2:
            quarter = "一二三四"[(start.month - 1) // 3]
            return f"{start.year}年第{quarter}季度"
        return f"{start.year}年{start.month}月至{end.month}月"
    if start.year == end.year:
        return f"{start.year}年{start.month}月{start.day}日至{end.month}月{end.day}日"
    return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"


def chinese_date(day: datetime.date) -> str:
    """Dates in official documents are written in Arabic numerals: 2026年11月29日."""
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_span(start: datetime.date, end: datetime.date) -> str:
    """2026年11月1日至11月30日; the year repeated only when it changes."""
    if start.year == end.year:
        return f"{chinese_date(start)}至{end.month}月{end.day}日"
    return f"{chinese_date(start)}至{chinese_date(end)}"


SUPERVISION_COUNTED = {
    HazardEvent.Action.URGE: "urged",
    HazardEvent.Action.INTERVIEW: "interviews",
    HazardEvent.Action.NOTICE: "notices",
    HazardEvent.Action.PROPOSE_LISTING: "listing_proposals",
}


def supervision(scope: Scope) -> dict[str, int]:
    """The supervision office's follow-up in the period: 催办, 约谈, 督办通知, 建议挂牌."""
    lower, upper = scope.closed_bounds()
    rows = dict(
        HazardEvent.objects.filter(
            action__in=list(SUPERVISION_COUNTED),
            created_at__gte=lower,
            created_at__lt=upper,
            hazard__in=scope.hazards().values("pk"),
        )
        .values_list("action")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("action", "n")
    )
    return {key: rows.get(action, 0) for action, key in SUPERVISION_COUNTED.items()}


def compute(scope: Scope, *, major_overdue_days: int, untouched_days: int, list_cap: int) -> dict:
    """Every figure a bulletin prints, as JSON."""
    grouped = groups(scope, major_overdue_days=major_overdue_days)
    untouched = escalated_untouched(scope, days=untouched_days)
    totals = summary(scope, major_overdue_days=major_overdue_days, grouped=grouped)
    before = last_year(scope)
    departments = by_department(
        scope,
        major_overdue_days=major_overdue_days,
        untouched_days=untouched_days,
        grouped=grouped,
        untouched=untouched,
    )
    coverage_rows = coverage(scope)
    return {
        "period": {
            "start": scope.start.isoformat(),
            "end": scope.end.isoformat(),
            "today": scope.today.isoformat(),
            "label": period_label(scope.start, scope.end),
            "span": chinese_span(scope.start, scope.end),
            "today_label": chinese_date(scope.today),
        },
        "scope": {"campaign": scope.campaign_id, "area": scope.area_id},
        "summary": totals,
        "last_year": before,
        "yoy": compare(totals, before),
        "enforcement": enforcement(scope),
        "accidents": accidents(scope),
        "by_department": departments,
        "by_area": by_area(scope, major_overdue_days=major_overdue_days, grouped=grouped),
        "by_category": by_category(scope, major_overdue_days=major_overdue_days, grouped=grouped),
        "coverage": coverage_rows,
        "problems": problems(
            scope,
            departments=departments,
            coverage_rows=coverage_rows,
            untouched_days=untouched_days,
            untouched=untouched,
        ),
        "overdue_by_department": overdue_by_department(grouped),
        # The lists' totals are the summary's figures: the same hazards, already counted.
        "overdue_list": capped_list(
            overdue_hazards(scope).filter(pk__in=first_overdue_ids(scope, list_cap)),
            scope,
            list_cap,
            total=totals["overdue"]["value"],
        ),
        "major_list": capped_list(
            open_major_hazards(scope).filter(
                pk__in=scope.hazards()
                .filter(status__in=OPEN, level=Hazard.Level.MAJOR)
                .order_by("deadline", "id")
                .values_list("id", flat=True)[:list_cap]
            ),
            scope,
            list_cap,
            total=totals["major_open"]["value"],
        ),
        "supervision": supervision(scope),
    }


# --- what the rules of inspections.bulletin_rules read beyond the tables ---------------------


def key_categories(scope: Scope) -> QuerySet:
    """The key categories (重点行业领域), or the campaign's target categories if it has some."""
    categories = Category.objects.filter(is_key=True)
    if scope.campaign_id:
        targeted = Category.objects.filter(campaign=scope.campaign_id)
        if targeted.exists():
            categories = targeted
    return categories


@dataclass(frozen=True)
class Remit:
    """Per department, the units it answers for: a regulator its lead units, a street office
    the units of its area; counted on the register without closed units, like coverage()."""

    units: dict
    key_units: dict
    key_inspected: dict

    def of(self, dept: dict) -> dict:
        if dept["kind"] == Department.Kind.STREET:
            key = ("area", dept["area_id"])
        else:
            key = ("dept", dept["id"])
        return {
            "remit_units": self.units.get(key, 0),
            "remit_key_units": self.key_units.get(key, 0),
            "remit_key_inspected": min(self.key_inspected.get(key, 0), self.key_units.get(key, 0)),
        }


def remit_coverage(scope: Scope) -> Remit:
    """Units in each department's remit, its key units, and how many of those were inspected
    in the period (by anyone of the district's staff). One query, grouped by (lead department,
    area): a few hundred rows at most, summed both ways here."""
    units = Unit.objects.exclude(status=Unit.Status.CLOSED)
    if scope.area_id:
        units = units.filter(area_id=scope.area_id)
    key = Q(category__in=key_categories(scope).values("pk"))
    inspected = Q(pk__in=scope.inspections().values("unit_id"))
    rows = (
        units.values("lead_department", "area")
        .order_by()
        .annotate(
            n=Count("id"), k=Count("id", filter=key), done=Count("id", filter=key & inspected)
        )
    )
    totals: dict = {}
    key_totals: dict = {}
    key_done: dict = {}
    for row in rows:
        for group in (("dept", row["lead_department"]), ("area", row["area"])):
            totals[group] = totals.get(group, 0) + row["n"]
            key_totals[group] = key_totals.get(group, 0) + row["k"]
            key_done[group] = key_done.get(group, 0) + row["done"]
    return Remit(units=totals, key_units=key_totals, key_inspected=key_done)


def fatal_accident_list(scope: Scope) -> list[dict]:
    """Each accident with deaths in the period, with who answers for it: the unit's lead
    department and the street of its area. Few rows."""
    rows = (
        scope.accidents()
        .filter(occurred_on__range=(scope.start, scope.end), deaths__gt=0)
        .order_by("occurred_on", "id")
        .values(
            "id",
            "occurred_on",
            "kind",
            "deaths",
            "unit__name",
            "unit__lead_department",
            "area",
            "area__name",
        )
    )
    return [
        {
            "id": row["id"],
            "occurred_on": row["occurred_on"].isoformat(),
            "date_label": chinese_date(row["occurred_on"]),
            "kind": Accident.Kind(row["kind"]).label,
            "deaths": row["deaths"],
            "unit": row["unit__name"] or "",
            "lead_department": row["unit__lead_department"],
            "area": row["area"],
            "area_name": row["area__name"],
        }
        for row in rows
    ]


def overdue_of_departments(scope: Scope, department_ids: Iterable[int]) -> dict[int, list[dict]]:
    """The overdue hazards of the given lead departments, as list rows (few: only departments
    with fewer open hazards than the rules' minimum are asked for)."""
    ids = list(department_ids)
    if not ids:
        return {}
    result: dict[int, list[dict]] = {}
    rows = (
        scope.hazards()
        .filter(overdue_q(scope.today), lead_department_id__in=ids)
        .order_by("deadline", "id")
        .values(*LIST_FIELDS, "lead_department_id")
    )
    for row in rows:
        result.setdefault(row["lead_department_id"], []).append(list_row(row, scope.today))
    return result
