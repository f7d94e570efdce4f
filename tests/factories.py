"""Small factories for tests. Departments and categories come from the reference migration."""

import itertools

from units.models import Area, Category, Department, Unit, User
from units.validators import make_credit_code

_serial = itertools.count(1)


def department(short_name: str) -> Department:
    return Department.objects.get(short_name=short_name)


def category(code: str) -> Category:
    return Category.objects.get(code=code)


def area(name: str = "兴华街道") -> Area:
    area, _ = Area.objects.get_or_create(name=name, defaults={"code": f"A{next(_serial)}"})
    return area


def street_office(area_obj: Area) -> Department:
    dept, _ = Department.objects.get_or_create(
        name=f"{area_obj.name}办事处",
        defaults={"short_name": area_obj.name, "kind": Department.Kind.STREET, "area": area_obj},
    )
    return dept


def user(username: str, role: str = "inspector", dept: Department | None = None, **extra) -> User:
    u = User(
        username=username, name=extra.pop("name", username), role=role, department=dept, **extra
    )
    u.set_password("pw-for-tests-1")
    u.save()
    return u


def unit(**fields) -> Unit:
    n = next(_serial)
    cat = fields.pop("category", None) or category("industrial")
    defaults = dict(
        name=f"测试单位{n}",
        credit_code=make_credit_code("91210106", f"{n + 50_000_000:08d}"),
        category=cat,
        area=fields.pop("area", None) or area(),
        address=f"测试路{n}号",
        legal_rep="张三",
        legal_rep_phone="13800138000",
        lead_department=fields.pop("lead_department", None) or cat.lead_department,
    )
    defaults.update(fields)
    return Unit.objects.create(**defaults)


def inspection(unit_obj: Unit, by: User, **fields):
    """A submitted inspection of `unit_obj` by `by` (no workflow: for tests of other parts)."""
    import datetime

    from django.utils import timezone

    from inspections.models import Inspection

    defaults = dict(
        unit=unit_obj,
        department=by.department,
        created_by=by,
        date=fields.pop("date", None) or timezone.localdate() - datetime.timedelta(days=10),
        status=Inspection.Status.SUBMITTED,
        submitted_at=timezone.now(),
        checked_items="消防通道、灭火器、用电线路",
    )
    defaults.update(fields)
    obj = Inspection.objects.create(**defaults)
    obj.inspectors.add(by)
    return obj


def hazard(unit_obj: Unit, by: User, **fields):
    """A numbered hazard written straight to the table, bypassing the workflow, for tests of
    the ledger, reminders and bulletins. Tests of transitions use inspections.workflow."""
    import datetime

    from inspections.models import Hazard

    n = next(_serial)
    insp = fields.pop("inspection", None) or inspection(unit_obj, by)
    defaults = dict(
        number=f"YH-T-{n:06d}",
        year=insp.date.year,
        inspection=insp,
        unit=unit_obj,
        found_on=insp.date,
        description=f"测试隐患{n}：安全出口堵塞",
        hazard_type=Hazard.Type.FIRE,
        level=Hazard.Level.GENERAL,
        lead_department=unit_obj.lead_department,
        deadline=insp.date + datetime.timedelta(days=15),
        status=Hazard.Status.ASSIGNED,
    )
    defaults.update(fields)
    if defaults["deadline"] and "original_deadline" not in fields:
        defaults["original_deadline"] = defaults["deadline"]
    return Hazard.objects.create(**defaults)


def registered_hazard(unit_obj: Unit, by: User, **fields):
    """A hazard that went through inspections.workflow.submit_inspection (status 已登记, or
    待复查 when fixed_on_spot, or 处置中 at an illegal site), with its real 登记 event."""
    import datetime

    from django.utils import timezone

    from inspections import workflow
    from inspections.models import Hazard, Inspection

    date = fields.pop("date", None) or timezone.localdate() - datetime.timedelta(days=10)
    insp = Inspection.objects.create(
        unit=unit_obj, department=by.department, created_by=by, date=date
    )
    insp.inspectors.add(by)
    n = next(_serial)
    defaults = dict(
        inspection=insp,
        unit=unit_obj,
        found_on=date,
        description=f"登记隐患{n}：疏散通道堆放杂物",
        hazard_type=Hazard.Type.FIRE,
        level=Hazard.Level.GENERAL,
        lead_department=unit_obj.lead_department,
        deadline=None if unit_obj.is_illegal else date + datetime.timedelta(days=15),
        status=Hazard.Status.DRAFT,
    )
    if unit_obj.is_illegal:
        defaults["disposal"] = Hazard.Disposal.CLOSE
    if fields.get("level") == Hazard.Level.MAJOR:
        # Submission refuses a 重大 hazard without its 判定依据.
        defaults["major_basis"] = "GB 35181-2017《重大火灾隐患判定方法》：安全出口数量不足"
    defaults.update(fields)
    hazard = Hazard.objects.create(**defaults)
    workflow.submit_inspection(inspection_id=insp.pk, actor=by)
    hazard.refresh_from_db()
    return hazard


def next_years_holidays_entered() -> None:
    """Marks next year's 元旦 as entered: a count of working days from today then never runs
    into a year the holiday calendar lacks (the forms refuse that), whatever today is."""
    import datetime

    from django.utils import timezone

    from inspections.models import CalendarDay

    year = timezone.localdate().year + 1
    CalendarDay.objects.get_or_create(
        date=datetime.date(year, 1, 1), defaults={"is_workday": False, "note": "元旦"}
    )
