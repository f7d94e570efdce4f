"""A real `celery -A anjian worker` process on the real Redis broker and the test database.

Not eager mode: the test process enqueues with .delay(), the worker runs the job against the
same (committed) PostgreSQL test database. Then a worker is SIGKILLed in the middle of a run and
a rerun on a fresh worker must complete it without a duplicate reminder, digest or mail.
"""

import datetime
import email
import email.header
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings

from anjian.celery import app
from inspections.models import HazardEvent, Notification, Reminder
from inspections.reminders import TEST_PAUSE_ENV
from inspections.tasks.reminders import daily_reminders
from tests import factories

D = datetime.date
BASE_DIR = Path(settings.BASE_DIR)
MAIL_SEPARATOR = "\n" + "-" * 79 + "\n"

pytestmark = [
    pytest.mark.celery_worker,
    # Committed rows, so the worker's own connection sees them; reference data restored after.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def services():
    database = settings.DATABASES["default"]
    ready = bool(settings.REDIS_URL) and database["ENGINE"].endswith("postgresql")
    if not ready:
        message = "needs REDIS_URL and a postgres:// DATABASE_URL (a real broker and database)"
        if os.environ.get("CI"):
            pytest.fail(f"CI=true: the Celery worker test {message}")
        pytest.skip(message)
    assert not app.conf.task_always_eager, "REDIS_URL is set, tasks must go through the broker"
    return database


def _clear_broker() -> None:
    """Drop queued and unacknowledged messages (a killed worker leaves one behind)."""
    app.control.purge()
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def worker(services, tmp_path):
    """Starts workers on demand; every one is SIGKILLed at the end, whatever happened."""
    database = services
    # pytest-django's test database (test_<name>), not the one DATABASE_URL names.
    url = "postgres://{user}:{password}@{host}:{port}/{name}".format(
        user=quote(database["USER"] or ""),
        password=quote(database["PASSWORD"] or ""),
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        name=database["NAME"],
    )
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    started: list[subprocess.Popen] = []
    _clear_broker()

    def start(**extra_env: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "anjian.settings",
            "DATABASE_URL": url,
            "REDIS_URL": settings.REDIS_URL,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "SITE_URL": "https://anjian.example.gov.cn",
            **extra_env,
        }
        log = open(tmp_path / f"worker{len(started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "anjian",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"h6-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL takes every child with it
        )
        started.append(process)
        return process

    start.mail_dir = mail_dir
    start.logs = tmp_path
    yield start
    for process in started:
        kill(process)
    _clear_broker()


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_for(condition, what: str, logs: Path, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    tails = "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(logs.glob("*.log")))
    pytest.fail(f"timed out waiting for {what}\n{tails}")


def mails(mail_dir: Path) -> list[tuple[str, str]]:
    """(recipient, subject) of every message the file backend wrote."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_text().split(MAIL_SEPARATOR):
            if not chunk.strip():
                continue
            message = email.message_from_string(chunk)
            subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
            found.append((message["To"], subject))
    return found


def test_worker_runs_the_job_and_a_killed_run_is_completed_without_duplicates(worker):
    fire = factories.department("消防")
    users = [
        factories.user("w_insp1", "inspector", fire),
        factories.user("w_insp2", "inspector", fire),
        factories.user("w_office", "office", factories.department("安委办")),
        factories.user("w_super", "supervisor", factories.department("督查室")),
        factories.user("w_leader", "leader", factories.department("安委办")),
    ]
    for user in users:
        user.email = f"{user.username}@example.gov.cn"
        user.save(update_fields=["email"])
    unit = factories.unit(category=factories.category("furniture-market"), lead_department=fire)
    inspection = factories.inspection(unit, users[0], date=D(2025, 6, 1))
    old = factories.hazard(unit, users[0], inspection=inspection, deadline=D(2025, 6, 15))
    recent = factories.hazard(unit, users[0], inspection=inspection, deadline=D(2025, 6, 23))
    addresses = sorted(u.email for u in users)

    # 1. The worker runs the enqueued job: reminders, escalation, one mail per recipient.
    day1 = D(2025, 6, 25)
    first = worker()
    daily_reminders.delay(day1.isoformat())
    wait_for(
        lambda: Notification.objects.filter(day=day1, emailed_at__isnull=False).count() == 5,
        "five digests mailed for day 1",
        worker.logs,
    )
    assert set(Reminder.objects.filter(day=day1).values_list("hazard", "kind")) == {
        (old.pk, "overdue"),
        (old.pk, "escalate"),
        (recent.pk, "overdue"),
    }
    assert HazardEvent.objects.filter(hazard=old, action="escalate").count() == 1
    subject1 = "【安检】隐患整改提醒 2025-06-25"
    wait_for(lambda: len(mails(worker.mail_dir)) == 5, "five mail files", worker.logs)
    assert sorted(to for to, subject in mails(worker.mail_dir) if subject == subject1) == addresses
    kill(first)

    # 2. A worker killed mid-run: after the scan committed, before any digest.
    day2 = D(2025, 7, 2)
    doomed = worker(**{TEST_PAUSE_ENV: "300"})
    daily_reminders.delay(day2.isoformat())
    wait_for(
        lambda: Reminder.objects.filter(day=day2).count() == 3,
        "the day-2 scan to commit",
        worker.logs,
    )
    kill(doomed)
    assert not Notification.objects.filter(day=day2).exists()

    # 3. The rerun completes the job: no duplicate reminder, digest, escalation or mail.
    worker()
    daily_reminders.delay(day2.isoformat())
    wait_for(
        lambda: Notification.objects.filter(day=day2, emailed_at__isnull=False).count() == 5,
        "five digests mailed for day 2",
        worker.logs,
    )
    subject2 = "【安检】隐患整改提醒 2025-07-02"
    wait_for(lambda: len(mails(worker.mail_dir)) == 10, "ten mail files", worker.logs)
    # Another run on the same worker must change nothing.
    daily_reminders.delay(day2.isoformat())
    time.sleep(8)
    sent = mails(worker.mail_dir)
    assert len(sent) == 10
    assert sorted(to for to, subject in sent if subject == subject2) == addresses
    assert set(Reminder.objects.filter(day=day2).values_list("hazard", "kind")) == {
        (old.pk, "overdue"),
        (recent.pk, "overdue"),
        (recent.pk, "escalate"),
    }
    assert Notification.objects.filter(day=day2).count() == 5
    assert HazardEvent.objects.filter(action="escalate").count() == 2
