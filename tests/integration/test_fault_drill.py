"""The fault drill of the daily reminders: 500 due hazards, two beats enqueueing the same day at
once, the worker SIGKILLed at three points (scan committed, digests written but not committed,
a mail claimed but not sent), the broker restarted in between (it keeps nothing on disk, so
every queued and unacknowledged message is lost), then two fresh workers and the sweeper.

The outcome must be what one clean run gives: the same reminder rows, one digest per recipient
and exactly one mail to each. The broker here is a private redis-server on its own port, so
restarting it does not disturb the Redis the rest of the suite uses.
"""

import datetime
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone

from anjian.celery import app
from inspections import reminders
from inspections.models import Notification, Reminder
from inspections.reminders import (
    TEST_PAUSE_ENV,
    TEST_PAUSE_IN_DIGEST_ENV,
    TEST_PAUSE_IN_EMAIL_ENV,
)
from inspections.tasks.reminders import daily_reminders
from inspections.tasks.sweeper import sweep
from tests import factories
from tests.integration.test_celery_worker import kill, mails, services, wait_for, worker

__all__ = ["services", "worker"]  # fixtures shared with the worker test

# Yesterday: the sweeper finishes earlier days whatever the hour (today's run waits for
# REMINDER_HOUR) and still mails them (DIGEST_EMAIL_CATCH_UP_DAYS).
DAY = timezone.localdate() - datetime.timedelta(days=1)
LEASE = "4"  # seconds: a dead worker's mail claim is taken over this soon

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Broker:
    """A redis-server of the test's own, keeping nothing on disk (as in production)."""

    def __init__(self, tmp_path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.tmp_path = tmp_path
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("private redis-server did not start")

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def broker(tmp_path):
    if not shutil.which("redis-server"):
        pytest.fail("the fault drill needs redis-server (apt: redis-server)")
    server = Broker(tmp_path)
    server.start()
    yield server
    server.stop()


def enqueue(broker: Broker, task, *args) -> None:
    with app.connection_for_write(broker.url) as connection:
        task.apply_async(args=list(args), connection=connection)


def two_beats(broker: Broker) -> None:
    """Two beats (one started by mistake) enqueue the same day's run at the same moment."""
    threads = [
        threading.Thread(target=enqueue, args=(broker, daily_reminders, DAY.isoformat()))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def in_logs(logs, text: str) -> bool:
    return any(text in p.read_text(errors="replace") for p in logs.glob("*.log"))


def district() -> list:
    """500 hazards due or overdue on DAY in two departments; inspectors, office, supervisor and
    leader with mail addresses."""
    fire, safety = factories.department("消防"), factories.department("应急管理局")
    people = [
        *(factories.user(f"f_fire{n}", "inspector", fire) for n in range(3)),
        *(factories.user(f"f_safety{n}", "inspector", safety) for n in range(3)),
        factories.user("f_office", "office", factories.department("安委办")),
        factories.user("f_super", "supervisor", factories.department("督查室")),
        factories.user("f_leader", "leader", factories.department("安委办")),
    ]
    for person in people:
        person.email = f"{person.username}@example.gov.cn"
        person.save(update_fields=["email"])
    units = [
        factories.unit(category=factories.category("furniture-market"), lead_department=fire),
        factories.unit(category=factories.category("chemical"), lead_department=safety),
    ]
    inspections = [
        factories.inspection(u, people[i * 3], date=DAY - datetime.timedelta(days=40))
        for i, u in enumerate(units)
    ]
    # Due tomorrow, due in three days, overdue a little (reminded) and long (escalated).
    offsets = [1, 3, -2, -12]
    for n in range(500):
        side = n % 2
        factories.hazard(
            units[side],
            people[side * 3],
            inspection=inspections[side],
            deadline=DAY + datetime.timedelta(days=offsets[n % 4]),
            level="general",
        )
    return people


def clean_run_outcome() -> tuple[set, set]:
    """What one undisturbed run writes: (reminder rows, digest recipients). Rolled back."""
    with transaction.atomic():
        reminders.scan(DAY)
        reminders.build_digests(DAY)
        rows = set(Reminder.objects.filter(day=DAY).values_list("hazard_id", "kind"))
        recipients = set(
            Notification.objects.filter(day=DAY, kind="digest").values_list("user_id", flat=True)
        )
        transaction.set_rollback(True)
    return rows, recipients


def test_killed_three_times_and_broker_restarted_sends_each_mail_once(worker, broker):
    people = district()
    expected_rows, expected_recipients = clean_run_outcome()
    assert len(expected_rows) >= 500 and len(expected_recipients) >= 5
    assert not Reminder.objects.exists()
    env = {"REDIS_URL": broker.url, "TASK_LEASE_SECONDS": LEASE}

    # 1. Killed after the scan committed, before any digest.
    first = worker(**env, **{TEST_PAUSE_ENV: "300"})
    two_beats(broker)
    wait_for(
        lambda: Reminder.objects.filter(day=DAY).count() == len(expected_rows),
        "the scan to commit",
        worker.logs,
    )
    kill(first)
    assert not Notification.objects.filter(day=DAY, kind="digest").exists()

    # The broker restarts: the second beat's message and the unacknowledged one are gone.
    broker.restart()

    # 2. Killed with the digests written but not committed (the sweeper started the run again).
    second = worker(**env, **{TEST_PAUSE_IN_DIGEST_ENV: "300"})
    enqueue(broker, sweep)
    wait_for(lambda: in_logs(worker.logs, "digests written, not committed"), "digests", worker.logs)
    kill(second)
    assert not Notification.objects.filter(day=DAY, kind="digest").exists()

    # 3. Killed with one mail claimed, not yet handed to SMTP.
    third = worker(**env, **{TEST_PAUSE_IN_EMAIL_ENV: "300"})
    two_beats(broker)
    wait_for(lambda: in_logs(worker.logs, "mail claimed, not sent"), "a claimed mail", worker.logs)
    kill(third)
    assert Notification.objects.filter(day=DAY, kind="digest").count() == len(expected_recipients)
    assert (
        Notification.objects.filter(day=DAY, kind="digest", emailed_at__isnull=False).count() == 0
    )
    broker.restart()

    # 4. Two healthy workers; the beat's sweeps (twice, racing) finish everything.
    worker(**env)
    worker(**env)
    time.sleep(float(LEASE) + 1)  # the dead worker's claim has lapsed
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        enqueue(broker, sweep)
        enqueue(broker, sweep)
        done = Notification.objects.filter(day=DAY, kind="digest", emailed_at__isnull=False)
        if done.count() == len(expected_recipients):
            break
        time.sleep(3)
    time.sleep(5)  # anything doubled would have been written by now

    assert set(Reminder.objects.filter(day=DAY).values_list("hazard_id", "kind")) == expected_rows
    digests = Notification.objects.filter(day=DAY, kind="digest")
    assert set(digests.values_list("user_id", flat=True)) == expected_recipients
    assert not digests.filter(emailed_at__isnull=True).exists()
    subject = f"【安检】隐患整改提醒 {DAY.isoformat()}"
    sent = Counter(to for to, s in mails(worker.mail_dir) if s == subject)
    addresses = {p.email for p in people if p.pk in expected_recipients}
    assert sent == Counter(dict.fromkeys(addresses, 1)), sent
