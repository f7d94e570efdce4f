"""The dashboard's figures from the month counts (inspections/dashboard/tally.py) equal the same
figures counted from the hazards alone — every card, chart and league row, for every kind of
period (running month, past month, quarter, year, a custom span cut mid-month), every role and
filter — on hazards spread over fifteen months with every status, level, type and source, and
销号 times on both sides of a local month's first midnight."""

import datetime
import random

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inspections.dashboard import compute, tally
from inspections.dashboard.scope import Period, make_scope
from inspections.models import Hazard, Inspection
from inspections.models.counts import counts_maintained
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not counts_maintained(), reason="the month counts are PostgreSQL's (SQLite counts hazards)"
    ),
]

STATUSES = [
    Hazard.Status.REGISTERED,
    Hazard.Status.ASSIGNED,
    Hazard.Status.RECTIFYING,
    Hazard.Status.AWAITING_VERIFICATION,
    Hazard.Status.CLOSED,
    Hazard.Status.CLOSED,
    Hazard.Status.REJECTED,
    Hazard.Status.DRAFT,
]


@pytest.fixture
def district():
    rng = random.Random(7)
    fire, safety = factories.department("消防"), factories.department("应急管理局")
    north, south = factories.area("北街道"), factories.area("南街道")
    people = {
        "office": factories.user("tl_office", "office", factories.department("安委办")),
        "fire": factories.user("tl_fire", "inspector", fire),
        "north": factories.user("tl_north", "inspector", factories.street_office(north)),
    }
    units = [
        factories.unit(lead_department=fire, area=north),
        factories.unit(lead_department=safety, area=south),
        factories.unit(lead_department=safety, area=north),
    ]
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    for i in range(160):
        unit = rng.choice(units)
        found_on = today - datetime.timedelta(days=rng.randrange(0, 460))
        status = rng.choice(STATUSES)
        closed_at = None
        if status == Hazard.Status.CLOSED:
            day = min(found_on + datetime.timedelta(days=rng.randrange(0, 40)), today)
            # Some just after a local midnight, some just before: the 销号 day is local.
            at = rng.choice([datetime.time(0, 10), datetime.time(23, 50), datetime.time(10)])
            closed_at = datetime.datetime.combine(day, at, tzinfo=tz)
        disposal = {}
        if i % 17 == 0:
            # 处置中: under 停产整顿/关闭取缔 the deadline runs, under 风险管控 the review date.
            status = Hazard.Status.DISPOSAL
            kind = rng.choice(list(Hazard.Disposal))
            disposal = {"disposal": kind}
            if kind == Hazard.Disposal.RISK_CONTROL:
                disposal["risk_review_on"] = today - datetime.timedelta(days=rng.randrange(-20, 60))
        by = rng.choice([people["fire"], people["north"]])
        factories.hazard(
            unit,
            by,
            inspection=factories.inspection(
                unit, by, date=found_on, status=Inspection.Status.SUBMITTED
            ),
            found_on=found_on,
            status=status,
            number=None if status == Hazard.Status.DRAFT else f"YH-TL-{i:04d}",
            closed_at=closed_at,
            deadline=rng.choice(
                [
                    None,
                    found_on + datetime.timedelta(days=rng.randrange(1, 90)),
                    today - datetime.timedelta(days=rng.randrange(0, 10)),  # due this month
                ]
            ),
            level=rng.choice(list(Hazard.Level)),
            hazard_type=rng.choice(list(Hazard.Type)),
            source=rng.choice([Hazard.Source.INSPECTION, Hazard.Source.SELF_CHECK]),
            lead_department=rng.choice([fire, safety, unit.lead_department]),
            escalated_at=rng.choice([None, timezone.now() - datetime.timedelta(days=40)]),
            **disposal,
        )
    # On the boundary: a time limit of today is not overdue yet, yesterday's is.
    for days in (0, 1):
        limit = today - datetime.timedelta(days=days)
        for fields in (
            {"status": Hazard.Status.ASSIGNED, "deadline": limit},
            {
                "status": Hazard.Status.DISPOSAL,
                "disposal": Hazard.Disposal.SUSPEND,
                "deadline": limit,
            },
            {
                "status": Hazard.Status.DISPOSAL,
                "disposal": Hazard.Disposal.RISK_CONTROL,
                "risk_review_on": limit,
            },
        ):
            factories.hazard(units[0], people["fire"], level=Hazard.Level.MAJOR, **fields)
    return {"today": today, "fire": fire, "north": north, **people}


def periods(today: datetime.date) -> list[Period]:
    month = today.replace(day=1)
    last_month_end = month - datetime.timedelta(days=1)
    quarter = datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return [
        Period("month", month, (month + datetime.timedelta(days=32)).replace(day=1), today),
        Period("month", last_month_end.replace(day=1), last_month_end, today),
        Period("quarter", quarter, today, today),
        Period("year", datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31), today),
        Period(
            "year",
            datetime.date(today.year - 1, 1, 1),
            datetime.date(today.year - 1, 12, 31),
            today,
        ),
        Period(
            "custom",
            today - datetime.timedelta(days=130),
            today - datetime.timedelta(days=12),
            today,
        ),
    ]


def counted_from_hazards(monkeypatch, scope, period) -> dict:
    with monkeypatch.context() as patch:
        patch.setattr(tally, "counted", lambda scope, model=None: None)
        return compute(scope, period)


@pytest.mark.parametrize("who", ["office", "fire", "north"])
def test_every_figure_from_the_month_counts_equals_the_hazards_count(district, monkeypatch, who):
    user = district[who]
    filters = [{}, {"area_id": district["north"].pk}, {"department_id": district["fire"].pk}]
    for period in periods(district["today"]):
        for extra in filters:
            scope = make_scope(user, period, **extra)
            assert tally.counted(scope) is not None
            with CaptureQueriesContext(connection) as captured:
                fast = compute(scope, period)
            assert any("inspections_hazardmonthcount" in q["sql"] for q in captured), period
            assert fast == counted_from_hazards(monkeypatch, scope, period), (period, extra)


def test_figures_are_not_all_zero(district):
    """The comparison above means something only if the figures are not empty."""
    period = periods(district["today"])[3]
    d = compute(make_scope(district["office"], period), period)
    assert d["hazards"]["found"]["ytd"]["value"] > 0
    assert d["hazards"]["closed"]["ytd"]["value"] > 0
    assert d["hazards"]["rates"]["cur"]["due"]["value"] > 0
    assert any(row["found"]["value"] for row in d["league"]["rows"])
    assert d["hazards"]["overdue"]["value"] > 0
    assert any(row["overdue"]["value"] for row in d["league"]["rows"])


def test_a_month_split_into_whole_months_and_days():
    s = tally.Span
    assert tally.split(s(datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))) == (
        s(datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)),
        [],
    )
    assert tally.split(s(datetime.date(2026, 1, 15), datetime.date(2026, 4, 10))) == (
        s(datetime.date(2026, 2, 1), datetime.date(2026, 3, 31)),
        [
            s(datetime.date(2026, 1, 15), datetime.date(2026, 1, 31)),
            s(datetime.date(2026, 4, 1), datetime.date(2026, 4, 10)),
        ],
    )
    # Less than a whole month: the days alone.
    assert tally.split(s(datetime.date(2026, 2, 3), datetime.date(2026, 3, 5))) == (
        None,
        [s(datetime.date(2026, 2, 3), datetime.date(2026, 3, 5))],
    )


@pytest.mark.parametrize("who", ["office", "fire", "north"])
def test_inspection_scope_is_the_same_whichever_form_of_sql(district, who):
    user = district[who]
    arrays = set(Inspection.objects.visible_to(user).values_list("pk", flat=True))
    hashed = set(Inspection.objects.visible_to(user, filtered=True).values_list("pk", flat=True))
    assert arrays == hashed and arrays


@pytest.mark.parametrize("who", ["office", "fire"])
def test_overdue_from_the_month_counts_equals_the_overdue_indexes(district, monkeypatch, who):
    """Every overdue measure the page may ask (a limit other than today, found in a span with
    or without whole months, a condition), month counts and the overdue indexes alike."""
    today = district["today"]
    major = Q(level=Hazard.Level.MAJOR)
    measures = {"all": (None, today, None), "major": (major, today, None)}
    for days in (0, 1, 30, 45):
        measures[f"before-{days}"] = (major, today - datetime.timedelta(days=days), None)
    for period in periods(today):
        measures[f"found-{period.start}-{period.end}"] = (None, today, period.current)
    for period in periods(today)[:3]:
        scope = make_scope(district[who], period)
        fast = tally.overdue(scope, today, measures, by=("lead_department",))
        with monkeypatch.context() as patch:
            patch.setattr(tally, "counted", lambda scope, model=None: None)
            slow = tally.overdue(scope, today, measures, by=("lead_department",))
        assert {k: +v for k, v in fast.items()} == {k: +v for k, v in slow.items()}
        assert sum(c["all"] for c in slow.values()) > 0
