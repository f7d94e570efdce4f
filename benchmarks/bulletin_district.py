"""A month's bulletin on the seeded ten-year district (1M hazards, ~42,000 found per month).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anjian_bench \\
        .venv/bin/python benchmarks/bulletin_district.py

Runs on the district `district.py` seeded (it does not seed; it adds one bulletin draft per
run): the last full month, built the way the Celery task builds it — once in this fresh
process (WeasyPrint's import and font set-up included) and once more, as a worker that has
built a bulletin before — then each stage timed alone: statistics, PDF, the .xlsx annex
(the period's overdue hazards and the backlog by department once the backlog passes
BULLETIN_ANNEX_MAX_ROWS; every open major hazard), with the peak memory of the process.
Budget (issue 12): ≤ 6 s end to end.
"""

import datetime
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.utils import timezone  # noqa: E402

from benchmarks.district import settings  # noqa: E402  (sets Django up)
from inspections import bulletins  # noqa: E402
from inspections.models import Hazard  # noqa: E402
from inspections.stats import Scope, compute  # noqa: E402
from units.models import User  # noqa: E402


def main() -> None:
    if "bench" not in settings.DATABASES["default"]["NAME"]:
        sys.exit("DATABASE_URL must point at the seeded *bench* database")
    office = User.objects.get(username="bench_office")
    today = timezone.localdate()
    end = today.replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)
    found = Hazard.objects.filter(found_on__range=(start, end)).count()
    builds = []
    for _ in range(2):
        draft = bulletins.create_bulletin(actor=office, start=start, end=end)
        started = time.perf_counter()
        built = bulletins.build(draft.pk)
        builds.append(time.perf_counter() - started)
        assert built.status == "ready", built.error
    timings = {}
    scope = bulletins.scope_for(built, today)
    t = time.perf_counter()
    compute(
        Scope(start=start, end=end, today=today),
        major_overdue_days=settings.BULLETIN_VETO_MAJOR_OVERDUE_DAYS,
        untouched_days=settings.BULLETIN_CRITICISE_UNTOUCHED_DAYS,
        list_cap=settings.BULLETIN_PDF_LIST_CAP,
    )
    timings["statistics"] = time.perf_counter() - t
    t = time.perf_counter()
    bulletins.render_pdf(built)
    timings["PDF"] = time.perf_counter() - t
    t = time.perf_counter()
    annex = bulletins.attachment_xlsx(built, scope)
    timings["xlsx annex"] = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    overdue = built.stats["summary"]["overdue"]["value"]
    listed = built.stats["annex"]["overdue_rows"]
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
    print(
        f"bulletin {start:%Y-%m}: {found:,} hazards in the period, {overdue:,} overdue,"
        f" {listed:,} of them listed in the annex ({len(annex) / 1e6:.1f} MB):"
        f" build {builds[0]:.1f} s in a fresh process, {builds[1]:.1f} s the second time"
        f" ({stages}), peak RSS {peak:.0f} MB, load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
