"""The plans behind `make bench`'s figures: each hot page's slowest queries, EXPLAINed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anjian_bench \\
        .venv/bin/python benchmarks/explain_hot.py [--top 2] [--page ledger] > plans.txt

Runs on the district `district.py` seeded (it does not seed). Requests every page of
`district.pages()` once warm through the Django test client, times each SELECT it sent alone,
and prints `EXPLAIN (ANALYZE, BUFFERS)` of the slowest `--top` of them. benchmarks/PLANS.md
keeps the output that the README's performance table refers to.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from benchmarks.district import pages, read_statement  # noqa: E402  (sets Django up)
from units.models import User  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=2)
    parser.add_argument("--page", default="", help="only pages whose name contains this")
    args = parser.parse_args()
    # As district.py: the dashboard's plans, not its cache's.
    settings.DASHBOARD_CACHE_SECONDS = 0
    office = User.objects.get(username="bench_office")
    inspector = User.objects.filter(username__startswith="bench_inspector_").order_by("id").first()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    for name, user, url in pages(office, inspector):
        if args.page not in name:
            continue
        client = Client()
        client.force_login(user)
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        timed = []
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = read_statement(query["sql"])
                if not sql:
                    continue
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                timed.append((time.perf_counter() - started, sql))
            timed.sort(reverse=True)
            print(f"## {name} — {user.get_role_display()} — {url}")
            print(
                f"{len(captured.captured_queries)} queries, SELECTs alone {sum(t for t, _ in timed) * 1000:.0f} ms\n"
            )
            for seconds, sql in timed[: args.top]:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                print(f"{seconds * 1000:.1f} ms: {sql[:600]}\n\n{plan}\n")


if __name__ == "__main__":
    main()
