"""Counting a period's hazards in a time that does not grow with the years on record: the
whole months of a period are sums of `HazardMonthCount` rows (a few thousand a year, kept by
the database's triggers); only the days of a month the period covers in part are counted from
the hazards, through indexes that carry every column counted here (hazard_found_idx,
hazard_closed_idx, hazard_deadline_idx, the overdue indexes: index-only scans).

The numbers are the ledger's: a month row counts exactly the hazards whose found date (local
销号 day, time limit) falls in that month, under the same `hazard_scope_q` as
`Hazard.objects.visible_to`. Where the month counts cannot answer — SQLite (no triggers), a
campaign (not one of their columns), a unit account — every day is counted from the hazards:
the same numbers, more slowly (tests/inspections/test_dashboard_tally.py compares the two).

A measure is a condition on columns both tables have (status, level, hazard_type, source), or
None for every hazard. Results are {(span name, *values of the `by` fields): Counter}.
"""

import datetime
from collections import Counter, defaultdict

from django.db.models import Count, Q, QuerySet, Sum

from ..models import HazardMonthCount
from ..models.counts import counts_maintained
from ..models.hazards import clock_status_q, overdue_beyond_clock_q, overdue_parts
from .scope import CLOSED, DashboardScope, Span, month_end

DAY = datetime.timedelta(days=1)


def split(span: Span) -> tuple[Span | None, list[Span]]:
    """The whole months inside `span` (from the first one's 1st to the last one's end) and the
    days before and after them."""
    first = span.start if span.start.day == 1 else month_end(span.start) + DAY
    last = span.end if span.end == month_end(span.end) else span.end.replace(day=1) - DAY
    if first > last:
        return None, [span]
    edges = []
    if span.start < first:
        edges.append(Span(span.start, first - DAY))
    if last < span.end:
        edges.append(Span(last + DAY, span.end))
    return Span(first, last), edges


def counted(scope: DashboardScope, model=HazardMonthCount) -> QuerySet | None:
    """The scope's rows of a count table (HazardMonthCount, HazardCount), or None where the
    counts cannot apply the scope."""
    user = scope.user
    if scope.campaign_id or not counts_maintained() or user.role == user.Role.UNIT:
        return None
    qs = model.objects.visible_to(user, drafts=False)
    if scope.area_id:
        qs = qs.filter(scope_unit_area_id=scope.area_id)
    if scope.department_id:
        qs = qs.filter(lead_department_id=scope.department_id)
    return qs


class _Sums:
    """Annotations of one query and the (span, measure) each adds to."""

    def __init__(self, by: tuple[str, ...]):
        self.by, self.annotations, self.targets = by, {}, {}

    def add(self, aggregate, span: str, measure: str) -> None:
        alias = f"a{len(self.annotations)}"
        self.annotations[alias] = aggregate
        self.targets[alias] = (span, measure)

    def read(self, qs: QuerySet, result: dict) -> None:
        if not self.annotations:
            return
        if self.by:
            rows = qs.order_by().values(*self.by).annotate(**self.annotations)
        else:
            rows = [qs.aggregate(**self.annotations)]
        for row in rows:
            group = tuple(row[field] for field in self.by)
            for alias, (span, measure) in self.targets.items():
                result[(span, *group)][measure] += int(row[alias] or 0)


def _count(condition: Q | None) -> Count:
    # Of a column every index used here carries (COUNT(id) would read the table: the key is
    # in none of them); status is never NULL, so the count is the number of hazards.
    return Count("status", filter=condition) if condition is not None else Count("status")


def _sum(condition: Q, measure: Q | None) -> Sum:
    return Sum("n", filter=_and(measure, condition))


def _plans(scope: DashboardScope, spans: dict[str, Span]):
    months = counted(scope)
    plans = {
        name: split(span) if months is not None else (None, [span]) for name, span in spans.items()
    }
    edges: dict[Span, list[str]] = defaultdict(list)
    for name, (_, parts) in plans.items():
        for part in parts:
            edges[part].append(name)
    wholes = [whole for whole, _ in plans.values() if whole]
    bounds = (min(w.start for w in wholes), max(w.end for w in wholes)) if wholes else None
    return months, plans, edges, bounds


def found(
    scope: DashboardScope,
    spans: dict[str, Span],
    measures: dict[str, Q | None],
    *,
    by: tuple[str, ...] = (),
    due: dict[str, datetime.date] | None = None,
) -> dict[tuple, Counter]:
    """Hazards found in each span, per measure. For a span named in `due`, also
    `due_<measure>`: those whose time limit is on or before that day (到期)."""
    due = due or {}
    result: dict[tuple, Counter] = defaultdict(Counter)
    months, plans, edges, bounds = _plans(scope, spans)
    sums = _Sums(by)
    for name, (whole, _) in plans.items():
        if whole is None:
            continue
        in_months = Q(found_month__range=(whole.start, whole.end))
        limit = due.get(name)
        for measure, condition in measures.items():
            sums.add(_sum(in_months, condition), name, measure)
            if limit is not None:
                # Due in an earlier month than the limit's: the month rows say so.
                before = in_months & Q(deadline_month__lt=limit.replace(day=1))
                sums.add(_sum(before, condition), name, f"due_{measure}")
        if limit is not None:
            # Due in the limit's own month, up to the limit: by the hazards' time limits.
            in_limit_month = _Sums(by)
            for measure, condition in measures.items():
                in_limit_month.add(_count(condition), name, f"due_{measure}")
            in_limit_month.read(
                scope.hazards().filter(
                    found_on__range=(whole.start, whole.end),
                    deadline__range=(limit.replace(day=1), limit),
                ),
                result,
            )
    if bounds:
        sums.read(months.filter(found_month__range=bounds), result)
    for part, names in edges.items():
        days = _Sums(by)
        for name in names:
            for measure, condition in measures.items():
                days.add(_count(condition), name, measure)
                if name in due:
                    due_by = Q(deadline__lte=due[name])
                    days.add(_count(_and(condition, due_by)), name, f"due_{measure}")
        days.read(scope.hazards().filter(found_on__range=(part.start, part.end)), result)
    return result


def closed(scope: DashboardScope, spans: dict[str, Span], *, by=()) -> dict[tuple, Counter]:
    """Hazards 销号 in each span (local calendar days, as the ledger's closed_from/closed_to):
    measure "closed"."""
    result: dict[tuple, Counter] = defaultdict(Counter)
    months, plans, edges, bounds = _plans(scope, spans)
    sums = _Sums(by)
    for name, (whole, _) in plans.items():
        if whole is not None:
            sums.add(_sum(Q(closed_month__range=(whole.start, whole.end)), None), name, "closed")
    if bounds:
        sums.read(months.filter(status=CLOSED, closed_month__range=bounds), result)
    for part, names in edges.items():
        lower, upper = part.closed_bounds()
        days = _Sums(by)
        for name in names:
            days.add(_count(None), name, "closed")
        days.read(
            scope.hazards().filter(status=CLOSED, closed_at__gte=lower, closed_at__lt=upper),
            result,
        )
    return result


def overdue(
    scope: DashboardScope,
    today: datetime.date,
    measures: dict[str, tuple[Q | None, datetime.date, Span | None]],
    *,
    by: tuple[str, ...] = (),
) -> dict[tuple, Counter]:
    """Overdue hazards now, per measure: a condition (on level, type, source, status), the day
    the time limit is before (today for 逾期, today − N for "overdue more than N days") and,
    or None, the span the hazards were found in. Result key: ("now", *group).

    With the month counts (models/counts.py `overdue_terms`, the same split): 已交办/整改中
    due before the limit's month are month rows (found in the span's whole months, for a
    span); due in the limit's month up to it, found in the span's other days, and the few
    处置中 / 风险管控 hazards are counted from the hazards' partial indexes. Without them, each
    branch of overdue_q is an index-only count of its own index."""
    result: dict[tuple, Counter] = defaultdict(Counter)
    months = counted(scope)
    if months is None:
        for branch in range(2):
            sums = _Sums(by)
            for measure, (condition, before, span) in measures.items():
                part = overdue_parts(before)[branch] & _found_in(span)
                sums.add(_count(_and(condition, part)), "now", measure)
            sums.read(scope.hazards().filter(overdue_parts(today)[branch]), result)
        return result
    clock = clock_status_q()
    rows, this_month, others = _Sums(by), _Sums(by), _Sums(by)
    edges: dict[Span, _Sums] = {}
    for measure, (condition, before, span) in measures.items():
        first = before.replace(day=1)
        whole, parts = split(span) if span else (None, [])
        found_whole = Q(found_month__range=(whole.start, whole.end)) if whole else Q()
        if span is None or whole:
            rows.add(_sum(found_whole & Q(deadline_month__lt=first), condition), "now", measure)
            days = Q(deadline__gte=first, deadline__lt=before)
            if whole:
                days &= Q(found_on__range=(whole.start, whole.end))
            this_month.add(_count(_and(condition, days)), "now", measure)
        for part in parts:
            edge = edges.setdefault(part, _Sums(by))
            edge.add(_count(_and(condition, Q(deadline__lt=before))), "now", measure)
        rest = overdue_beyond_clock_q(before) & _found_in(span)
        others.add(_count(_and(condition, rest)), "now", measure)
    earliest = min(before for _, before, _ in measures.values()).replace(day=1)
    latest = max(before for _, before, _ in measures.values())
    rows.read(months.filter(clock), result)
    this_month.read(
        scope.hazards().filter(clock, deadline__gte=earliest, deadline__lt=latest), result
    )
    others.read(scope.hazards().filter(overdue_beyond_clock_q(latest)), result)
    for part, edge in edges.items():
        edge.read(scope.hazards().filter(clock, found_on__range=(part.start, part.end)), result)
    return result


def _and(condition: Q | None, other: Q) -> Q:
    return other if condition is None else condition & other


def _found_in(span: Span | None) -> Q:
    return Q(found_on__range=(span.start, span.end)) if span else Q()
