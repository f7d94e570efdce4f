"""`make bench`: a district at ten years' scale, and the hot pages timed through Django.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anjian_bench \\
        .venv/bin/python benchmarks/district.py [--hazards 1000000] [--fresh] [--repeat 20]

Seeds once (reused by later runs unless --fresh or the size differs) into a PostgreSQL database
whose name contains "bench" (it is wiped): 50,000 units, 300,000 inspections over 24 months,
1,000,000 hazards (about 70% closed, 10% overdue, 2% major) and 5 events each, all by
INSERT … SELECT generate_series. Then requests every hot page through the Django test client as
the office and as an inspector: median and p95 of warm requests, the number of queries, and the
"floor" — the same SQL statements replayed alone — so a slow page says whether its queries or
Python are to blame. Prints a table and writes benchmarks/results.json. Not a test: no
assertion on time; the README's performance table quotes it.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anjian.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-used-anywhere-0123456789")
os.environ.setdefault("SECURE_HTTPS", "0")
os.environ.setdefault("PLAIN_STATIC", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.common import (  # noqa: E402
    bench_units,
    fill_hazard_scope,
    insert_select,
    remove_bench_users,
)
from benchmarks.ledger_search import NAME_KINDS, NAME_PREFIXES, PHRASES, STREETS  # noqa: E402
from inspections.models import Hazard, HazardEvent, Inspection  # noqa: E402
from units.models import Department, Unit, User  # noqa: E402

UNITS = 50_000
INSPECTIONS = 300_000
EVENTS_PER_HAZARD = 5
RESULTS = Path(__file__).resolve().parent / "results.json"


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def seed(hazards: int, events_per_hazard: int = EVENTS_PER_HAZARD) -> None:
    sql(
        "TRUNCATE inspections_reminder, inspections_notification, inspections_hazardevent,"
        " inspections_hazard, inspections_inspection_inspectors, inspections_inspection,"
        " units_unit RESTART IDENTITY CASCADE"
    )
    remove_bench_users()
    departments = list(Department.objects.filter(kind=Department.Kind.REGULATOR).order_by("id"))
    office = Department.objects.get(kind=Department.Kind.OFFICE)
    inspectors = [
        User.objects.create(
            username=f"bench_inspector_{d.pk}", role=User.Role.INSPECTOR, department=d
        )
        for d in departments
    ]
    User.objects.create(username="bench_office", role=User.Role.OFFICE, department=office)
    # The generated rows skip the tables' triggers: the audit's history rows (one per row,
    # each with its context: 300,000 inspections took 20+ min under load with them) describe
    # no one's work here. The hazard counts, also a trigger's, are rebuilt at the end.
    sql("SET session_replication_role = replica")
    try:
        generate(hazards, events_per_hazard, departments, inspectors)
    finally:
        sql("SET session_replication_role = DEFAULT")
    started = time.perf_counter()
    from importlib import import_module

    from inspections.models.counts import rebuild_counts

    sql(import_module("inspections.migrations.0006_hazard_bigram_index").CREATE_INDEX)
    rebuild_counts()
    sql("VACUUM ANALYZE")
    print(f"  indexes, counts and VACUUM ANALYZE in {time.perf_counter() - started:.0f}s")


def generate(hazards: int, events_per_hazard: int, departments, inspectors) -> None:
    started = time.perf_counter()
    bench_units(
        UNITS,
        departments,
        name=lambda i: f"{NAME_PREFIXES[i % 20]}{NAME_KINDS[(i // 20) % 20]}（{i // 400 + 1}号店）",
        address=lambda i: f"{STREETS[i % len(STREETS)]}{i % 997 + 1}号",
        batch_size=5000,
    )
    print(f"  {UNITS:,} units in {time.perf_counter() - started:.0f}s")
    today = timezone.localdate()
    # One inspector per department logs that department's inspections.
    inspector_of = "(%(inspectors)s::bigint[])[array_position(%(departments)s::bigint[], u.lead_department_id)]"
    ids = {
        "inspectors": [u.pk for u in inspectors],
        "departments": [d.pk for d in departments],
    }
    started = time.perf_counter()
    insert_select(
        Inspection,
        {
            "unit_id": "u.id",
            "department_id": "u.lead_department_id",
            "created_by_id": inspector_of,
            "date": "%(today)s::date - 1 - (g * 7919 %% 730)::int",
            "status": "'submitted'",
            "submitted_at": "now()",
            "created_at": "now()",
            "updated_at": "now()",
            "checked_items": "'消防通道、灭火器、用电线路'",
        },
        "FROM generate_series(1::bigint, %(count)s) g"
        " JOIN units_unit u ON u.id = 1 + g %% %(units)s",
        {**ids, "today": today, "count": INSPECTIONS, "units": UNITS},
    )
    sql(
        "INSERT INTO inspections_inspection_inspectors (inspection_id, user_id)"
        " SELECT id, created_by_id FROM inspections_inspection"
    )
    print(f"  {INSPECTIONS:,} inspections in {time.perf_counter() - started:.0f}s")
    started = time.perf_counter()
    sql("DROP INDEX IF EXISTS hazard_text_bigram_idx")
    # Status by a hash of g: 70% closed, 19% in the loop, the rest ended otherwise; of the
    # hazards whose clock runs, about half are past their deadline (≈10% of all overdue).
    status = (
        "(ARRAY['closed','closed','closed','closed','closed','closed','closed','closed','closed',"
        "'closed','closed','closed','closed','closed','registered','assigned','assigned',"
        "'rectifying','awaiting_verification','rejected'])[1 + (g * 104729 %% 20)::int]"
    )
    insert_select(
        Hazard,
        {
            "number": "'YH-' || extract(year FROM i.date)::int || '-B' || lpad(g::text, 7, '0')",
            "year": "extract(year FROM i.date)::int",
            "inspection_id": "i.id",
            "unit_id": "i.unit_id",
            "lead_department_id": "i.department_id",
            "found_on": "i.date",
            "description": "(%(phrases)s::text[])[1 + (g * 7919) %% 50] || '，'"
            " || (%(phrases)s::text[])[1 + (g * 104723 / 50) %% 50]",
            "hazard_type": "(ARRAY['fire','fire','electrical','special_equipment','hazchem',"
            "'construction','machinery','other'])[1 + (g %% 8)::int]",
            "level": "CASE WHEN g %% 50 = 0 THEN 'major' ELSE 'general' END",
            "status": "s.status",
            # Open hazards found in the last 60 days are mostly not yet due; older ones overdue.
            "deadline": "CASE WHEN s.status = 'registered' THEN NULL"
            " ELSE i.date + 15 + (g %% 16)::int END",
            "original_deadline": "CASE WHEN s.status = 'registered' THEN NULL"
            " ELSE i.date + 15 + (g %% 16)::int END",
            "closed_at": "CASE WHEN s.status = 'closed' THEN i.date + 20 END",
            "responsible_person": "'张三'",
            "version": "1",
            "created_at": "i.date::timestamptz",
            "updated_at": "i.date::timestamptz",
        },
        "FROM generate_series(1::bigint, %(count)s) g"
        " JOIN inspections_inspection i ON i.id = 1 + g %% %(inspections)s"
        f" CROSS JOIN LATERAL (SELECT {status} AS status) s",
        {"phrases": PHRASES, "count": hazards, "inspections": INSPECTIONS},
    )
    fill_hazard_scope()
    print(f"  {hazards:,} hazards in {time.perf_counter() - started:.0f}s")
    started = time.perf_counter()
    actions = ["register", "assign", "start", "report_done", "verify_ok"]
    insert_select(
        HazardEvent,
        {
            "hazard_id": "h.id",
            "actor_id": "i.created_by_id",
            "action": "(%(actions)s::text[])[n]",
            "from_status": "''",
            "to_status": "''",
            "note": "''",
            "data": "'{}'::jsonb",
            "created_at": "h.created_at + n * interval '1 day'",
        },
        "FROM inspections_hazard h JOIN inspections_inspection i ON i.id = h.inspection_id"
        " CROSS JOIN generate_series(1, %(per)s) n",
        {"actions": actions, "per": events_per_hazard},
    )
    print(f"  {hazards * events_per_hazard:,} events in {time.perf_counter() - started:.0f}s")


def pages(office: User, inspector: User) -> list[tuple[str, User, str]]:
    hazard = Hazard.objects.filter(lead_department=inspector.department).order_by("-id").first()
    unit = Unit.objects.filter(lead_department=inspector.department).order_by("-id").first()
    # Page 500, or the last page of a smaller district (100k hazards, for the 100k/1M ratio),
    # and 下一页 from the page before it: the keyset link the ledger gives there.
    seen = Hazard.objects.visible_to(inspector, drafts=False).order_by("-found_on", "-id")
    deep = min(500, seen.count() // 50)
    day, pk = seen.values_list("found_on", "id")[(deep - 1) * 50 - 1]
    return [
        ("ledger page 1", office, "/hazards/"),
        ("ledger page 1", inspector, "/hazards/"),
        ("ledger dept + overdue", office, f"/hazards/?department={inspector.department_id}&overdue=true"),
        ("ledger q=电梯", inspector, "/hazards/?q=电梯"),
        ("ledger q=电梯", office, "/hazards/?q=电梯"),
        ("ledger deep page", inspector, f"/hazards/?page={deep}"),
        ("ledger keyset deep page", inspector, f"/hazards/?after={day.isoformat()}.{pk}"),
        ("home", office, "/"),
        ("home", inspector, "/"),
        ("inspection list", office, "/inspections/"),
        ("inspection list", inspector, "/inspections/"),
        ("hazard detail", inspector, f"/hazards/{hazard.pk}/"),
        ("unit list", office, "/units/"),
        ("unit detail", inspector, f"/units/{unit.pk}/"),
        ("dashboard, uncached", office, "/dashboard/"),
        ("dashboard, uncached", inspector, "/dashboard/"),
        ("dashboard year, uncached", office, f"/dashboard/?period=year&year={day.year}"),
    ]  # fmt: skip


def floor(queries: list[dict]) -> float:
    """The page's SQL replayed alone (psycopg2 records the statement exactly as sent)."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for query in queries:
            sql = read_statement(query["sql"])
            if sql:
                cursor.execute(sql)
                cursor.fetchall()
    return time.perf_counter() - started


def read_statement(sql: str) -> str:
    """The SELECT to replay, or "": a UNION of parenthesised parts (the home page's queue rows)
    or a WITH (the ledger's counted first page) does not start with SELECT, so
    django-pghistory prefixes it with its context's set_config(), which is no part of the
    read."""
    if sql.startswith("SELECT set_config('pghistory."):
        sql = sql.split(";", 1)[1]
    return sql if sql.lstrip().upper().startswith(("SELECT", "(SELECT", "WITH")) else ""


def measure(name: str, user: User, url: str, repeat: int) -> dict:
    client = Client()
    client.force_login(user)
    assert client.get(url).status_code == 200, url  # warm: caches, plans, the session
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    floors = sorted(floor(captured.captured_queries) for _ in range(5))
    times.sort()
    return {
        "page": name,
        "role": user.get_role_display(),
        "url": url,
        "median_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)] * 1000, 1),
        "queries": len(captured.captured_queries),
        "floor_ms": round(floors[len(floors) // 2] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--fresh", action="store_true", help="seed again even if the size fits")
    # The events are most of the seed's time (28 of 40 min) and only the detail page reads them.
    parser.add_argument("--events-per-hazard", type=int, default=EVENTS_PER_HAZARD)
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write them")
    parser.add_argument(
        "--baseline", type=Path, help="an earlier run's results (e.g. at 100k): adds the ratio"
    )
    args = parser.parse_args()
    # The dashboard's own 120-second cache would time the cache, not the page.
    settings.DASHBOARD_CACHE_SECONDS = 0
    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql") or "bench" not in database["NAME"]:
        sys.exit("DATABASE_URL must point at a PostgreSQL database named *bench* (it is wiped)")
    call_command("migrate", verbosity=0)
    if args.fresh or Hazard.objects.count() != args.hazards:
        started = time.perf_counter()
        print(f"seeding {database['NAME']} …")
        seed(args.hazards, args.events_per_hazard)
        print(f"seeded in {time.perf_counter() - started:.0f}s")
    office = User.objects.get(username="bench_office")
    inspector = User.objects.filter(username__startswith="bench_inspector_").order_by("id").first()
    counts = {
        "units": Unit.objects.count(),
        "inspections": Inspection.objects.count(),
        "hazards": Hazard.objects.count(),
        "overdue": Hazard.objects.overdue().count(),
    }
    print(", ".join(f"{name} {value:,}" for name, value in counts.items()))
    load_before = os.getloadavg()[0]
    rows = [measure(name, user, url, args.repeat) for name, user, url in pages(office, inspector)]
    # Timings on a busy machine are not the code's: the load average goes with them.
    load = round(max(load_before, os.getloadavg()[0]), 1)
    baseline = {}
    if args.baseline:
        before = json.loads(args.baseline.read_text())
        baseline = {(r["page"], r["role"]): r for r in before["pages"]}
        print(f"\nbaseline: {args.baseline} ({before['data']['hazards']:,} hazards)")
    header = f"{'page':26} {'role':8} {'median':>8} {'p95':>8} {'queries':>7} {'floor':>8}"
    header += f" {'vs base':>8}" if baseline else ""
    print(f"\nload average {load} on {os.cpu_count()} cores")
    print(header + "\n" + "-" * len(header))
    for row in rows:
        line = (
            f"{row['page']:26} {row['role']:8} {row['median_ms']:>6.0f}ms {row['p95_ms']:>6.0f}ms"
            f" {row['queries']:>7} {row['floor_ms']:>6.0f}ms"
        )
        base = baseline.get((row["page"], row["role"]))
        if base:
            row["vs_baseline"] = round(row["median_ms"] / base["median_ms"], 2)
            line += f" {row['vs_baseline']:>7.2f}x"
        print(line)
    args.results.write_text(
        json.dumps(
            {
                "measured_at": timezone.now().isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                f"PostgreSQL {connection.pg_version // 10000}",
                "load_average": load,
                "repeat": args.repeat,
                "data": counts,
                "pages": rows,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    print(f"\nwritten to {args.results}")


if __name__ == "__main__":
    main()
