"""A small district with known figures for the bulletin tests (clock frozen on 2026-06-15).

Period: 2026-05-16 … 2026-06-15 (30 days back from today).

  消防 (fire):   h1 general closed · h2 major assigned overdue 3d, escalated 10d ago, untouched
                 h3 general rectifying (due in 5d), escalated 2d ago · h4 rejected
                 old: h0 found before the period, closed in it · h0b major overdue 45 days
  应急 (safety): h5 general closed · h6 major 停产整顿 past its deadline by 1d
  plus a draft hazard that no figure may count.
Inspections in the period: fire 2 (one of them "无隐患"), safety 1 — all of key units.
Accidents: one in the period (1 death, 2 injured, unit of 应急); one in the same span last
year; enforcement: a fine of 5,000 元 and a suspension, both by 消防.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from anjian.celery import app as celery_app
from inspections import bulletins
from inspections.models import Accident, Bulletin, EnforcementAction, Hazard, HazardEvent
from inspections.stats import Scope
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 6, 15)
START = TODAY - datetime.timedelta(days=30)


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def at(n: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(days(n), datetime.time(hour), tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def eager_celery():
    """Build tasks run in-process even when REDIS_URL (CI) turned eager mode off: these tests
    are about what the task does, not about the broker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI), tick=False)
    return TODAY


@dataclass
class District:
    scope: Scope
    fire: object
    safety: object
    area_a: object
    area_b: object
    hazards: dict


@pytest.fixture
def district(today, inspector_a, inspector_b, fire_dept, safety_dept, office) -> District:
    area_a, area_b = factories.area("兴华街道"), factories.area("大潘街道")
    u_fire1 = factories.unit(
        category=factories.category("furniture-market"), lead_department=fire_dept, area=area_a
    )
    u_fire2 = factories.unit(
        category=factories.category("paint-market"), lead_department=fire_dept, area=area_b
    )
    u_chem = factories.unit(
        category=factories.category("chemical"), lead_department=safety_dept, area=area_a
    )
    insp1 = factories.inspection(u_fire1, inspector_a, date=days(-20))
    factories.inspection(u_fire2, inspector_a, date=days(-10), no_hazards=True)
    insp3 = factories.inspection(u_chem, inspector_b, date=days(-15))
    insp0 = factories.inspection(u_fire1, inspector_a, date=days(-60))

    S, L = Hazard.Status, Hazard.Level

    def make(unit, by, insp, **fields):
        return factories.hazard(unit, by, inspection=insp, found_on=insp.date, **fields)

    h = {}
    h["h1"] = make(u_fire1, inspector_a, insp1, status=S.CLOSED, closed_at=at(-5))
    h["h2"] = make(
        u_fire1,
        inspector_a,
        insp1,
        level=L.MAJOR,
        deadline=days(-3),
        escalated_at=at(-10),
    )
    h["h3"] = make(
        u_fire1, inspector_a, insp1, status=S.RECTIFYING, deadline=days(5), escalated_at=at(-2)
    )
    h["h4"] = make(u_fire1, inspector_a, insp1, status=S.REJECTED, deadline=None)
    h["h5"] = make(u_chem, inspector_b, insp3, status=S.CLOSED, closed_at=at(-2))
    h["h6"] = make(
        u_chem,
        inspector_b,
        insp3,
        level=L.MAJOR,
        status=S.DISPOSAL,
        disposal=Hazard.Disposal.SUSPEND,
        deadline=days(-1),
    )
    h["h0"] = make(u_fire1, inspector_a, insp0, status=S.CLOSED, closed_at=at(-10))
    h["h0b"] = make(u_fire1, inspector_a, insp0, level=L.MAJOR, deadline=days(-45))
    h["draft"] = make(u_fire1, inspector_a, insp1, status=S.DRAFT, number=None, deadline=None)
    # The escalation itself and a remark are not "handling" the hazard.
    for action in (HazardEvent.Action.ESCALATE, HazardEvent.Action.COMMENT):
        HazardEvent.objects.create(hazard=h["h2"], action=action, created_at=at(-9))

    Accident.objects.create(
        unit=u_chem,
        area=area_a,
        occurred_on=days(-7),
        kind=Accident.Kind.POISONING,
        deaths=1,
        injuries=2,
        description="有限空间作业中毒",
        created_by=office,
    )
    Accident.objects.create(
        area=area_b,
        occurred_on=datetime.date(2025, 3, 1),
        kind=Accident.Kind.FIRE,
        production=False,
        deaths=0,
        injuries=1,
        description="去年同期火灾",
        created_by=office,
    )
    EnforcementAction.objects.create(
        unit=u_fire1,
        kind=EnforcementAction.Kind.FINE,
        decided_on=days(-4),
        fine_amount=Decimal("5000"),
        department=fire_dept,
        created_by=office,
    )
    EnforcementAction.objects.create(
        unit=u_fire1,
        kind=EnforcementAction.Kind.SUSPEND,
        decided_on=days(-4),
        department=fire_dept,
        created_by=office,
    )
    return District(
        scope=Scope(start=START, end=TODAY, today=TODAY),
        fire=fire_dept,
        safety=safety_dept,
        area_a=area_a,
        area_b=area_b,
        hazards=h,
    )


def signed(bulletin_id: int, office, leader) -> Bulletin:
    """The office submits a built draft and the leader approves it: ready to circulate."""
    bulletins.submit(bulletin_id=bulletin_id, actor=office)
    return bulletins.approve(bulletin_id=bulletin_id, actor=leader)
