"""A phone that sends one record twice at the same moment (a retry racing the first upload),
on real separate PostgreSQL connections: one inspection, its hazards and photo, never two."""

import pytest
from django.db import connection
from django.test import Client

from inspections.models import Inspection
from tests.inspections.test_concurrency import run_together
from tests.inspections.test_offline_sync import counts, phone_record, post

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and connections"
    ),
]


@pytest.mark.parametrize("submit", [False, True])
def test_a_doubled_upload_at_the_same_moment_makes_one_record(inspector_a, unit_of_a, submit):
    record = phone_record(unit_of_a, submit=submit)

    def upload():
        client = Client()
        client.force_login(inspector_a)
        response = post(client, record)
        return response.status_code, response.json()["status"]

    results = run_together(upload, upload, upload)
    expected = "submitted" if submit else "draft"
    assert results == [(200, expected)] * 3, results
    assert counts() == (1, 2, 1)
    assert Inspection.objects.get().status == expected
