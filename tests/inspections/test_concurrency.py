"""Two people at once, on real separate PostgreSQL connections (transactional db; the serialized
rollback restores the reference departments and categories the flush removes).

SQLite serialises writers for the whole file, so these only prove something on PostgreSQL
(which is what CI runs)."""

import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from inspections import workflow
from inspections.models import Hazard, HazardEvent, Inspection
from tests import factories

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and connections"
    ),
]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_together(*calls):
    """Start every call at the same moment, each in its own thread (= own DB connection);
    return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects what was raised
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_people_acting_at_once_make_exactly_one_transition(
    unit_of_a, inspector_a, office, admin_user, fire_dept
):
    hazard = factories.registered_hazard(unit_of_a, inspector_a)
    version = hazard.version
    deadline = timezone.localdate() + datetime.timedelta(days=10)

    results = run_together(
        lambda: workflow.assign(
            hazard_id=hazard.pk,
            actor=office,
            version=version,
            lead_department=fire_dept,
            responsible_person="李四",
            deadline=deadline,
        ),
        lambda: workflow.reject(
            hazard_id=hazard.pk, actor=admin_user, version=version, reason="不属实"
        ),
    )
    succeeded = [r for r in results if isinstance(r, Hazard)]
    stale = [r for r in results if isinstance(r, workflow.StaleHazard)]
    assert len(succeeded) == 1 and len(stale) == 1, results
    assert str(stale[0]) == "该隐患已被他人修改，请刷新页面后重试"
    hazard.refresh_from_db()
    assert hazard.status == succeeded[0].status
    assert hazard.version == version + 1
    assert HazardEvent.objects.filter(hazard=hazard).exclude(action="register").count() == 1


def test_the_same_action_twice_at_once_happens_once(unit_of_a, inspector_a, office, admin_user):
    hazard = factories.registered_hazard(unit_of_a, inspector_a)
    version = hazard.version
    results = run_together(
        *(
            (
                lambda actor=actor: workflow.void(
                    hazard_id=hazard.pk, actor=actor, version=version, reason="重复录入"
                )
            )
            for actor in (office, admin_user)
        )
    )
    assert sorted(type(r).__name__ for r in results) == ["Hazard", "StaleHazard"], results
    assert HazardEvent.objects.filter(hazard=hazard, action="void").count() == 1


def test_concurrent_submissions_number_hazards_gap_free(unit_of_a, inspector_a, inspector_a2):
    date = timezone.localdate() - datetime.timedelta(days=1)
    inspections = []
    for by, count in ((inspector_a, 3), (inspector_a2, 4)):
        insp = Inspection.objects.create(
            unit=unit_of_a, department=by.department, created_by=by, date=date
        )
        insp.inspectors.add(by)
        for i in range(count):
            Hazard.objects.create(
                inspection=insp,
                unit=unit_of_a,
                found_on=date,
                description=f"二楼安全出口被货物堵塞{i}",
                hazard_type=Hazard.Type.FIRE,
                level=Hazard.Level.GENERAL,
                lead_department=unit_of_a.lead_department,
                deadline=date + datetime.timedelta(days=5),
            )
        inspections.append((insp, by))

    results = run_together(
        *(
            (lambda insp=insp, by=by: workflow.submit_inspection(inspection_id=insp.pk, actor=by))
            for insp, by in inspections
        )
    )
    assert all(isinstance(r, list) for r in results), results
    numbers = sorted(Hazard.objects.values_list("number", flat=True))
    assert numbers == [f"YH-{date.year}-{n:06d}" for n in range(1, 8)]
    # Each inspection's hazards got one consecutive block: the sequence row serialised them.
    for hazards in results:
        seq = sorted(int(h.number[-6:]) for h in hazards)
        assert seq == list(range(seq[0], seq[0] + len(seq)))
