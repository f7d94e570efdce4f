"""The headline cards: hazards found / closed, both rates, overdue and major hazards,
enforcement and accidents, each against the same days of last year. One query per family."""

from decimal import Decimal

from django.db.models import Count, Q, Sum

from .. import stats
from ..models import EnforcementAction, Hazard, HazardCount
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
    change,
    figure,
    link,
    points_change,
    rate,
    rate_text,
    wan_yuan,
)


def hazard_headline(scope: DashboardScope, period: Period, overdue: dict) -> dict:
    """Found / closed in the period and year to date, both rates, overdue and open major
    hazards (tally.py: none of the queries reads the years on record). `overdue` is the
    page's series.overdue_by_lead_department()."""
    spans = {
        "cur": period.current,
        "last": period.current.last_year(),
        "ytd": period.year_to_date,
        "last_ytd": period.year_to_date.last_year(),
    }
    accepted = ~Q(status__in=NOT_ACCEPTED)
    found = tally.found(
        scope,
        spans,
        {"found": None, "accepted": accepted, "found_closed": Q(status=CLOSED)},
        due={"cur": spans["cur"].end, "last": spans["last"].end},
    )
    closed = tally.closed(scope, spans)
    c = {}
    for name in spans:
        c[f"found_{name}"] = found[(name,)]["found"]
        c[f"closed_{name}"] = closed[(name,)]["closed"]
        if name in ("cur", "last"):
            c[f"accepted_{name}"] = found[(name,)]["accepted"]
            c[f"found_closed_{name}"] = found[(name,)]["found_closed"]
            c[f"due_{name}"] = found[(name,)]["due_accepted"]
            c[f"due_closed_{name}"] = found[(name,)]["due_found_closed"]
    c.update(open_figures(scope, overdue))

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


def open_figures(scope: DashboardScope, overdue: dict) -> dict[str, int]:
    """Open major hazards (the maintained counts, where they apply), those of them 挂牌督办 (the
    few listed ones, through hazard_supervised_idx) and 逾期 now (summed from `overdue`)."""
    major_open = Q(level=Hazard.Level.MAJOR, status__in=OPEN)
    counts = tally.counted(scope, HazardCount)
    if counts is not None:
        major = counts.filter(major_open).aggregate(n=Sum("n"))["n"]
    else:
        major = scope.hazards().filter(major_open).count()
    return {
        "major_open": int(major or 0),
        "major_listed": scope.hazards().filter(major_open & ~Q(listed_document="")).count(),
        "overdue": sum(c["overdue"] for c in overdue.values()),
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
        if kind not in EnforcementAction.PENALTY_KINDS:
            continue
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
        # In 万元 like the figures beside it, not in yuan.
        "fines_change": change(
            Decimal(wan_yuan(fines_cur)), Decimal(wan_yuan(fines_last)), good="neutral"
        ),
    }


# The headline's accident rows: (key, label, unit, ledger filters, aggregate, measure). By kind
# as the bulletins count them (stats.ACCIDENT_KINDS): 生产安全事故 apart from 火灾 and others.
ACCIDENT_ROWS = (
    ("production", "生产安全事故", "起", (("group", "production"),), "count", "count"),
    (
        "production_deaths",
        "生产安全事故死亡",
        "人",
        (("group", "production"), ("with_deaths", "true")),
        "deaths",
        "deaths",
    ),
    ("fires", "火灾", "起", (("group", "fire"),), "count", "count"),
    ("other", "其他事故", "起", (("group", "other"),), "count", "count"),
)
_KINDS = {key: condition for key, _, condition in stats.ACCIDENT_KINDS}
# Each row's accidents: its kind's condition (the deaths row counts the 生产安全事故's deaths).
ACCIDENT_CONDITIONS = {
    "production": _KINDS["production"],
    "production_deaths": _KINDS["production"],
    "fires": _KINDS["fire"],
    "other": _KINDS["other"],
}


def accident_headline(scope: DashboardScope, period: Period) -> dict:
    """生产安全事故 (and their deaths), 火灾 and other accidents in the period and year to date
    against last year: one query."""
    spans = {
        "cur": period.current,
        "last": period.current.last_year(),
        "ytd": period.year_to_date,
        "last_ytd": period.year_to_date.last_year(),
    }
    aggregates = {}
    for name, span in spans.items():
        when = Q(occurred_on__range=(span.start, span.end))
        for key, _, _, _, aggregate, _ in ACCIDENT_ROWS:
            where = when & ACCIDENT_CONDITIONS[key]
            aggregates[f"{key}_{name}"] = (
                Sum("deaths", filter=where) if aggregate == "deaths" else Count("id", filter=where)
            )
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
    for key, label, unit, extra, _, measure in ACCIDENT_ROWS:
        entry = {"key": key, "label": label, "unit": unit}
        for name in spans:
            # The list behind a death toll: the accidents with deaths, whose deaths add up to it.
            entry[name] = figure(
                c[f"{key}_{name}"], link("accident_list", scope, params(name, *extra)), measure
            )
        entry["change"] = change(c[f"{key}_cur"], c[f"{key}_last"], good="down")
        entry["ytd_change"] = change(c[f"{key}_ytd"], c[f"{key}_last_ytd"], good="down")
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
