"""Benchmark: a month's bulletin at district scale — 10,000 hazards found in the period.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anjian_bench .venv/bin/python benchmarks/bulletin_month.py

Creates a throwaway test database (test_<name>), loads the demo district plus 3,000 units,
6,000 inspections and 10,000 hazards in May 2026 (every status; ~1,000 overdue, majors listed)
and 20,000 older hazards, then builds the bulletin the way the Celery task does and times each
stage. Budget: BUDGET_SECONDS for the whole build (statistics + PDF + xlsx) on a 2-core machine.
The last line is the row for the README's performance table.
"""

import datetime
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

BUDGET_SECONDS = 20.0
HAZARDS_IN_PERIOD = 10_000
OLDER_HAZARDS = 20_000
UNITS = 3_000
INSPECTIONS = 6_000

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anjian.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghijklmnop")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ.setdefault("SECURE_HTTPS", "0")

import django  # noqa: E402

django.setup()
# WeasyPrint logs every layout step at INFO; the timings are what this script prints.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

START = datetime.date(2026, 5, 1)
END = datetime.date(2026, 5, 31)
TODAY = datetime.date(2026, 6, 3)


def populate() -> None:
    from inspections.models import Accident, Hazard, Inspection
    from units import demo
    from units.models import Department, Unit, User

    demo.seed_base("bench-password-1")
    demo.seed_scale(UNITS)
    rng = random.Random(2026)
    units = list(Unit.objects.values_list("id", "lead_department_id", "area_id"))
    inspectors = list(User.objects.filter(role="inspector").values_list("id", "department_id"))
    office = User.objects.filter(role="office").first()
    departments = list(Department.objects.filter(kind="regulator").values_list("id", flat=True))
    tz = timezone.get_current_timezone()

    def make_inspections(count: int, first: datetime.date, span: int) -> list[int]:
        rows = []
        for _ in range(count):
            unit_id, _, _ = rng.choice(units)
            user_id, dept_id = rng.choice(inspectors)
            rows.append(
                Inspection(
                    unit_id=unit_id,
                    department_id=dept_id or rng.choice(departments),
                    created_by_id=user_id,
                    date=first + datetime.timedelta(days=rng.randrange(span)),
                    status="submitted",
                    submitted_at=timezone.now(),
                    no_hazards=rng.random() < 0.3,
                )
            )
        created = Inspection.objects.bulk_create(rows, batch_size=2000)
        return [(i.pk, i.unit_id, i.date) for i in created]

    statuses = (
        ["closed"] * 55
        + ["rectifying"] * 15
        + ["assigned"] * 12
        + ["awaiting_verification"] * 8
        + ["registered"] * 4
        + ["disposal"] * 2
        + ["rejected", "void", "merged"]
    )
    lead = {u[0]: u[1] for u in units}
    serial = [0]

    def make_hazards(count: int, inspections: list) -> None:
        rows = []
        for _ in range(count):
            insp_id, unit_id, found = rng.choice(inspections)
            status = rng.choice(statuses)
            deadline = found + datetime.timedelta(days=rng.choice([7, 15, 30, 45]))
            serial[0] += 1
            closed_at = None
            if status == "closed":
                closed = min(found + datetime.timedelta(days=rng.randrange(1, 30)), TODAY)
                closed_at = datetime.datetime.combine(closed, datetime.time(15), tzinfo=tz)
            rows.append(
                Hazard(
                    number=f"YH-B-{serial[0]:07d}",
                    year=found.year,
                    inspection_id=insp_id,
                    unit_id=unit_id,
                    found_on=found,
                    description="安全出口堵塞，疏散指示标志损坏，灭火器过期未检",
                    hazard_type=rng.choice(Hazard.Type.values),
                    level="major" if rng.random() < 0.04 else "general",
                    lead_department_id=lead[unit_id],
                    deadline=None if status == "registered" else deadline,
                    original_deadline=None if status == "registered" else deadline,
                    status=status,
                    closed_at=closed_at,
                    merged_into_id=None,
                    escalated_at=closed_at if rng.random() < 0.02 else None,
                )
            )
        # A merged hazard needs a target: point them at the first hazard created.
        first = Hazard.objects.order_by("id").first()
        for row in rows:
            if row.status == "merged":
                row.merged_into = first or None
                if first is None:
                    row.status = "void"
        Hazard.objects.bulk_create(rows, batch_size=2000)

    with transaction.atomic():
        older = make_inspections(INSPECTIONS * 2, datetime.date(2025, 6, 1), 330)
        make_hazards(OLDER_HAZARDS, older)
        in_period = make_inspections(INSPECTIONS, START, 31)
        make_hazards(HAZARDS_IN_PERIOD, in_period)
        areas = list({u[2] for u in units})
        Accident.objects.bulk_create(
            [
                Accident(
                    area_id=rng.choice(areas),
                    occurred_on=START + datetime.timedelta(days=rng.randrange(31)),
                    kind="fire",
                    deaths=int(rng.random() < 0.2),
                    injuries=rng.randrange(3),
                    description="基准测试事故",
                    created_by=office,
                )
                for _ in range(12)
            ]
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")


def run() -> dict[str, float]:
    import time_machine

    from inspections import bulletins
    from inspections.models import Hazard
    from inspections.stats import Scope, compute

    found = Hazard.objects.filter(found_on__range=(START, END)).count()
    assert found == HAZARDS_IN_PERIOD, found
    office = __import__("units.models", fromlist=["User"]).User.objects.filter(role="office")[0]
    timings = {}
    with time_machine.travel(
        datetime.datetime(2026, 6, 3, 9, tzinfo=timezone.get_current_timezone())
    ):
        t = time.perf_counter()
        compute(
            Scope(start=START, end=END, today=TODAY),
            major_overdue_days=settings.BULLETIN_VETO_MAJOR_OVERDUE_DAYS,
            untouched_days=settings.BULLETIN_CRITICISE_UNTOUCHED_DAYS,
            list_cap=settings.BULLETIN_PDF_LIST_CAP,
        )
        timings["statistics"] = time.perf_counter() - t

        draft = bulletins.create_bulletin(actor=office, start=START, end=END)
        t = time.perf_counter()
        built = bulletins.build(draft.pk)
        timings["build (stats + PDF + xlsx)"] = time.perf_counter() - t
        assert built.status == "ready", built.error

        t = time.perf_counter()
        bulletins.render_pdf(built)
        timings["PDF render alone"] = time.perf_counter() - t

        leader = type(office).objects.filter(role="leader")[0]
        bulletins.submit(bulletin_id=built.pk, actor=office)
        bulletins.approve(bulletin_id=built.pk, actor=leader)
        t = time.perf_counter()
        circulated = bulletins.circulate(bulletin_id=built.pk, actor=office)
        timings["circulate (number + final PDF)"] = time.perf_counter() - t
        from pypdf import PdfReader

        timings["_pages"] = len(PdfReader(circulated.pdf.path).pages)
        timings["_overdue"] = built.stats["summary"]["overdue"]["value"]
    return timings


def main() -> int:
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    media = tempfile.mkdtemp(prefix="bulletin-bench-")
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with override_settings(MEDIA_ROOT=media):
            t = time.perf_counter()
            populate()
            print(f"data loaded in {time.perf_counter() - t:.1f} s ({connection.vendor})")
            timings = run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    for name, seconds in timings.items():
        if not name.startswith("_"):
            print(f"{name:34s} {seconds:6.2f} s")
    total = timings["build (stats + PDF + xlsx)"]
    verdict = "within" if total <= BUDGET_SECONDS else "OVER"
    print(
        f"| bulletin, one month, {HAZARDS_IN_PERIOD:,} hazards in period "
        f"({timings['_overdue']:,} overdue listed in xlsx) | {total:.1f} s build "
        f"(statistics {timings['statistics']:.2f} s, PDF {timings['PDF render alone']:.1f} s, "
        f"{timings['_pages']} pages) "
        f"| budget {BUDGET_SECONDS:.0f} s, {verdict} |"
    )
    return 0 if total <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
