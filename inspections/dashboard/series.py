"""The charts' series and the department league table (GROUP BY, one query each)."""

import dataclasses
import datetime

from django.conf import settings
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from units.models import Category, Unit

from .. import bulletin_rules, stats
from ..models import Hazard, Inspection
from . import svg as charts
from .scope import (
    CLOSED,
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
