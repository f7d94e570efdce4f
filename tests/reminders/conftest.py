"""Helpers for the reminder tests: frozen Asia/Shanghai mornings and recipients with email."""

import contextlib
import datetime
import zoneinfo

import pytest
import time_machine

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@contextlib.contextmanager
def morning(day: datetime.date, hour: int = 8, minute: int = 0):
    """Freeze the clock at `hour`:`minute` Shanghai time on `day`."""
    with time_machine.travel(
        datetime.datetime.combine(day, datetime.time(hour, minute), SHANGHAI), tick=False
    ):
        yield


@pytest.fixture
def with_emails(inspector_a, inspector_a2, inspector_b, office, supervisor, leader):
    for user in (inspector_a, inspector_a2, inspector_b, office, supervisor, leader):
        user.email = f"{user.username}@example.gov.cn"
        user.save(update_fields=["email"])
    return {
        u.username: u for u in (inspector_a, inspector_a2, inspector_b, office, supervisor, leader)
    }
