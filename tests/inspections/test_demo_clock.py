"""The demo seeded at any hour of the Beijing day writes nothing ahead of the clock.

It once stamped an inspection dated today at 09:00/17:00 local while the clock said 01:43, so
the suite went red by the time of day. Each instant below seeds a smaller demo year."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.db.models import Max, Min
from django.utils import timezone

from inspections import demo
from inspections.models import DeadlineExtension, Hazard, HazardEvent, Inspection
from units import demo as units_demo

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
INSTANTS = [(0, 30), (8, 0), (16, 30), (23, 50)]


@pytest.mark.parametrize(("hour", "minute"), INSTANTS, ids=lambda v: f"{v:02d}")
def test_demo_seeded_at_any_hour_writes_nothing_in_the_future(
    db, settings, tmp_path, monkeypatch, hour, minute
):
    settings.MEDIA_ROOT = str(tmp_path)
    # The last weeks are weighted heavily, so 80 inspections still reach yesterday and today.
    monkeypatch.setattr(demo, "INSPECTIONS", 80)
    instant = datetime.datetime(2026, 12, 3, hour, minute, tzinfo=SHANGHAI)
    with time_machine.travel(instant, tick=True):
        assert units_demo.seed_base("demo-pw")
        demo.seed_history()
        now, today = timezone.now(), timezone.localdate()
        assert today == datetime.date(2026, 12, 3)

        inspections = Inspection.objects.aggregate(
            last_date=Max("date"), created=Max("created_at"), submitted=Max("submitted_at")
        )
        assert inspections["last_date"] < today
        assert inspections["created"] <= now and inspections["submitted"] <= now
        assert Hazard.objects.aggregate(m=Max("created_at"))["m"] <= now
        assert Hazard.objects.aggregate(m=Max("found_on"))["m"] < today
        assert HazardEvent.objects.aggregate(m=Max("created_at"))["m"] <= now
        extensions = DeadlineExtension.objects.aggregate(c=Max("created_at"), d=Max("decided_at"))
        assert all(v is None or v <= now for v in extensions.values())
        for hazard in Hazard.objects.annotate(first=Min("events__created_at")):
            assert hazard.created_at <= hazard.first + datetime.timedelta(minutes=1), hazard
