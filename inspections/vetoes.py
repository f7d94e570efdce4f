"""一票否决台账: written when a bulletin is circulated, read by the next bulletins (so a fatal
accident is pronounced once) and by the annual evaluation (`vetoed_departments`).

Plain functions; the callers (inspections.bulletins) hold the transaction."""

import datetime

from django.db.models import Count, QuerySet

from units.models import User

from .models import Bulletin, VetoEntry

K = VetoEntry.Kind


def recorded_accidents(*, bulletin: Bulletin) -> set[tuple[int, int]]:
    """(department, accident) pairs already vetoed by another circulated bulletin. A correction
    re-pronounces what the bulletin it replaces had recorded: that one is void."""
    entries = VetoEntry.objects.filter(accident__isnull=False).exclude(bulletin=bulletin)
    if bulletin.supersedes_id:
        entries = entries.exclude(bulletin_id=bulletin.supersedes_id)
    return set(entries.values_list("department_id", "accident_id"))


def record(*, bulletin: Bulletin, vetoes: list[dict], actor: User) -> list[VetoEntry]:
    """The circulated bulletin's veto list (after the office's adjustments) into the ledger.
    The unique constraints make a second recording of the same accident, or of a second
    overdue-major veto in the same year, a no-op."""
    period_end = bulletin.period_end
    if bulletin.supersedes_id:
        VetoEntry.objects.filter(bulletin_id=bulletin.supersedes_id).delete()
    rows = []
    for entry in vetoes:
        common = {"department_id": entry["department_id"], "bulletin": bulletin}
        common["recorded_by"] = actor
        if entry.get("added"):
            rows.append(
                VetoEntry(
                    **common,
                    kind=K.ADDED,
                    year=period_end.year,
                    occurred_on=period_end,
                    reason="；".join(entry["reasons"]),
                )
            )
            continue
        for accident in entry.get("accidents", []):
            day = datetime.date.fromisoformat(accident["occurred_on"])
            rows.append(
                VetoEntry(
                    **common,
                    kind=K.FATAL_ACCIDENT,
                    accident_id=accident["id"],
                    year=day.year,
                    occurred_on=day,
                    reason=accident["reason"],
                )
            )
        if entry.get("major_overdue"):
            overdue = [r for r in entry["reasons"] if "重大隐患逾期" in r]
            rows.append(
                VetoEntry(
                    **common,
                    kind=K.MAJOR_OVERDUE,
                    year=period_end.year,
                    occurred_on=period_end,
                    reason="；".join(overdue) or "重大隐患逾期未整改",
                )
            )
    return VetoEntry.objects.bulk_create(rows, ignore_conflicts=True)


def vetoed_departments(entries: QuerySet) -> list[dict]:
    """Per year and department, how many vetoes: what the annual evaluation reads. One query."""
    return list(
        entries.order_by()
        .values("year", "department_id", "department__name")
        .annotate(count=Count("id"))
        .order_by("-year", "department__sort_order", "department_id")
    )
