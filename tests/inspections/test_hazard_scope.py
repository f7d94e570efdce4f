"""Hazard.scope_* (inspections/scope.py): the copies that visible_to() filters on stay equal to
their sources — inspection 填报人/检查部门, unit 牵头部门/属地 — through every write that changes
one, and the scope they give is the one the joins gave."""

import datetime

import pytest
from django.db.models import Q
from django.utils import timezone

from inspections import workflow
from inspections.models import Hazard, Inspection
from tests import factories

pytestmark = pytest.mark.django_db

SOURCES = {
    "scope_owner_id": "inspection__created_by_id",
    "scope_inspection_department_id": "inspection__department_id",
    "scope_unit_department_id": "unit__lead_department_id",
    "scope_unit_area_id": "unit__area_id",
}


def drifted() -> list[tuple]:
    """Hazards whose copies differ from what the inspection and unit say now (a join)."""
    rows = Hazard.objects.values_list("pk", *SOURCES, *SOURCES.values())
    n = len(SOURCES)
    return [row for row in rows if row[1 : 1 + n] != row[1 + n :]]


def joined_scope(user) -> set[int]:
    """visible_to() as it was written before the copies: joins to inspection and unit."""
    from units.models import Unit

    qs = Hazard.objects.all()
    if user.sees_everything:
        return set(
            qs.exclude(Q(status="draft") & ~Q(inspection__created_by=user)).values_list(
                "pk", flat=True
            )
        )
    dept = user.department
    departmental = (
        Q(lead_department=dept)
        | Q(handling_department=dept)
        | Q(inspection__department=dept)
        | Q(unit__in=Unit.objects.visible_to(user).values("pk"))
    )
    return set(
        qs.filter(Q(inspection__created_by=user) | (~Q(status="draft") & departmental)).values_list(
            "pk", flat=True
        )
    )


@pytest.fixture
def world():
    fire = factories.department("消防")
    safety = factories.department("应急管理局")
    north, south = factories.area("北街道"), factories.area("南街道")
    people = {
        "fire": factories.user("sc_fire", "inspector", fire),
        "safety": factories.user("sc_safety", "inspector", safety),
        "north": factories.user("sc_north", "inspector", factories.street_office(north)),
        "south": factories.user("sc_south", "inspector", factories.street_office(south)),
        "office": factories.user("sc_office", "office", factories.department("安委办")),
        "fire2": factories.user("sc_fire2", "inspector", fire),
    }
    unit = factories.unit(lead_department=fire, area=north)
    return {
        "d_fire": fire,
        "d_safety": safety,
        "a_north": north,
        "a_south": south,
        "unit": unit,
        **people,
    }


def assert_consistent(world) -> None:
    assert drifted() == []
    for key in ("fire", "safety", "north", "south", "office", "fire2"):
        user = world[key]
        assert set(Hazard.objects.visible_to(user).values_list("pk", flat=True)) == (
            joined_scope(user)
        ), key


def visible(user, hazard) -> bool:
    return Hazard.objects.visible_to(user).filter(pk=hazard.pk).exists()


def test_copies_follow_every_transition(world, django_assert_num_queries):
    fire, safety, unit, office = world["d_fire"], world["d_safety"], world["unit"], world["office"]
    # A draft: only its 填报人 sees it.
    inspection = Inspection.objects.create(
        unit=unit,
        department=fire,
        created_by=world["fire"],
        date=timezone.localdate() - datetime.timedelta(days=3),
    )
    inspection.inspectors.add(world["fire"])
    hazard = Hazard.objects.create(
        inspection=inspection,
        unit=unit,
        found_on=inspection.date,
        description="疏散通道堆放杂物，安全出口上锁",
        hazard_type=Hazard.Type.FIRE,
        level=Hazard.Level.GENERAL,
        lead_department=fire,
        deadline=inspection.date + datetime.timedelta(days=15),
        status=Hazard.Status.DRAFT,
    )
    hazard.refresh_from_db()
    assert (hazard.scope_owner_id, hazard.scope_inspection_department_id) == (
        world["fire"].pk,
        fire.pk,
    )
    assert (hazard.scope_unit_department_id, hazard.scope_unit_area_id) == (
        fire.pk,
        world["a_north"].pk,
    )
    assert visible(world["fire"], hazard) and not visible(world["fire2"], hazard)
    assert not visible(office, hazard)
    assert_consistent(world)

    # Submit: the department and the street now see it.
    workflow.submit_inspection(inspection_id=inspection.pk, actor=world["fire"])
    hazard.refresh_from_db()
    assert hazard.status == Hazard.Status.REGISTERED
    assert visible(world["fire2"], hazard) and visible(world["north"], hazard)
    assert visible(office, hazard) and not visible(safety_user := world["safety"], hazard)
    assert_consistent(world)

    # 交办 to another 首办 department.
    hazard = workflow.assign(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        lead_department=safety,
        responsible_person="李四",
        deadline=timezone.localdate() + datetime.timedelta(days=10),
    )
    assert visible(safety_user, hazard)
    assert_consistent(world)

    # 转办 to a 承办 department, then back to the 首办.
    hazard = workflow.transfer(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        department=factories.department("市场监管"),
        note="属市场监管职责",
    )
    assert hazard.handling_department.short_name == "市场监管"
    assert_consistent(world)

    # The unit moves to another street and another 牵头部门.
    unit.refresh_from_db()
    unit.area = world["a_south"]
    unit.lead_department = safety
    unit.save()
    hazard.refresh_from_db()
    assert (hazard.scope_unit_department_id, hazard.scope_unit_area_id) == (
        safety.pk,
        world["a_south"].pk,
    )
    assert visible(world["south"], hazard) and not visible(world["north"], hazard)
    assert_consistent(world)

    # The inspection's 检查部门 is corrected.
    inspection.refresh_from_db()
    inspection.department = safety
    inspection.save()
    assert_consistent(world)

    # The hazard is moved to another unit (the inspection form's bulk update).
    other = factories.unit(lead_department=fire, area=world["a_north"])
    Hazard.objects.filter(inspection=inspection).update(unit=other)
    hazard.refresh_from_db()
    assert hazard.scope_unit_area_id == world["a_north"].pk
    assert_consistent(world)

    # Saving with other values leaves the copies alone, and costs no query for them.
    hazard.responsible_person = "王五"
    with django_assert_num_queries(1):
        hazard.save(update_fields=["responsible_person"])
    assert_consistent(world)


def test_bulk_created_hazards_get_their_copies(world):
    unit = world["unit"]
    inspection = factories.inspection(unit, world["safety"])
    Hazard.objects.bulk_create(
        [
            Hazard(
                inspection=inspection,
                unit=unit,
                number=f"YH-T-9{n:05d}",
                year=inspection.date.year,
                found_on=inspection.date,
                description="配电箱线路老化，私拉乱接",
                hazard_type=Hazard.Type.ELECTRICAL,
                level=Hazard.Level.GENERAL,
                lead_department=world["d_fire"],
                status=Hazard.Status.REGISTERED,
            )
            for n in range(3)
        ]
    )
    assert Hazard.objects.filter(scope_owner=world["safety"]).count() == 3
    assert_consistent(world)


def test_ledger_scope_without_drafts_is_the_scope_minus_drafts(world):
    unit = world["unit"]
    factories.hazard(unit, world["fire"])
    factories.hazard(unit, world["safety"], status=Hazard.Status.CLOSED)
    factories.hazard(unit, world["fire"], status=Hazard.Status.DRAFT, number=None)
    for key in ("fire", "safety", "north", "south", "office", "fire2"):
        user = world[key]
        assert set(
            Hazard.objects.visible_to(user, drafts=False).values_list("pk", flat=True)
        ) == set(
            Hazard.objects.visible_to(user).exclude(status="draft").values_list("pk", flat=True)
        ), key
