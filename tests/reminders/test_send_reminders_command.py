"""`manage.py send_reminders`: the same job now; its last line is `sent=N skipped=M`."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from inspections.models import Notification, Reminder
from tests import factories

from .conftest import morning

D = datetime.date
pytestmark = pytest.mark.django_db


def call(*args) -> list[str]:
    out = io.StringIO()
    with morning(D(2025, 6, 25)):
        call_command("send_reminders", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def overdue_hazard(with_emails, inspector_a, unit_of_a):
    with morning(D(2025, 6, 1)):
        return factories.hazard(unit_of_a, inspector_a, deadline=D(2025, 6, 23))


def test_command_sends_then_skips(overdue_hazard):
    lines = call("--date", "2025-06-24")
    assert lines[-1] == "sent=2 skipped=0"
    assert len(mail.outbox) == 2
    assert call("--date", "2025-06-24")[-1] == "sent=0 skipped=2"
    assert len(mail.outbox) == 2
    assert Reminder.objects.filter(day=D(2025, 6, 24)).count() == 1


def test_command_defaults_to_today(overdue_hazard):
    assert call()[-1] == "sent=2 skipped=0"
    assert set(Notification.objects.values_list("day", flat=True)) == {D(2025, 6, 25)}


def test_dry_run_lists_who_gets_what_and_writes_nothing(overdue_hazard):
    lines = call("--date", "2025-06-24", "--dry-run")
    assert lines[-1] == "sent=2 skipped=0"
    assert any("insp_a@example.gov.cn" in line and overdue_hazard.number in line for line in lines)
    assert not Reminder.objects.exists() and not Notification.objects.exists()
    assert mail.outbox == []


def test_bad_date_is_refused():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call("--date", "25/06/2025")
