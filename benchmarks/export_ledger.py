"""The ledger export at ten years' scale: 100,000 rows of the seeded district into an .xlsx.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anjian_bench \\
        .venv/bin/python benchmarks/export_ledger.py [--rows 100000]

Runs on the district `district.py` seeded (it does not seed): the office's ledger, newest
first, its first --rows rows through `inspections.exports` exactly as the export job writes
them. Prints the time, the queries, the peak memory of the process (ru_maxrss) and the file
size. Budget (issue 12): 100,000 rows ≤ 30 s, ≤ 300 MB.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from benchmarks.district import settings  # noqa: E402  (sets Django up)
from inspections import exports  # noqa: E402
from inspections.filters import ledger_queryset  # noqa: E402
from units.models import User  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    if "bench" not in settings.DATABASES["default"]["NAME"]:
        sys.exit("DATABASE_URL must point at the seeded *bench* database")
    office = User.objects.get(username="bench_office")
    _filterset, queryset = ledger_queryset(office, {})
    ids = list(queryset.values_list("pk", flat=True)[: args.rows])
    queryset = queryset.filter(pk__in=ids) if len(ids) < 200_000 else queryset
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with (
        tempfile.NamedTemporaryFile(suffix=".xlsx") as target,
        CaptureQueriesContext(connection) as captured,
    ):
        started = time.perf_counter()
        written = exports.write_ledger(exports.iter_hazards(queryset), target.name)
        seconds = time.perf_counter() - started
        size = os.path.getsize(target.name)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"{written:,} rows in {seconds:.1f} s, {len(captured.captured_queries)} queries,"
        f" peak RSS {peak / 1024:.0f} MB (before {before / 1024:.0f} MB), file {size / 1e6:.1f} MB,"
        f" load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
