"""Document numbers under concurrency, on real separate PostgreSQL connections (the pattern of
test_concurrency.py): issuers at once draw consecutive numbers, and a rolled-back issue frees
its number, so the series of a department and year has no gap and no double."""

import datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone

from inspections import workflow
from inspections.documents import issuing
from inspections.models import Document
from tests import factories
from tests.inspections.test_concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and connections"
    ),
]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Undo(Exception):
    pass


def test_notices_issued_at_once_are_numbered_gap_free(
    unit_of_a, inspector_a, office, admin_user, safety_dept
):
    hazards = [factories.registered_hazard(unit_of_a, inspector_a) for _ in range(5)]
    deadline = timezone.localdate() + datetime.timedelta(days=10)

    def assign(hazard, actor):
        return lambda: workflow.assign(
            hazard_id=hazard.pk,
            actor=actor,
            version=hazard.version,
            lead_department=safety_dept,
            responsible_person="李四",
            deadline=deadline,
        )

    def issue_then_roll_back():
        with transaction.atomic():
            issuing.issue(
                kind=Document.Kind.NOTICE,
                department=safety_dept,
                unit=unit_of_a,
                actor=office,
                content={},
            )
            raise Undo

    calls = [assign(h, office if i % 2 else admin_user) for i, h in enumerate(hazards)]
    results = run_together(*calls, issue_then_roll_back, issue_then_roll_back)
    assert [type(r).__name__ for r in results[:5]] == ["Hazard"] * 5, results
    assert all(isinstance(r, Undo) for r in results[5:]), results
    notices = Document.objects.filter(kind="notice", department=safety_dept)
    year = timezone.localdate().year
    assert sorted(notices.values_list("seq", flat=True)) == [1, 2, 3, 4, 5]
    assert sorted(notices.values_list("number", flat=True)) == sorted(
        f"铁应改〔{year}〕{n}号" for n in range(1, 6)
    )
    # Each hazard has exactly its own notice.
    assert sorted(h.pk for n in notices for h in n.hazards.all()) == sorted(h.pk for h in hazards)
