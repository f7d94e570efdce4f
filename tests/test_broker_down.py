"""Redis down: pages that start background work answer normally, the work waits in the database,
and the sweeper sends it once the broker is back.

The broker is really unreachable here (a closed port, so every publish fails the way it does
when Redis is stopped); the sweeper then runs its tasks eagerly once "the broker is back".
"""

import datetime
import socket

import pytest
from django.urls import reverse
from django.utils import timezone

from anjian.celery import app
from inspections import exports
from inspections.models import ExportJob
from inspections.tasks import sweeper
from tests import factories

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


@pytest.fixture
def broker_down():
    """Point the Celery app at a port nobody listens on; restore it afterwards."""
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    yield
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_back():
    """The broker is back: tasks run (eagerly, in this process) as a worker would run them."""
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture
def big_ledger(settings, tmp_path, inspector_a, unit_of_a):
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_INLINE_MAX_ROWS = 1
    for _ in range(3):
        factories.hazard(unit_of_a, inspector_a)


def test_background_export_is_accepted_while_the_broker_is_down_and_runs_when_it_returns(
    big_ledger, login, office, broker_down, django_capture_on_commit_callbacks, caplog, request
):
    client = login(office)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("hazard_export"))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "hazard_export_job", args=[job.pk]
    )
    assert "not queued; the sweeper will send it" in caplog.text
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "恢复后自动开始" in page.content.decode()
    assert job.status == ExportJob.Status.PENDING

    request.getfixturevalue("broker_back")
    later = timezone.now() + datetime.timedelta(minutes=6)
    assert exports.stuck_jobs(later) == [job.pk]
    for job_id in exports.stuck_jobs(later):
        exports.run_export_job(job_id)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.total == 3
    assert client.get(reverse("hazard_export_download", args=[job.pk])).status_code == 200


def test_the_sweeper_leaves_a_fresh_pending_job_to_its_own_task(big_ledger, office):
    job = ExportJob.objects.create(user=office, total=3)
    assert exports.stuck_jobs(timezone.now()) == []
    assert exports.stuck_jobs(timezone.now() + datetime.timedelta(minutes=6)) == [job.pk]


def test_a_running_export_whose_heartbeat_stopped_is_handed_over(big_ledger, office, settings):
    settings.TASK_LEASE_SECONDS = 600
    now = timezone.now()
    job = ExportJob.objects.create(
        user=office, total=3, status=ExportJob.Status.RUNNING, heartbeat_at=now
    )
    assert exports.stuck_jobs(now + datetime.timedelta(minutes=9)) == []
    assert exports.stuck_jobs(now + datetime.timedelta(minutes=11)) == [job.pk]
    exports.run_export_job(job.pk)  # not stale yet from this run's point of view: left alone
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING


def test_daily_reminders_and_the_sweep_task_do_not_fail_while_the_broker_is_down(
    inspector_a, inspector_a2, unit_of_a, broker_down, django_capture_on_commit_callbacks
):
    from inspections.models import Notification
    from inspections.tasks.reminders import daily_reminders

    for user in (inspector_a, inspector_a2):
        user.email = f"{user.username}@example.gov.cn"
        user.save(update_fields=["email"])
    factories.hazard(unit_of_a, inspector_a, deadline=timezone.localdate() - datetime.timedelta(2))
    with django_capture_on_commit_callbacks(execute=True):
        daily_reminders.run(timezone.localdate().isoformat())
        sweeper.sweep.run()
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2
