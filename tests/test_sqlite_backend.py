"""The SQLite backend (demo and trial installs) answers bad ids and racing writers as PostgreSQL does.

CI runs on PostgreSQL, so each test starts a Python process of its own on a scratch SQLite file
(tables made by the schema editor: no migrations to wait for).
"""

import subprocess
import sys
import textwrap
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SETUP = """
import os, threading, time
import django
django.setup()
from django.db import connection, connections, transaction
from units.models import Area, Department
with connection.schema_editor() as editor:
    editor.create_model(Area)
    editor.create_model(Department)
area = Area.objects.create(name="兴华街道", code="S01")
"""


def _run(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "anjian.settings",
        "DEBUG": "1",
        "SQLITE_PATH": str(tmp_path / "race.sqlite3"),
        "SQLITE_BUSY_TIMEOUT": "10",
    }
    script = SETUP + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_twenty_digit_id_finds_nothing_instead_of_overflowing(tmp_path):
    result = _run(
        tmp_path,
        """
        big = 99999999999999999999
        print(Department.objects.filter(area_id=big).count())
        print(Department.objects.filter(area__in=[area.pk, big]).count())
        print(Area.objects.filter(pk__in=[big]).count(), Area.objects.filter(pk=big).count())
        print(Area.objects.filter(pk=area.pk).count())
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0", "0", "0", "1"]


def test_racing_read_then_write_transactions_wait_instead_of_failing(tmp_path):
    # Each writer reads, pauses, then writes, inside one transaction. In SQLite's default
    # (deferred) mode the second one fails at once with "database is locked"; here it waits.
    result = _run(
        tmp_path,
        """
        errors = []

        def writer(name, delay):
            time.sleep(delay)
            try:
                with transaction.atomic():
                    Department.objects.filter(area=area).count()
                    time.sleep(0.5)
                    Department.objects.create(name=name, area=area)
            except Exception as error:
                errors.append(repr(error))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=writer, args=(f"科室{n}", n * 0.1)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(errors)
        print(Department.objects.count())
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["[]", "3"]
