"""Benchmark: the /audit/ change list over 1,500,000 change events on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres anjian_trust_bench   # once; the script refuses other names
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anjian_trust_bench \\
        .venv/bin/python benchmarks/audit_page.py [--events 1500000] [--fresh] [--plans]

Seeds once (reused unless --fresh): a handful of real rows through the ORM — their triggers
write the first events — then each of three event tables (units, inspections, the inspections'
检查人员 links) is multiplied in SQL (INSERT … SELECT … generate_series) over 40,000 objects,
20,000 request contexts of 50 users and two years of timestamps. Then every filter of the page
through the Django test client as the office (5 warm requests each): median, query count; the
old aggregate query (pghistory's Events over every table) once, under a statement timeout.
--plans prints the EXPLAIN (ANALYZE, BUFFERS) of the page's key query per filter, for PLANS.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anjian.settings")
os.environ.setdefault("PLAIN_STATIC", "1")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-used-anywhere-0123456789")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit import trail  # noqa: E402
from audit.models import EVENT_MODELS, LINK_EVENT_MODELS, AuditEvent  # noqa: E402
from benchmarks.common import bench_units  # noqa: E402
from inspections.models import Inspection  # noqa: E402
from units.models import Department, Unit, User  # noqa: E402

DB_NAME = "anjian_trust_bench"
OBJECTS = 40_000
CONTEXTS = 20_000
USERS = 50


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def multiply(event_model, count: int, owner_column: str) -> None:
    """`count` copies of the table's first event, spread over objects, contexts and time."""
    table = event_model._meta.db_table
    columns = [f.column for f in event_model._meta.concrete_fields if f.column != "pgh_id"]
    overrides = {
        "pgh_created_at": "now() - (g * interval '41 seconds')",
        owner_column: f"(g %% {OBJECTS}) + 1",
        "pgh_context_id": f"(SELECT ids[(g %% {CONTEXTS}) + 1] FROM bench_contexts)",
        "pgh_label": "CASE WHEN g %% 10 = 0 THEN 'insert' ELSE 'update' END",
    }
    if event_model in LINK_EVENT_MODELS.values():
        overrides["pgh_label"] = "CASE WHEN g %% 3 = 0 THEN 'delete' ELSE 'insert' END"
    select = ", ".join(overrides.get(c, f'e."{c}"') for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    first = f'(SELECT * FROM "{table}" ORDER BY pgh_id LIMIT 1) e'
    sql(
        f'INSERT INTO "{table}" ({names}) SELECT {select} FROM {first}, generate_series(1, %s) g',
        [count],
    )


def seed(events: int) -> None:
    call_command("migrate", verbosity=0)
    if User.objects.filter(username="bench_office").exists():
        print("seed: reused")
        return
    started = time.monotonic()
    with transaction.atomic():
        department = Department.objects.order_by("pk").first()
        bench_units(
            1, [department], name=lambda i: f"基准单位{i}", address=lambda i: f"基准路{i}号"
        )
        office = User.objects.create_user(
            "bench_office", password="x", role=User.Role.OFFICE, name="基准安委办"
        )
        for n in range(USERS):
            User.objects.get_or_create(
                username=f"bench_user{n}", defaults={"role": "inspector", "name": f"检查员{n}"}
            )
        inspection = Inspection.objects.create(
            unit=Unit.objects.order_by("pk").first(),
            department=department,
            created_by=office,
            date=timezone.localdate(),
            status=Inspection.Status.SUBMITTED,
            submitted_at=timezone.now(),
        )
        inspection.inspectors.add(office)
    user_ids = list(User.objects.order_by("pk").values_list("pk", flat=True)[:USERS])
    sql(
        "INSERT INTO pghistory_context (id, created_at, updated_at, metadata) "
        "SELECT gen_random_uuid(), now(), now(), jsonb_build_object('user', "
        "(%s::bigint[])[(g %% %s) + 1], 'url', '/bench/', 'ip', '10.0.0.1', 'method', 'POST') "
        "FROM generate_series(1, %s) g",
        [user_ids, len(user_ids), CONTEXTS],
    )
    sql("DROP TABLE IF EXISTS bench_contexts")
    sql("CREATE TABLE bench_contexts AS SELECT array_agg(id) AS ids FROM pghistory_context")
    share = {"UnitHistory": 0.4, "InspectionHistory": 0.4, "InspectionInspectorsHistory": 0.2}
    for name, part in share.items():
        model = EVENT_MODELS.get(name) or LINK_EVENT_MODELS[name]
        column = "pgh_obj_id" if name in EVENT_MODELS else "inspection_id"
        t = time.monotonic()
        multiply(model, int(events * part), column)
        print(f"seed: {name} {int(events * part):,} rows in {time.monotonic() - t:.0f} s")
    sql("ANALYZE")
    print(f"seed: {time.monotonic() - started:.0f} s")


def pages(client: Client) -> dict[str, dict]:
    deep = trail.page_keys(trail.Filters(), 2000, None)[-1]
    cursor = trail.Cursor(deep[0], deep[1], deep[2]).encode()
    day = (timezone.localdate() - timezone.timedelta(days=200)).isoformat()
    return {
        "first page": {},
        "after 2,000 rows (cursor)": {"before": cursor},
        "one inspection (with its links)": {"model": "inspections.Inspection", "obj": "777"},
        "one user": {"user": "bench_user7"},
        "one day": {"date_from": day, "date_to": day},
        "units only": {"model": "units.Unit"},
    }


def measure(client: Client, params: dict, runs: int = 5) -> tuple[float, int]:
    times, queries = [], 0
    for _ in range(runs + 1):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get("/audit/", params)
            elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.status_code
        times.append(elapsed)
        queries = len(captured)
    return statistics.median(times[1:]), queries


def old_query(timeout_s: int) -> str:
    """pghistory's aggregate Events query, as the page ran it before this change."""
    sql(f"SET statement_timeout = '{timeout_s}s'")
    start = time.perf_counter()
    try:
        events = AuditEvent.objects.across(*EVENT_MODELS.values()).order_by(
            "-pgh_created_at", "-pgh_slug"
        )
        list(events[:50])
        return f"{(time.perf_counter() - start) * 1000:,.0f} ms"
    except Exception as error:  # the statement timeout
        connection.rollback() if connection.in_atomic_block else None
        return f"> {timeout_s} s ({type(error).__name__})"
    finally:
        sql("SET statement_timeout = 0")


def explain(params: dict) -> str:
    from audit.filters import AuditEventFilter

    filterset = AuditEventFilter(params or None, queryset=AuditEvent.no_objects.all())
    filters = filterset.trail_filters() if params and filterset.form.is_valid() else trail.Filters()
    cursor = trail.Cursor.decode(params.get("before", ""))
    with CaptureQueriesContext(connection) as queries:
        trail.page_keys(filters, settings.AUDIT_PAGE_SIZE, cursor)
    statement = queries.captured_queries[-1]["sql"]
    rows = sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement)
    return "\n".join(r[0] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_500_000)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--old-timeout", type=int, default=60)
    args = parser.parse_args()
    if settings.DATABASES["default"]["NAME"] != DB_NAME:
        sys.exit(f"refusing: run against the scratch database {DB_NAME} (it is filled)")
    if args.fresh:
        sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    seed(args.events)
    total = sum(m.objects.count() for m in [*EVENT_MODELS.values(), *LINK_EVENT_MODELS.values()])
    print(f"events: {total:,}")
    client = Client()
    with override_settings(ALLOWED_HOSTS=["*"], SECURE_SSL_REDIRECT=False):
        client.force_login(User.objects.get(username="bench_office"))
        print("| page | median | queries |\n|---|---|---|")
        for label, params in pages(client).items():
            median, queries = measure(client, params)
            print(f"| {label} | {median:,.0f} ms | {queries} |")
    print(f"old aggregate query, first 50: {old_query(args.old_timeout)}")
    if args.plans:
        for label, params in pages(client).items():
            print(f"\n### {label}\n\n```\n{explain(params)}\n```")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
