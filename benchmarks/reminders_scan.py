"""Benchmark: the daily reminder scan over 1,000,000 open hazards on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres anjian_bench      # once; the script refuses other names
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anjian_bench \\
        .venv/bin/python benchmarks/reminders_scan.py [--hazards 1000000] [--fresh]

Generates the hazards in SQL (INSERT … SELECT generate_series), reused by later runs unless
--fresh. Each run resets reminders, digests and the escalations it made, then measures:
  cold day   first run with no reminder history (every overdue hazard gets a reminder),
  rerun      the same day again (must insert nothing),
  next day   the steady state (overdue reminders repeat weekly, so few rows).
Prints the EXPLAIN of each kind's scan query, wall times, peak memory and a table row for the
README's performance table.
"""

import argparse
import datetime
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anjian.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-used-anywhere-0123456789")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402
import django.utils.timezone  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks.common import bench_units, fill_hazard_scope  # noqa: E402
from inspections import reminders  # noqa: E402
from inspections.models import Hazard, Inspection  # noqa: E402
from units.models import Department, Unit, User  # noqa: E402

DAY = datetime.date(2025, 6, 25)
UNITS = 2_000
INSPECTIONS = 10_000
INSPECTORS_PER_DEPARTMENT = 3


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def generate(count: int) -> None:
    """Reference rows through the ORM (small), the hazards in one INSERT … SELECT."""
    sql(
        "TRUNCATE inspections_reminder, inspections_notification, inspections_hazardevent,"
        " inspections_hazard, inspections_inspection_inspectors, inspections_inspection,"
        " units_unit RESTART IDENTITY CASCADE"
    )
    User.objects.filter(username__startswith="bench_").delete()
    departments = list(Department.objects.filter(kind=Department.Kind.REGULATOR))
    users = []
    for department in departments:
        for n in range(INSPECTORS_PER_DEPARTMENT):
            users.append(
                User(
                    username=f"bench_{department.pk}_{n}",
                    role=User.Role.INSPECTOR,
                    department=department,
                    email=f"bench_{department.pk}_{n}@example.gov.cn",
                )
            )
    office = Department.objects.get(kind=Department.Kind.OFFICE)
    for role in (User.Role.OFFICE, User.Role.SUPERVISOR, User.Role.LEADER):
        users.append(User(username=f"bench_{role}", role=role, department=office))
    User.objects.bulk_create(users)
    inspectors = list(User.objects.filter(username__startswith="bench_", role="inspector"))
    bench_units(
        UNITS,
        departments,
        name=lambda i: f"基准单位{i}",
        address=lambda i: f"基准路{i}号",
        batch_size=1000,
    )
    units = list(Unit.objects.order_by("id"))
    submitted_at = django.utils.timezone.now()
    Inspection.objects.bulk_create(
        [
            Inspection(
                unit=units[i % UNITS],
                department=units[i % UNITS].lead_department,
                created_by=inspectors[i % len(inspectors)],
                date=DAY - datetime.timedelta(days=200),
                status=Inspection.Status.SUBMITTED,
                submitted_at=submitted_at,
                checked_items="消防通道",
            )
            for i in range(INSPECTIONS)
        ],
        batch_size=2000,
    )
    # Deadlines spread uniformly from 40 days past to 59 days ahead (40% overdue); 90% in a
    # status whose clock runs; 5% major. Hazards past their escalation threshold before DAY
    # are already escalated, as yesterday's runs would have left them.
    sql(
        """
        WITH insp AS (
            SELECT row_number() OVER (ORDER BY i.id) - 1 AS k, i.id, i.unit_id, u.lead_department_id
            FROM inspections_inspection i JOIN units_unit u ON u.id = i.unit_id
        )
        INSERT INTO inspections_hazard (
            number, year, found_on, description, location, hazard_type, level, legal_basis,
            responsible_person, responsible_phone, deadline, original_deadline,
            rectification_plan, measures, status, fixed_on_spot, disposal, reopen_count,
            escalated_at, listed_document, plan_responsible, plan_measures, plan_acceptance,
            version, created_at, updated_at, lead_department_id, unit_id, inspection_id,
            source, external_source, external_id)
        SELECT 'YH-B-' || lpad(g::text, 7, '0'), 2025, d.deadline - 30, '基准隐患' || g, '',
            'fire', lvl.level, '', '张三', '', d.deadline, d.deadline, '', '',
            (ARRAY['assigned','assigned','assigned','assigned','rectifying','rectifying',
                   'rectifying','rectifying','disposal','awaiting_verification'])
                [((g / 7) %% 10 + 1)::int],
            false, '', 0,
            CASE WHEN d.deadline < %(day)s::date - CASE lvl.level WHEN 'major' THEN %(major)s
                                                               ELSE %(general)s END
                 THEN now() END,
            '', '', '', '', 1, now(), now(), insp.lead_department_id, insp.unit_id, insp.id,
            'inspection', '', ''
        FROM generate_series(1::bigint, %(count)s) AS g
        JOIN insp ON insp.k = g %% %(inspections)s
        CROSS JOIN LATERAL (SELECT %(day)s::date + (((g * 7919) %% 100) - 40)::int AS deadline) d
        CROSS JOIN LATERAL (SELECT CASE WHEN (g / 3) %% 20 = 0 THEN 'major' ELSE 'general' END
                            AS level) lvl
        """,
        {
            "day": DAY,
            "count": count,
            "inspections": INSPECTIONS,
            # Escalated before DAY = overdue by more than the threshold already yesterday.
            "general": settings.ESCALATE_AFTER_DAYS + 1,
            "major": settings.ESCALATE_MAJOR_AFTER_DAYS + 1,
        },
    )
    fill_hazard_scope()
    sql("ANALYZE")


def reset() -> None:
    """Undo what earlier benchmark runs wrote, keeping the generated hazards."""
    sql(
        "UPDATE inspections_hazard SET escalated_at = NULL WHERE id IN"
        " (SELECT hazard_id FROM inspections_hazardevent WHERE action = 'escalate')"
    )
    sql("DELETE FROM inspections_hazardevent WHERE action = 'escalate'")
    sql("TRUNCATE inspections_reminder, inspections_notification")
    sql("VACUUM ANALYZE inspections_hazard")
    sql("VACUUM ANALYZE inspections_reminder")


def show_plan(title: str, queryset) -> None:
    select_sql, params = queryset.query.sql_with_params()
    plan = sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + select_sql, params)
    print(f"\n--- EXPLAIN {title}")
    print("\n".join(row[0] for row in plan))


def explain(day: datetime.date, state: str) -> None:
    for kind, queryset in reminders.candidates(day).items():
        show_plan(f"{kind} scan, {state}", queryset.values_list("pk"))


def explain_digest(day: datetime.date) -> None:
    """The digest query of the department with the most reminders."""
    groups = reminders.recipient_groups(day)
    user_ids, queryset = max(groups[:-3] or groups, key=lambda group: group[1].count())
    show_plan(
        f"digest of the {len(user_ids)} inspectors of one department",
        reminders.digest_rows(queryset, day),
    )


def run_day(label: str, day: datetime.date) -> dict:
    started = time.perf_counter()
    counts = reminders.scan(day, escalate=False)
    scanned = time.perf_counter()
    counts["escalated"] = reminders.escalate_pending()
    escalated = time.perf_counter()
    digests = reminders.build_digests(day)
    done = time.perf_counter()
    result = {
        "label": label,
        "inserted": sum(counts[k] for k in reminders.KIND_ORDER),
        "counts": counts,
        "scan_s": scanned - started,
        "escalate_s": escalated - scanned,
        "digests_s": done - escalated,
        "digests": len(digests),
        "total_s": done - started,
        "rss_mb": rss_mb(),
    }
    print(
        f"{label:9} {day}  reminders inserted {result['inserted']:>7,}  {counts}\n"
        f"          scan {result['scan_s']:6.2f}s  escalations {counts['escalated']:>5} in "
        f"{result['escalate_s']:6.2f}s  digests {len(digests)} in {result['digests_s']:5.2f}s  "
        f"total {result['total_s']:6.2f}s  "
        f"max RSS {result['rss_mb']:.0f} MB"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true", help="regenerate the hazards")
    args = parser.parse_args()

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql") or "bench" not in database["NAME"]:
        sys.exit("DATABASE_URL must point at a PostgreSQL database named *bench* (it is wiped)")
    wall = time.perf_counter()
    call_command("migrate", verbosity=0)
    if args.fresh or Hazard.objects.count() != args.hazards:
        started = time.perf_counter()
        generate(args.hazards)
        print(f"generated {args.hazards:,} hazards in {time.perf_counter() - started:.1f}s")
    reset()
    open_count = Hazard.objects.deadline_clock().count()
    overdue = Hazard.objects.overdue(DAY).count()
    print(
        f"PostgreSQL {connection.pg_version // 10000}, {Hazard.objects.count():,} open hazards, "
        f"{open_count:,} with a running clock, {overdue:,} overdue on {DAY}; "
        f"settings: escalate after {settings.ESCALATE_AFTER_DAYS}/"
        f"{settings.ESCALATE_MAJOR_AFTER_DAYS} days, overdue every "
        f"{settings.OVERDUE_REMIND_EVERY_DAYS} days, {settings.DIGEST_MAX_ITEMS} items/kind"
    )
    baseline = rss_mb()
    explain(DAY, "no reminder history")
    print()
    cold = run_day("cold day", DAY)
    rerun = run_day("rerun", DAY)
    assert rerun["inserted"] == 0 and rerun["counts"]["escalated"] == 0, "rerun must be a no-op"
    sql("VACUUM ANALYZE inspections_reminder")
    explain(DAY + datetime.timedelta(days=1), "with yesterday's reminders")
    explain_digest(DAY)
    print()
    steady = run_day("next day", DAY + datetime.timedelta(days=1))
    print(f"\nbenchmark wall time {time.perf_counter() - wall:.0f}s\n")
    print("README row:")
    print(
        f"| 每日提醒扫描（{args.hazards:,} 条未销号隐患，PostgreSQL {connection.pg_version // 10000}）"
        f" | 首日 {cold['total_s']:.1f} s（插入 {cold['inserted']:,} 条提醒：SQL {cold['scan_s']:.1f} s，"
        f"督办 {cold['counts']['escalated']:,} 件 {cold['escalate_s']:.1f} s，"
        f"汇总 {cold['digests']} 份 {cold['digests_s']:.1f} s）；重跑 {rerun['total_s']:.1f} s（0 条）；"
        f"次日 {steady['total_s']:.1f} s（{steady['inserted']:,} 条）"
        f" | 进程峰值 RSS {steady['rss_mb']:.0f} MB（运行前 {baseline:.0f} MB） |"
    )


if __name__ == "__main__":
    main()
