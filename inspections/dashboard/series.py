"""The charts' series and the department league table (GROUP BY, one query each)."""

import dataclasses
import datetime
from collections import Counter

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from units.models import Category, Department, Unit

from .. import bulletin_rules, stats
from ..models import Hazard, HazardCount, Inspection
from . import svg as charts
from . import tally
from .scope import (
    CLOSED,
    NOT_ACCEPTED,
    OPEN,
    DashboardScope,
    Period,
    Span,
    _closed_params,
    _found_params,
    _url,
    figure,
    link,
    month_end,
    months_back,
    rate,
    rate_text,
    unscoped,
)


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


def found_closed_by_month(scope: DashboardScope, period: Period) -> dict:
    """Hazards found and hazards closed in each of the 12 months up to the period's end."""
    months = months_back(period.upto, 12)
    spans = {month: Span(month, month_end(month)) for month in months}
    found = tally.found(scope, spans, {"n": None})
    closed = tally.closed(scope, spans)
    found_points, closed_points, rows = [], [], []
    for month in months:
        span = Span(month, month_end(month))
        f = figure(found[(month,)]["n"], link("hazard_list", scope, _found_params(span)))
        c = figure(closed[(month,)]["closed"], link("hazard_list", scope, _closed_params(span)))
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


def overdue_by_department(scope: DashboardScope, period: Period, overdue: dict) -> dict:
    """Overdue hazards now by 首办 department, most first: the laggards at the top (`overdue`
    is the page's overdue_by_lead_department())."""
    names = {
        pk: short or name
        for pk, name, short in Department.objects.values_list("id", "name", "short_name")
    }
    # Most first; hazards without a 首办 department last, as PostgreSQL sorts NULL.
    ordered = sorted(
        (
            {"lead_department": key[1], "n": c["overdue"]}
            for key, c in overdue.items()
            if c["overdue"]
        ),
        key=lambda row: (-row["n"], row["lead_department"] is None, row["lead_department"] or 0),
    )
    base = unscoped(scope, "department")
    rows, bars = [], []
    for row in ordered:
        name = names.get(row["lead_department"], "（未指定首办部门）")
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
    found = tally.found(scope, {"cur": span}, {"n": None}, by=("hazard_type", "level"))
    counts = {(kind, level): c["n"] for (_, kind, level), c in found.items()}
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
    """生产安全事故 and fires per month, this year against last year (two charts, one query);
    a home fire is in the second only (stats.ACCIDENT_KINDS)."""
    year = period.upto.year
    kinds = {key: condition for key, _, condition in stats.ACCIDENT_KINDS}
    monthly = _by_month(
        scope.accidents().filter(
            occurred_on__range=(datetime.date(year - 1, 1, 1), datetime.date(year, 12, 31))
        ),
        "occurred_on",
        n=Count("id", filter=kinds["production"]),
        fires=Count("id", filter=kinds["fire"]),
    )
    result = []
    for key, title, extra in (
        ("n", "生产安全事故起数", [("group", "production")]),
        ("fires", "火灾起数", [("group", "fire")]),
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
                "id": f"accidents-{'fires' if key == 'fires' else 'production'}",
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


def overdue_by_lead_department(scope: DashboardScope) -> dict[tuple, Counter]:
    """Every overdue figure of the page, per 首办 department, in one pass over each overdue
    index (the headline's total, the chart and the league are its sums and rows)."""
    today, major = scope.today, Q(level=Hazard.Level.MAJOR)
    beyond = today - datetime.timedelta(days=settings.BULLETIN_VETO_MAJOR_OVERDUE_DAYS)
    return tally.overdue(
        scope,
        today,
        {
            "overdue": (None, today, None),
            "major_overdue": (major, today, None),
            "major_overdue_beyond": (major, beyond, None),
            "found_overdue": (None, today, Span(scope.start, scope.end)),
        },
        by=("lead_department",),
    )


def league_hazard_rows(scope: DashboardScope, overdue: dict[tuple, Counter]) -> list[dict]:
    """stats.groups()'s hazard rows (every stats.HAZARD_KEYS count), per 首办 department only
    — all the league reads — from the month counts, the maintained counts and the overdue and
    supervision indexes instead of one pass over the period's and the open hazards."""
    by = ("lead_department",)
    span = Span(scope.start, scope.end)
    major = Q(level=Hazard.Level.MAJOR)
    found = tally.found(
        scope,
        {"p": span},
        {
            "found": None,
            "found_general": Q(level=Hazard.Level.GENERAL),
            "found_major": major,
            "found_self": Q(source=Hazard.Source.SELF_CHECK),
            "found_closed": Q(status=CLOSED),
            "found_open": Q(status__in=OPEN),
            "found_not_accepted": Q(status__in=NOT_ACCEPTED),
        },
        by=by,
    )
    closed = tally.closed(scope, {"p": span}, by=by)
    stock = tally.counted(scope, HazardCount)
    if stock is None:
        stock, unit = scope.hazards(), Count("id")
        major_unit = Count("id", filter=major)
    else:
        unit, major_unit = Sum("n"), Sum("n", filter=major)
    open_rows = {
        row["lead_department"]: row
        for row in stock.filter(status__in=OPEN)
        .order_by()
        .values("lead_department")
        .annotate(open=unit, major_open=major_unit)
    }
    escalated = dict(
        scope.hazards()
        .filter(status__in=OPEN, escalated_at__isnull=False)
        .order_by()
        .values_list("lead_department")
        .annotate(n=Count("status"))
    )
    departments = {key[1] for key in (*found, *closed, *overdue)} | set(open_rows) | set(escalated)
    rows = []
    for pk in departments:
        key = ("p", pk)
        row = dict.fromkeys(stats.HAZARD_KEYS, 0)
        row.update(found.get(key, {}), closed_in_period=closed.get(key, {}).get("closed", 0))
        row.update(overdue.get(("now", pk), {}))
        row.update(
            open=int(open_rows.get(pk, {}).get("open") or 0),
            major_open=int(open_rows.get(pk, {}).get("major_open") or 0),
            escalated_open=escalated.get(pk, 0),
        )
        rows.append({"lead_department": pk, "unit__area": None, "unit__category": None, **row})
    return rows


def league(scope: DashboardScope, period: Period, overdue: dict) -> dict:
    """Per department: inspections, hazards found, 整改率, overdue rate, 一票否决 — the
    bulletins' own per-department figures and rules."""
    config = bulletin_rules.RuleConfig.from_settings()
    days = settings.BULLETIN_VETO_MAJOR_OVERDUE_DAYS
    rows = stats.by_department(
        scope,
        major_overdue_days=days,
        untouched_days=settings.BULLETIN_CRITICISE_UNTOUCHED_DAYS,
        grouped=stats.Groups(
            hazards=league_hazard_rows(scope, overdue),
            inspections=stats.inspection_groups(scope),
        ),
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
