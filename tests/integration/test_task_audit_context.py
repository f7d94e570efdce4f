"""A change made inside a task run by a real Celery worker is recorded in the audit with the
task's name and id as its context (audit.context.AuditedTask), and /audit/ says so."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import EVENT_MODELS
from inspections.models import Hazard
from inspections.tasks.reminders import review_risk_controls
from tests import factories
from tests.integration.test_celery_worker import services, wait_for, worker  # noqa: F401

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_change_made_by_a_task_on_a_worker_carries_the_tasks_name(worker, login, office):  # noqa: F811
    fire = factories.department("消防")
    inspector = factories.user("insp_task", "inspector", fire, name="检查员")
    unit = factories.unit(category=factories.category("furniture-market"), lead_department=fire)
    today = timezone.localdate()
    hazard = factories.hazard(
        unit,
        inspector,
        status=Hazard.Status.DISPOSAL,
        disposal=Hazard.Disposal.RISK_CONTROL,
        risk_review_on=today - datetime.timedelta(days=1),
        deadline=None,
    )
    events = EVENT_MODELS["HazardHistory"].objects.filter(pgh_obj_id=hazard.pk)
    before = events.count()

    worker()
    result = review_risk_controls.delay()
    wait_for(
        lambda: Hazard.objects.get(pk=hazard.pk).status == Hazard.Status.RECTIFYING,
        "the worker to reopen the risk-controlled hazard",
        worker.logs,
    )
    changed = events.order_by("pgh_id")[before:]
    assert [e.status for e in changed] == [Hazard.Status.RECTIFYING]
    context = changed[0].pgh_context.metadata
    assert context["task"] == "inspections.tasks.reminders.review_risk_controls"
    assert context["task_id"] == result.id
    assert "user" not in context or context["user"] is None

    page = login(office).get(
        reverse("audit:list"), {"model": "inspections.Hazard", "obj": hazard.pk}
    )
    row = page.context["rows"][0]
    assert row["by"] == "任务 inspections.tasks.reminders.review_risk_controls"
    assert ("状态", "处置中", "整改中") in row["changes"]
