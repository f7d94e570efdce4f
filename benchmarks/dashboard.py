"""Benchmark: the leaders' dashboard (/dashboard/) over 1,000,000 hazards on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres anjian_bench_dash    # once; only *bench* names accepted
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anjian_bench_dash \\
        .venv/bin/python benchmarks/dashboard.py [--hazards 1000000] [--fresh]

Its own database (the other benchmarks' hazards all sit in two fixed years with one type and
no accidents). Generates 20,000 units, 10,000 inspections, the hazards over last year and this
year up to today (every type, 5% major, 40% closed ten days after being found, 2% dismissed,
the rest in the rectification loop with deadlines 15 days after), 5,000 enforcement actions
and 600 accidents, all in SQL; reused by later runs unless --fresh.

Times the whole page — the view rendering its template, every figure, chart and the league
table — with the cache off, for the district office and for an inspector (visible_to), this
month and this year; then a cached request. Prints the query count and a README row.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anjian.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-used-anywhere-0123456789")
# The page renders its template: static URLs without a collectstatic manifest.
os.environ.setdefault("PLAIN_STATIC", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.common import (  # noqa: E402
    bench_units,
    fill_hazard_scope,
    insert_select,
    remove_bench_users,
)
from inspections.models import Accident, EnforcementAction, Hazard, Inspection  # noqa: E402
from inspections.models.counts import rebuild_counts  # noqa: E402
from inspections.views.dashboard import dashboard_page  # noqa: E402
from units.models import Department, Unit, User  # noqa: E402

UNITS = 20_000
INSPECTIONS = 10_000
REPEAT = 5


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def generate(count: int) -> None:
    sql(
        "TRUNCATE inspections_reminder, inspections_notification, inspections_hazardevent,"
        " inspections_enforcementaction_hazards, inspections_enforcementaction,"
        " inspections_accident, inspections_hazard, inspections_inspection_inspectors,"
        " inspections_inspection, units_unit RESTART IDENTITY CASCADE"
    )
    departments = list(Department.objects.filter(kind=Department.Kind.REGULATOR))
    office_dept = Department.objects.get(kind=Department.Kind.OFFICE)
    remove_bench_users()
    inspector = User.objects.create(
        username="bench_inspector", role=User.Role.INSPECTOR, department=departments[0]
    )
    User.objects.create(username="bench_office", role=User.Role.OFFICE, department=office_dept)
    # Again: remove_bench_users() above sets the role back to DEFAULT when it is done.
    sql("SET session_replication_role = replica")
    bench_units(
        UNITS, departments, name=lambda i: f"看板基准单位{i}", address=lambda i: f"基准路{i}号"
    )
    today = timezone.localdate()
    first = datetime.date(today.year - 1, 1, 1)
    days = (today - first).days + 1
    # Inspections spread over the two years, by the unit's lead department.
    insert_select(
        Inspection,
        {
            "unit_id": "u.id",
            "department_id": "u.lead_department_id",
            "created_by_id": "%(by)s",
            "date": "%(first)s::date + (g * 37 %% %(days)s)::int",
            "checked_items": "'消防通道'",
            "status": "'submitted'",
            "submitted_at": "now()",
            "created_at": "now()",
            "updated_at": "now()",
        },
        "FROM generate_series(0, %(n)s - 1) g JOIN units_unit u ON u.id = 1 + g %% %(units)s",
        {"by": inspector.pk, "first": first, "days": days, "n": INSPECTIONS, "units": UNITS},
    )
    # The inspections numbered from 0, so that hazard g belongs to inspection g mod their count.
    sql(
        "CREATE TEMP TABLE insp AS SELECT row_number() OVER (ORDER BY i.id) - 1 AS k, i.id,"
        " i.unit_id, u.lead_department_id FROM inspections_inspection i"
        " JOIN units_unit u ON u.id = i.unit_id"
    )
    sql("ALTER TABLE insp ADD PRIMARY KEY (k)")
    sql("ANALYZE insp")
    # As district.py: the keyword index is built once after the rows, not kept up row by row
    # (a million inserts into the GIN index took over ten minutes).
    sql("DROP INDEX IF EXISTS hazard_text_bigram_idx")
    insert_select(
        Hazard,
        {
            "number": "'YH-D-' || lpad(g::text, 8, '0')",
            "year": "extract(year FROM f.found_on)::int",
            "found_on": "f.found_on",
            "source": "'inspection'",
            "description": "'看板基准隐患'",
            "hazard_type": "(ARRAY['fire','electrical','special_equipment','hazchem',"
            "'construction','traffic','machinery','other'])[1 + g %% 8]",
            "level": "CASE WHEN g %% 20 = 0 THEN 'major' ELSE 'general' END",
            "responsible_person": "'张三'",
            "deadline": "f.found_on + 15",
            "original_deadline": "f.found_on + 15",
            "status": "s.status",
            "listed_document": "CASE WHEN g %% 200 = 0"
            " THEN '安委办督〔2026〕' || g || '号' ELSE '' END",
            "closed_at": "CASE WHEN s.status = 'closed' THEN (LEAST(f.found_on + 10,"
            " %(today)s::date) + time '10:00') AT TIME ZONE 'Asia/Shanghai' END",
            "created_at": "now()",
            "updated_at": "now()",
            "lead_department_id": "insp.lead_department_id",
            "unit_id": "insp.unit_id",
            "inspection_id": "insp.id",
        },
        """
        FROM generate_series(1::bigint, %(count)s) AS g
        JOIN insp ON insp.k = g %% %(inspections)s
        CROSS JOIN LATERAL (
            SELECT %(first)s::date + ((g * 7919) %% %(days)s)::int AS found_on) f
        CROSS JOIN LATERAL (SELECT CASE
            WHEN g %% 50 = 1 THEN 'rejected'
            WHEN g %% 5 < 2 THEN 'closed'
            WHEN g %% 5 = 2 THEN 'rectifying'
            WHEN g %% 5 = 3 THEN 'assigned'
            ELSE 'awaiting_verification' END AS status) s
        """,
        {
            "count": count,
            "inspections": INSPECTIONS,
            "first": first,
            "days": days,
            "today": today,
        },
    )
    sql("DROP TABLE insp")
    fill_hazard_scope()
    insert_select(
        EnforcementAction,
        {
            "unit_id": "u.id",
            "kind": "k.kind",
            "decided_on": "%(first)s::date + (g * 13 %% %(days)s)::int",
            "fine_amount": "CASE WHEN k.kind = 'fine' THEN 5000 + g %% 50 * 1000 END",
            "department_id": "u.lead_department_id",
            "created_by_id": "%(by)s",
            "created_at": "now()",
        },
        """
        FROM generate_series(0, 4999) g
        JOIN units_unit u ON u.id = 1 + g * 7 %% %(units)s
        CROSS JOIN LATERAL (SELECT (ARRAY['fine','fine','suspend','close','judicial'])
                                   [1 + g %% 5] AS kind) k
        """,
        {"first": first, "days": days, "by": inspector.pk, "units": UNITS},
    )
    insert_select(
        Accident,
        {
            "unit_id": "u.id",
            "area_id": "u.area_id",
            "occurred_on": "%(first)s::date + (g * 11 %% %(days)s)::int",
            "kind": "(ARRAY['fire','fire','traffic','machinery','fall','other'])[1 + g %% 6]",
            "deaths": "CASE WHEN g %% 25 = 0 THEN 1 ELSE 0 END",
            "injuries": "g %% 3",
            "direct_loss": "0",
            "description": "'基准事故'",
            "created_by_id": "%(by)s",
            "created_at": "now()",
        },
        "FROM generate_series(0, 599) g JOIN units_unit u ON u.id = 1 + g * 31 %% %(units)s",
        {"first": first, "days": days, "by": inspector.pk, "units": UNITS},
    )


def request(user, params: dict):
    req = RequestFactory().get("/dashboard/", params)
    req.user = user
    return req


def timed(user, params: dict) -> tuple[float, float, int]:
    runs = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = dashboard_page(request(user, params))
        runs.append(time.perf_counter() - started)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as captured:
        dashboard_page(request(user, params))
    runs.sort()
    p95 = runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]
    return statistics.median(runs), p95, len(captured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true", help="regenerate the data")
    args = parser.parse_args()

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql") or "bench" not in database["NAME"]:
        sys.exit("DATABASE_URL must point at a PostgreSQL database named *bench* (it is wiped)")
    wall = time.perf_counter()
    call_command("migrate", verbosity=0)
    if args.fresh or Hazard.objects.count() != args.hazards:
        started = time.perf_counter()
        # As in district.py: no audit history for generated rows; the counts rebuilt after.
        sql("SET session_replication_role = replica")
        try:
            generate(args.hazards)
        finally:
            sql("SET session_replication_role = DEFAULT")
        sql(import_module("inspections.migrations.0006_hazard_bigram_index").CREATE_INDEX)
        rebuild_counts()
        sql("VACUUM ANALYZE")
        print(f"generated {args.hazards:,} hazards in {time.perf_counter() - started:.1f}s")
    office = User.objects.get(username="bench_office")
    inspector = User.objects.get(username="bench_inspector")
    print(
        f"PostgreSQL {connection.pg_version // 10000}, {Hazard.objects.count():,} hazards, "
        f"{Inspection.objects.count():,} inspections, {Unit.objects.count():,} units"
    )
    today = timezone.localdate()
    cases = [
        ("安委办，本月", office, {}),
        ("安委办，本年", office, {"period": "year", "year": today.year}),
        ("检查员（本部门），本月", inspector, {}),
    ]
    settings.DASHBOARD_CACHE_SECONDS = 0
    results = []
    for label, user, params in cases:
        median, p95, queries = timed(user, params)
        print(f"{label}: median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, {queries} queries")
        results.append((label, median, queries))
    settings.DASHBOARD_CACHE_SECONDS = 120
    cache.clear()
    dashboard_page(request(office, {}))
    cached, _, cached_queries = timed(office, {})
    print(f"cached (安委办，本月): median {cached * 1000:.0f} ms, {cached_queries} queries")
    print(f"\nbenchmark wall time {time.perf_counter() - wall:.0f}s\n")
    print("README row:")
    print(
        f"| 数据看板（全部卡片、7 张图、部门排名；不用缓存） | {args.hazards:,} 条隐患、"
        f"{Unit.objects.count():,} 家单位 | "
        + "；".join(f"{label} {median * 1000:,.0f} ms" for label, median, _ in results)
        + f"；{results[0][2]} 条查询；缓存命中 {cached * 1000:.0f} ms | "
        "`DATABASE_URL=…/anjian_bench_dash .venv/bin/python benchmarks/dashboard.py` |"
    )


if __name__ == "__main__":
    main()
