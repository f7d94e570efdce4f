"""The 通报 entries that name a unit, for its portal — never the bulletin itself.

A circulated bulletin's snapshot (Bulletin.stats) lists hazards by id in its overdue and major
lists; the unit is shown the rows of its own hazards, with the bulletin's number and date, and
nothing of the other rows, the tables of departments or the remarks.
"""

from inspections.models import Bulletin, Hazard

LISTS = (("overdue_list", "逾期未整改隐患"), ("major_list", "重大隐患"))
# The unit's portal reads the newest bulletins; older ones stay in the office's archive.
RECENT_BULLETINS = 36


def entries_naming(user) -> list[dict]:
    """[{bulletin number, title, date, list label, rows}] of the user's unit, newest first."""
    own = set(Hazard.objects.visible_to(user).values_list("pk", flat=True))
    if not own:
        return []
    circulated = (
        Bulletin.objects.filter(status=Bulletin.Status.CIRCULATED)
        .only("number", "title", "circulated_at", "stats")
        .order_by("-circulated_at", "-id")[:RECENT_BULLETINS]
    )
    entries = []
    for bulletin in circulated:
        stats = bulletin.stats or {}
        for key, label in LISTS:
            rows = [
                {
                    "number": row.get("number"),
                    "description": row.get("description"),
                    "deadline": row.get("deadline"),
                    "overdue_days": row.get("overdue_days"),
                    "status": row.get("status"),
                }
                for row in (stats.get(key) or {}).get("rows", [])
                if row.get("id") in own
            ]
            if rows:
                entries.append(
                    {
                        "number": bulletin.number,
                        "title": bulletin.title,
                        "date": bulletin.circulated_at,
                        "label": label,
                        "rows": rows,
                    }
                )
    return entries
