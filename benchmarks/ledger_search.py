"""Benchmark: the ledger's 关键词 (?q=) over 1,000,000 hazards on PostgreSQL, before/after the
bigram indexes (units/search.py).

    createdb -h 127.0.0.1 -U postgres anjian_bench_search   # once; only *bench* names accepted
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anjian_bench_search \\
        .venv/bin/python benchmarks/ledger_search.py [--hazards 1000000] [--fresh]

Its own database, not reminders_scan.py's anjian_bench: those hazards all read '基准隐患N',
and that script may be running at the same time. Generates 20,000 units and the hazards in SQL
(INSERT … SELECT generate_series; descriptions join two of 50 real-world phrases, numbers in the
workflow's YH-YYYY-NNNNNN form), reused by later runs unless --fresh.

For each term it times the ledger as /hazards/?q=… runs it for the district office (sees
everything; count + the first page of 50 by ids, then the page's rows), "before" with today's
plain `contains` (the SQLite path) and "after" with the indexes, checks both give the same
count and page, prints the EXPLAIN (ANALYZE) of the "after" count and a row for the README.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anjian.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-used-anywhere-0123456789")

import django  # noqa: E402
import django.utils.timezone  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402

from benchmarks.common import bench_units, fill_hazard_scope  # noqa: E402
from inspections.filters import (  # noqa: E402
    LEDGER_DEFAULT_SORT,
    ledger_base_queryset,
    ledger_order,
    ledger_queryset,
)
from inspections.models import Hazard, Inspection  # noqa: E402
from units.models import Department, Unit, User  # noqa: E402

TERMS = ["消防", "灭火器", "YH-2026-0001"]
UNITS = 20_000
INSPECTIONS = 10_000
PAGE = 50
REPEAT = 3

PHRASES = [
    "消防通道堵塞", "安全出口锁闭", "灭火器过期未检", "灭火器压力不足", "消火栓被遮挡",
    "应急照明灯损坏", "疏散指示标志缺失", "电气线路私拉乱接", "电动自行车室内充电",
    "配电箱前堆放杂物", "机械传动部位无防护罩", "特种设备未定期检验", "叉车司机无证上岗",
    "员工未佩戴劳动防护用品", "安全培训记录缺失", "危险化学品混存", "气瓶未固定",
    "燃气管道无泄漏报警装置", "厨房油烟管道未清洗", "有限空间作业未审批", "动火作业无监护人",
    "脚手架连墙件缺失", "临边防护栏杆缺失", "高处作业未系安全带", "消防设施未保养",
    "自动喷水灭火系统故障", "火灾自动报警系统故障", "仓库内吸烟", "易燃物品靠近热源",
    "粉尘清扫不及时", "冲压机械无光电保护", "砂轮机防护罩缺失", "安全警示标志不全",
    "应急预案未演练", "隐患排查台账不全", "彩钢板房违规住人", "人员密集场所违规使用明火",
    "防火门常开", "消防控制室无人值守", "微型消防站器材不全", "锅炉安全阀未校验",
    "压力容器超期未检", "起重机械限位失效", "电梯维保记录缺失", "施工现场临时用电不规范",
    "油漆库通风不良", "液化气罐存放于地下室", "外墙保温材料易燃", "堆垛间距不足",
    "监控设施损坏",
]  # fmt: skip
NAME_PREFIXES = [
    "宏达", "鑫源", "华联", "恒信", "金鼎", "盛世", "东方", "新兴", "永安", "瑞丰",
    "隆基", "万通", "天成", "博远", "中和", "福满", "泰和", "嘉禾", "广厦", "兴业",
]  # fmt: skip
NAME_KINDS = [
    "五金商店", "机械加工厂", "餐饮店", "物流仓储中心", "消防器材经销部", "家具城", "网吧",
    "建材市场", "汽车修理厂", "幼儿园", "宾馆", "超市", "加油站", "食品厂", "印刷厂",
    "化工有限公司", "KTV", "建筑工地", "小区物业", "医院",
]  # fmt: skip
STREETS = ["北一路", "沈辽路", "兴华北街", "重工街", "保工街", "启工街", "卫工街", "勋望街"]


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def generate(count: int) -> None:
    """Reference rows through the ORM (small), the hazards in one INSERT … SELECT; the bigram
    indexes are dropped for the load and rebuilt after it, timed."""
    sql(
        "TRUNCATE inspections_reminder, inspections_notification, inspections_hazardevent,"
        " inspections_hazard, inspections_inspection_inspectors, inspections_inspection,"
        " units_unit RESTART IDENTITY CASCADE"
    )
    sql("DROP INDEX IF EXISTS hazard_text_bigram_idx")
    sql("DROP INDEX IF EXISTS unit_text_bigram_idx")
    departments = list(Department.objects.filter(kind=Department.Kind.REGULATOR))
    office_dept = Department.objects.get(kind=Department.Kind.OFFICE)
    User.objects.filter(username__startswith="bench_").delete()
    inspector = User.objects.create(
        username="bench_inspector", role=User.Role.INSPECTOR, department=departments[0]
    )
    User.objects.create(username="bench_office", role=User.Role.OFFICE, department=office_dept)
    bench_units(
        UNITS,
        departments,
        name=lambda i: f"{NAME_PREFIXES[i % 20]}{NAME_KINDS[(i // 20) % 20]}（{i // 400 + 1}号店）",
        address=lambda i: f"{STREETS[i % len(STREETS)]}{i % 997 + 1}号",
    )
    units = list(Unit.objects.order_by("id").values_list("id", "lead_department_id"))
    Inspection.objects.bulk_create(
        [
            Inspection(
                unit_id=units[i % UNITS][0],
                department_id=units[i % UNITS][1],
                created_by=inspector,
                date=datetime.date(2025, 1, 2),
                status=Inspection.Status.SUBMITTED,
                submitted_at=django.utils.timezone.now(),
                checked_items="消防通道",
            )
            for i in range(INSPECTIONS)
        ],
        batch_size=2000,
    )
    # Two years, half the hazards each, numbered 1… per year as the workflow does; found dates
    # spread over the year; a quarter closed.
    sql(
        """
        WITH insp AS (
            SELECT row_number() OVER (ORDER BY i.id) - 1 AS k, i.id, i.unit_id,
                   u.lead_department_id
            FROM inspections_inspection i JOIN units_unit u ON u.id = i.unit_id
        )
        INSERT INTO inspections_hazard (
            number, year, found_on, description, location, hazard_type, level, legal_basis,
            responsible_person, responsible_phone, deadline, original_deadline,
            rectification_plan, measures, status, fixed_on_spot, disposal, reopen_count,
            listed_document, plan_responsible, plan_measures, plan_acceptance,
            version, created_at, updated_at, lead_department_id, unit_id, inspection_id,
            source, external_source, external_id)
        SELECT 'YH-' || y.year || '-' || lpad(((g + 1) / 2)::text, 6, '0'), y.year, f.found_on,
            (%(phrases)s::text[])[1 + (g * 7919) %% 50] || '，'
                || (%(phrases)s::text[])[1 + (g * 104729 / 50) %% 50],
            '', 'fire', 'general', '', '张三', '', f.found_on + 15, f.found_on + 15, '', '',
            CASE WHEN g %% 4 = 0 THEN 'closed' ELSE 'assigned' END, false, '', 0,
            '', '', '', '', 1, now(), now(), insp.lead_department_id, insp.unit_id, insp.id,
            'inspection', '', ''
        FROM generate_series(1::bigint, %(count)s) AS g
        JOIN insp ON insp.k = g %% %(inspections)s
        CROSS JOIN LATERAL (SELECT 2025 + (g %% 2)::int AS year) y
        CROSS JOIN LATERAL (SELECT make_date(y.year, 1, 1) + ((g / 2) %% 360)::int AS found_on) f
        """,
        {"phrases": PHRASES, "count": count, "inspections": INSPECTIONS},
    )
    fill_hazard_scope()
    # The migrations' statements, so the benchmark measures exactly what they build.
    from importlib import import_module

    units_migration = import_module("units.migrations.0004_bigram_search")
    hazards_migration = import_module("inspections.migrations.0006_hazard_bigram_index")
    started = time.perf_counter()
    sql(units_migration.CREATE_INDEX)
    sql(hazards_migration.CREATE_INDEX)
    print(f"built the bigram indexes in {time.perf_counter() - started:.1f}s")
    sql("VACUUM ANALYZE")


def before_queryset(user, term: str):
    """The ledger with today's filter: plain LIKEs (what SQLite keeps running)."""
    queryset = ledger_base_queryset(user).filter(
        Q(number__contains=term.upper())
        | Q(unit__name__contains=term)
        | Q(description__contains=term)
    )
    return ledger_order(queryset, LEDGER_DEFAULT_SORT)


def after_queryset(user, term: str):
    return ledger_queryset(user, {"q": term})[1]


def page(queryset) -> tuple[int, list[int], float]:
    """What the ledger view runs: the count, the first page's ids, then their rows."""
    started = time.perf_counter()
    count = queryset.count()
    ids = list(queryset.values_list("pk", flat=True)[:PAGE])
    rows = {h.pk: h for h in queryset.model.objects.filter(pk__in=ids).select_related("unit")}
    assert len(rows) == len(ids)
    return count, ids, time.perf_counter() - started


def timed(queryset) -> tuple[int, list[int], float]:
    runs = [page(queryset) for _ in range(REPEAT)]
    return runs[0][0], runs[0][1], statistics.median(run[2] for run in runs)


def explain(queryset) -> str:
    """The plan of the count, as .count() runs it: no ordering, no joins for the page."""
    select_sql, params = queryset.order_by().values("pk").query.sql_with_params()
    plan = sql(f"EXPLAIN (ANALYZE, COSTS OFF) SELECT count(*) FROM ({select_sql}) s", params)
    return "\n".join(row[0] for row in plan)


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
    office = User.objects.get(username="bench_office")
    sizes = sql(
        "SELECT relname, pg_size_pretty(pg_relation_size(oid)) FROM pg_class"
        " WHERE relname IN ('inspections_hazard', 'hazard_text_bigram_idx',"
        " 'unit_text_bigram_idx') ORDER BY relname"
    )
    print(
        f"PostgreSQL {connection.pg_version // 10000}, {Hazard.objects.count():,} hazards, "
        f"{Unit.objects.count():,} units; sizes: "
        + ", ".join(f"{name} {size}" for name, size in sizes)
    )
    results = []
    for term in TERMS:
        before = timed(before_queryset(office, term))
        after = timed(after_queryset(office, term))
        assert before[:2] == after[:2], f"{term}: results differ {before[:2]} / {after[:2]}"
        print(f"\n--- EXPLAIN ANALYZE count, q={term}")
        print(explain(after_queryset(office, term)))
        print(
            f"q={term}: {after[0]:,} hazards; count + first page "
            f"{before[2] * 1000:.0f} ms before, {after[2] * 1000:.0f} ms after"
        )
        results.append((term, after[0], before[2], after[2]))
    print(f"\nbenchmark wall time {time.perf_counter() - wall:.0f}s\n")
    print("README row:")
    print(
        "| 台账关键词检索（计数 + 首页 50 条，安委办视角） | "
        f"{args.hazards:,} 条隐患、{Unit.objects.count():,} 家单位 | "
        + "；".join(
            f"“{term}”（{count:,} 条）{before * 1000:.0f} → {after * 1000:.0f} ms"
            for term, count, before, after in results
        )
        + "（前：LIKE 顺序扫描；后：二元组 GIN 索引） | "
        "`DATABASE_URL=…/anjian_bench_search .venv/bin/python benchmarks/ledger_search.py` |"
    )


if __name__ == "__main__":
    main()
