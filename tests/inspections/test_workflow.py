"""The lifecycle rules of inspections.workflow beyond the role × status table."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inspections import workflow
from inspections.models import (
    DeadlineExtension,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Inspection,
    YearSequence,
)
from inspections.views.hazards import event_details
from inspections.workdays import add_working_days
from tests import factories

S = Hazard.Status


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def registered(unit_of_a, inspector_a):
    return factories.registered_hazard(unit_of_a, inspector_a)


def assign(hazard, office, **extra):
    fields = dict(
        lead_department=hazard.lead_department,
        responsible_person="李四",
        deadline=days(10),
    )
    fields.update(extra)
    return workflow.assign(hazard_id=hazard.pk, actor=office, version=hazard.version, **fields)


def add_after_photo(hazard, user):
    return HazardPhoto.objects.create(
        hazard=hazard,
        kind="after",
        token=f"after{hazard.pk}",
        image="a.jpg",
        thumbnail="a_t.jpg",
        uploaded_by=user,
    )


def report_done(hazard, user):
    add_after_photo(hazard, user)
    return workflow.report_done(
        hazard_id=hazard.pk, actor=user, version=hazard.version, note="已整改", photos=()
    )


def snapshot(hazard):
    hazard.refresh_from_db()
    return (hazard.status, hazard.version, hazard.deadline, hazard.events.count())


# --- submission ------------------------------------------------------------------------------


def draft_inspection(unit, by, *, hazards=1, **fields):
    insp = Inspection.objects.create(
        unit=unit,
        department=by.department,
        created_by=by,
        date=fields.pop("date", days(-3)),
        **fields,
    )
    insp.inspectors.add(by)
    for i in range(hazards):
        Hazard.objects.create(
            inspection=insp,
            unit=unit,
            found_on=insp.date,
            description=f"配电箱无漏电保护{i}",
            hazard_type=Hazard.Type.ELECTRICAL,
            level=Hazard.Level.GENERAL,
            lead_department=unit.lead_department,
            deadline=None if unit.is_illegal else insp.date + datetime.timedelta(days=7),
        )
    return insp


def test_submit_numbers_hazards_gap_free_per_year_and_registers_them(unit_of_a, inspector_a):
    first = draft_inspection(unit_of_a, inspector_a, hazards=2)
    second = draft_inspection(unit_of_a, inspector_a, hazards=1)
    a = workflow.submit_inspection(inspection_id=first.pk, actor=inspector_a)
    b = workflow.submit_inspection(inspection_id=second.pk, actor=inspector_a)
    year = first.date.year
    assert [h.number for h in a + b] == [f"YH-{year}-{n:06d}" for n in (1, 2, 3)]
    for hazard in a + b:
        assert re.fullmatch(r"YH-\d{4}-\d{6}", hazard.number)
        hazard.refresh_from_db()
        assert hazard.status == S.REGISTERED
        assert hazard.original_deadline == hazard.deadline
        event = hazard.events.get()
        assert (event.action, event.from_status, event.to_status, event.actor) == (
            "register",
            S.DRAFT,
            S.REGISTERED,
            inspector_a,
        )
    first.refresh_from_db()
    assert first.status == Inspection.Status.SUBMITTED and first.submitted_at


def test_numbers_restart_each_year(unit_of_a, inspector_a):
    YearSequence.objects.create(name="hazard", year=today().year - 1, last=41)
    old = draft_inspection(unit_of_a, inspector_a, date=datetime.date(today().year - 1, 12, 30))
    new = draft_inspection(unit_of_a, inspector_a)
    [h_old] = workflow.submit_inspection(inspection_id=old.pk, actor=inspector_a)
    [h_new] = workflow.submit_inspection(inspection_id=new.pk, actor=inspector_a)
    assert h_old.number == f"YH-{today().year - 1}-000042"
    assert h_new.number == f"YH-{new.date.year}-000001"


def test_submitted_inspection_cannot_be_submitted_again(unit_of_a, inspector_a):
    insp = draft_inspection(unit_of_a, inspector_a)
    workflow.submit_inspection(inspection_id=insp.pk, actor=inspector_a)
    with pytest.raises(workflow.WorkflowError, match="已提交"):
        workflow.submit_inspection(inspection_id=insp.pk, actor=inspector_a)


def test_only_author_or_inspectors_submit(unit_of_a, inspector_a, inspector_a2):
    insp = draft_inspection(unit_of_a, inspector_a)
    with pytest.raises(workflow.NotAllowed):
        workflow.submit_inspection(inspection_id=insp.pk, actor=inspector_a2)
    insp.inspectors.add(inspector_a2)
    workflow.submit_inspection(inspection_id=insp.pk, actor=inspector_a2)


def assert_refused_and_nothing_saved(insp, actor, *keys):
    with pytest.raises(ValidationError) as error:
        workflow.submit_inspection(inspection_id=insp.pk, actor=actor)
    for key in keys:
        assert key in error.value.message_dict, error.value.message_dict
        assert all(re.search(r"[\u4e00-\u9fff]", m) for m in error.value.message_dict[key])
    insp.refresh_from_db()
    assert insp.status == Inspection.Status.DRAFT and insp.submitted_at is None
    assert not insp.hazards.exclude(status=S.DRAFT).exists()
    assert not insp.hazards.filter(number__isnull=False).exists()
    assert not HazardEvent.objects.filter(hazard__inspection=insp).exists()
    assert not YearSequence.objects.filter(last__gt=0).exists()
    return error.value.message_dict


def test_submission_needs_an_inspector(unit_of_a, inspector_a):
    insp = draft_inspection(unit_of_a, inspector_a)
    insp.inspectors.clear()
    assert_refused_and_nothing_saved(insp, inspector_a, "inspectors")


def test_submission_date_not_in_the_future(unit_of_a, inspector_a):
    insp = draft_inspection(unit_of_a, inspector_a, date=days(1), hazards=0)
    insp.no_hazards, insp.checked_items = True, "消防通道"
    insp.save()
    assert_refused_and_nothing_saved(insp, inspector_a, "date")


def test_submission_needs_unit_and_date_on_the_record():
    errors = workflow.submission_errors(Inspection())
    assert {"unit", "date", "no_hazards", "checked_items"} <= set(errors)


def test_each_hazard_needs_a_description_and_a_deadline(unit_of_a, inspector_a):
    insp = draft_inspection(unit_of_a, inspector_a, hazards=2)
    first, second = insp.hazards.order_by("pk")
    Hazard.objects.filter(pk=first.pk).update(description="  ")
    Hazard.objects.filter(pk=second.pk).update(deadline=None)
    assert_refused_and_nothing_saved(
        insp, inspector_a, f"hazard-{first.pk}-description", f"hazard-{second.pk}-deadline"
    )


def test_hazard_deadline_not_before_the_inspection(unit_of_a, inspector_a):
    insp = draft_inspection(unit_of_a, inspector_a)
    hazard = insp.hazards.get()
    # Bypass the table's own check (deadline ≥ found_on) by moving found_on too.
    Hazard.objects.filter(pk=hazard.pk).update(
        found_on=insp.date - datetime.timedelta(days=5),
        deadline=insp.date - datetime.timedelta(days=1),
    )
    assert_refused_and_nothing_saved(insp, inspector_a, f"hazard-{hazard.pk}-deadline")


def test_no_hazards_must_be_said_explicitly_with_checked_items(unit_of_a, inspector_a):
    insp = draft_inspection(unit_of_a, inspector_a, hazards=0, checked_items="")
    errors = assert_refused_and_nothing_saved(insp, inspector_a, "no_hazards", "checked_items")
    assert "未发现隐患" in errors["no_hazards"][0]
    insp.no_hazards = True
    insp.save()
    assert_refused_and_nothing_saved(insp, inspector_a, "checked_items")
    insp.checked_items = "消防通道、灭火器、配电箱"
    insp.save()
    assert workflow.submit_inspection(inspection_id=insp.pk, actor=inspector_a) == []
    insp.refresh_from_db()
    assert insp.status == Inspection.Status.SUBMITTED


def test_no_hazards_ticked_with_hazards_is_contradictory(unit_of_a, inspector_a):
    insp = draft_inspection(unit_of_a, inspector_a, no_hazards=True, checked_items="全部")
    assert_refused_and_nothing_saved(insp, inspector_a, "no_hazards")


def test_failed_hazard_check_saves_nothing_of_the_good_hazards(unit_of_a, inspector_a):
    insp = draft_inspection(unit_of_a, inspector_a, hazards=3)
    last = insp.hazards.order_by("pk").last()
    Hazard.objects.filter(pk=last.pk).update(deadline=None)
    assert_refused_and_nothing_saved(insp, inspector_a, f"hazard-{last.pk}-deadline")


def test_fixed_on_spot_goes_straight_to_verification(unit_of_a, inspector_a, inspector_a2):
    insp = draft_inspection(unit_of_a, inspector_a)
    Hazard.objects.filter(inspection=insp).update(fixed_on_spot=True, deadline=None)
    [hazard] = workflow.submit_inspection(inspection_id=insp.pk, actor=inspector_a)
    hazard.refresh_from_db()
    assert hazard.status == S.AWAITING_VERIFICATION
    assert hazard.reported_done_by == inspector_a
    assert hazard.events.get().action == "fix_on_spot"
    # The reporter is the one who fixed it on the spot: somebody else verifies.
    with pytest.raises(workflow.NotAllowed, match="复查人不能是报告整改完成的人"):
        workflow.verify(
            hazard_id=hazard.pk, actor=inspector_a, version=hazard.version, ok=True, note="好"
        )
    workflow.verify(
        hazard_id=hazard.pk, actor=inspector_a2, version=hazard.version, ok=True, note="合格"
    )
    hazard.refresh_from_db()
    assert hazard.status == S.CLOSED and hazard.closed_at


# --- illegal sites ---------------------------------------------------------------------------


@pytest.fixture
def illegal_unit(fire_dept):
    return factories.unit(
        category=factories.category("three-in-one"),
        lead_department=fire_dept,
        is_illegal=True,
        credit_code="",
    )


def test_illegal_site_hazard_must_carry_close_disposal(illegal_unit, inspector_a):
    insp = draft_inspection(illegal_unit, inspector_a)
    hazard = insp.hazards.get()
    errors = assert_refused_and_nothing_saved(insp, inspector_a, f"hazard-{hazard.pk}-disposal")
    assert "关闭取缔" in errors[f"hazard-{hazard.pk}-disposal"][0]
    Hazard.objects.filter(pk=hazard.pk).update(disposal=Hazard.Disposal.CLOSE)
    [hazard] = workflow.submit_inspection(inspection_id=insp.pk, actor=inspector_a)
    hazard.refresh_from_db()
    assert (hazard.status, hazard.disposal) == (S.DISPOSAL, Hazard.Disposal.CLOSE)
    assert hazard.deadline is None


def test_nothing_is_rectified_at_an_illegal_site(illegal_unit, inspector_a, office):
    hazard = factories.hazard(illegal_unit, inspector_a, status=S.ASSIGNED)
    for call in (
        lambda: workflow.start_rectifying(
            hazard_id=hazard.pk, actor=office, version=hazard.version
        ),
        lambda: workflow.report_done(
            hazard_id=hazard.pk, actor=office, version=hazard.version, note="改了"
        ),
        lambda: workflow.request_extension(
            hazard_id=hazard.pk, actor=office, version=hazard.version, deadline=days(40), reason="x"
        ),
    ):
        before = snapshot(hazard)
        with pytest.raises(workflow.NotAllowed, match="非法场所"):
            call()
        assert snapshot(hazard) == before
    with pytest.raises(workflow.Invalid, match="只能关闭取缔"):
        workflow.cannot_rectify(
            hazard_id=hazard.pk,
            actor=office,
            version=hazard.version,
            disposal=Hazard.Disposal.SUSPEND,
            note="停产",
        )
    workflow.cannot_rectify(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        disposal=Hazard.Disposal.CLOSE,
        note="依法取缔",
        deadline=days(10),
    )
    hazard.refresh_from_db()
    workflow.finish_disposal(
        hazard_id=hazard.pk, actor=office, version=hazard.version, note="已取缔"
    )
    hazard.refresh_from_db()
    assert hazard.status == S.CLOSED


# --- triage ----------------------------------------------------------------------------------


def test_assign_by_working_days_uses_the_holiday_calendar(registered, office):
    hazard = assign(registered, office, deadline=None, working_days=5)
    assert hazard.deadline == add_working_days(today(), 5)
    assert hazard.original_deadline == hazard.deadline
    assert hazard.events.latest("id").data["working_days"] == 5


def test_assign_needs_a_deadline_and_a_responsible_person(registered, office):
    before = snapshot(registered)
    with pytest.raises(workflow.Invalid, match="整改期限"):
        assign(registered, office, deadline=None)
    with pytest.raises(workflow.Invalid, match="整改责任人"):
        assign(registered, office, responsible_person=" ")
    with pytest.raises(workflow.Invalid, match="不能早于发现日期"):
        assign(registered, office, deadline=registered.found_on - datetime.timedelta(days=1))
    assert snapshot(registered) == before


def test_reject_needs_a_reason(registered, office):
    with pytest.raises(workflow.Invalid, match="理由"):
        workflow.reject(
            hazard_id=registered.pk, actor=office, version=registered.version, reason=""
        )
    workflow.reject(
        hazard_id=registered.pk, actor=office, version=registered.version, reason="不属于隐患"
    )
    registered.refresh_from_db()
    assert registered.status == S.REJECTED


def test_merge_into_a_hazard_of_the_same_unit(
    registered, office, unit_of_a, unit_of_b, inspector_a, inspector_b
):
    original = factories.registered_hazard(unit_of_a, inspector_a)
    elsewhere = factories.registered_hazard(unit_of_b, inspector_b)
    for into, message in ((registered, "另一条"), (elsewhere, "同一单位")):
        with pytest.raises(workflow.Invalid, match=message):
            workflow.merge(
                hazard_id=registered.pk, actor=office, version=registered.version, into_id=into.pk
            )
    workflow.merge(
        hazard_id=registered.pk, actor=office, version=registered.version, into_id=original.pk
    )
    registered.refresh_from_db()
    assert (registered.status, registered.merged_into) == (S.MERGED, original)
    assert registered.events.latest("id").data == {"into": original.number}


def test_transfer_keeps_the_deadline(registered, office, safety_dept, fire_dept):
    hazard = assign(registered, office, deadline=days(9))
    with pytest.raises(workflow.Invalid, match="相同"):
        workflow.transfer(
            hazard_id=hazard.pk,
            actor=office,
            version=hazard.version,
            department=fire_dept,
            note="x",
        )
    with pytest.raises(workflow.Invalid, match="转办理由"):
        workflow.transfer(
            hazard_id=hazard.pk,
            actor=office,
            version=hazard.version,
            department=safety_dept,
            note="",
        )
    workflow.transfer(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        department=safety_dept,
        note="属应急局监管",
    )
    hazard.refresh_from_db()
    # 首办负责制: the 首办 department stays; 应急管理局 handles it as 承办.
    assert (hazard.lead_department, hazard.handling_department) == (fire_dept, safety_dept)
    assert (hazard.deadline, hazard.original_deadline, hazard.status) == (
        days(9),
        days(9),
        S.ASSIGNED,
    )
    event = hazard.events.latest("id")
    assert event.data == {
        "from_department": fire_dept.name,
        "to_department": safety_dept.name,
        "lead_department": fire_dept.name,
    }


# --- rectification and verification ----------------------------------------------------------


def test_report_done_needs_a_note_and_an_after_photo(registered, office, inspector_a):
    hazard = assign(registered, office)
    before = snapshot(hazard)
    with pytest.raises(workflow.Invalid, match="整改后照片"):
        workflow.report_done(
            hazard_id=hazard.pk, actor=inspector_a, version=hazard.version, note="好了"
        )
    add_after_photo(hazard, inspector_a)
    with pytest.raises(workflow.Invalid, match="整改情况"):
        workflow.report_done(
            hazard_id=hazard.pk, actor=inspector_a, version=hazard.version, note=""
        )
    assert snapshot(hazard) == before
    workflow.report_done(
        hazard_id=hazard.pk, actor=inspector_a, version=hazard.version, note="已清理"
    )
    hazard.refresh_from_db()
    assert hazard.status == S.AWAITING_VERIFICATION
    assert hazard.reported_done_by == inspector_a


def test_verifier_is_not_the_reporter(registered, office, inspector_a, inspector_a2):
    hazard = assign(registered, office)
    hazard = report_done(hazard, inspector_a)
    before = snapshot(hazard)
    with pytest.raises(workflow.NotAllowed, match="复查人不能是报告整改完成的人"):
        workflow.verify(
            hazard_id=hazard.pk, actor=inspector_a, version=hazard.version, ok=True, note="好"
        )
    assert snapshot(hazard) == before
    workflow.verify(
        hazard_id=hazard.pk, actor=inspector_a2, version=hazard.version, ok=True, note="合格"
    )
    hazard.refresh_from_db()
    assert hazard.status == S.CLOSED


def test_verify_fail_reopens_with_a_new_deadline(registered, office, inspector_a, inspector_a2):
    hazard = assign(registered, office, deadline=days(3))
    hazard = report_done(hazard, inspector_a)
    with pytest.raises(workflow.Invalid, match="新整改期限"):
        workflow.verify(
            hazard_id=hazard.pk, actor=inspector_a2, version=hazard.version, ok=False, note="不合格"
        )
    with pytest.raises(workflow.Invalid, match="新整改期限"):
        workflow.verify(
            hazard_id=hazard.pk,
            actor=inspector_a2,
            version=hazard.version,
            ok=False,
            note="不合格",
            new_deadline=days(-1),
        )
    workflow.verify(
        hazard_id=hazard.pk,
        actor=inspector_a2,
        version=hazard.version,
        ok=False,
        note="灭火器仍过期",
        new_deadline=days(12),
    )
    hazard.refresh_from_db()
    assert (hazard.status, hazard.reopen_count, hazard.deadline) == (S.RECTIFYING, 1, days(12))
    assert hazard.original_deadline == days(3)
    event = hazard.events.latest("id")
    assert event.action == "verify_fail"
    assert event.data["old_deadline"] == days(3).isoformat()
    assert event.data["new_deadline"] == days(12).isoformat()
    # A second round: reported again, failed again.
    hazard = workflow.report_done(
        hazard_id=hazard.pk, actor=inspector_a, version=hazard.version, note="再次整改"
    )
    workflow.verify(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        ok=False,
        note="仍不合格",
        new_deadline=days(20),
    )
    hazard.refresh_from_db()
    assert hazard.reopen_count == 2


def test_stale_version_is_refused(registered, office):
    before = snapshot(registered)
    with pytest.raises(workflow.StaleHazard, match="该隐患已被他人修改"):
        workflow.reject(
            hazard_id=registered.pk, actor=office, version=registered.version + 1, reason="x"
        )
    assert snapshot(registered) == before


# --- major hazards ---------------------------------------------------------------------------


def test_major_hazard_needs_the_five_implementations_before_report_done(
    unit_of_a, inspector_a, inspector_a2, office
):
    hazard = factories.registered_hazard(unit_of_a, inspector_a, level=Hazard.Level.MAJOR)
    hazard = assign(hazard, office)
    add_after_photo(hazard, inspector_a)
    before = snapshot(hazard)
    with pytest.raises(workflow.Invalid, match="五落实") as refused:
        workflow.report_done(
            hazard_id=hazard.pk, actor=inspector_a, version=hazard.version, note="完成"
        )
    # 五落实 is 责任、措施、资金、时限、预案: the fifth is the emergency plan, not 验收.
    assert "资金" in str(refused.value) and "预案" in str(refused.value)
    assert "验收" not in str(refused.value)
    assert snapshot(hazard) == before
    with pytest.raises(workflow.Invalid, match="治理措施"):
        workflow.set_governance_plan(
            hazard_id=hazard.pk,
            actor=inspector_a,
            version=hazard.version,
            responsible="张总",
            measures="",
            funds=Decimal("0"),
            deadline=days(30),
            emergency_plan="停用储罐区并设警戒",
        )
    with pytest.raises(workflow.Invalid, match="应急预案"):
        workflow.set_governance_plan(
            hazard_id=hazard.pk,
            actor=inspector_a,
            version=hazard.version,
            responsible="张总",
            measures="更换储罐",
            funds=Decimal("0"),
            deadline=days(30),
            emergency_plan="  ",
        )
    assert snapshot(hazard) == before
    hazard = workflow.set_governance_plan(
        hazard_id=hazard.pk,
        actor=inspector_a,
        version=hazard.version,
        responsible="张总",
        measures="更换储罐",
        funds=Decimal("0"),
        deadline=days(30),
        emergency_plan="停用储罐区并设警戒，专人值守",
    )
    plan = hazard.events.latest("id")
    assert plan.action == "plan"
    assert plan.data["emergency_plan"] == "停用储罐区并设警戒，专人值守"
    # The timeline reads the plan as the 五落实, not as a rectification deadline or 验收.
    labels = dict(event_details(plan))
    assert labels["治理责任人"] == "张总" and labels["应急预案"] == "停用储罐区并设警戒，专人值守"
    assert labels["治理时限"] == days(30).isoformat() and labels["治理经费（万元）"] == "0"
    assert "整改期限" not in labels
    assert hazard.plan_emergency == "停用储罐区并设警戒，专人值守"
    hazard = workflow.list_for_supervision(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        document="铁安委办〔2026〕7号",
        listed_on=today(),
    )
    with pytest.raises(workflow.NotAllowed, match="已挂牌督办"):
        workflow.list_for_supervision(
            hazard_id=hazard.pk,
            actor=office,
            version=hazard.version,
            document="又一号",
            listed_on=today(),
        )
    hazard = workflow.report_done(
        hazard_id=hazard.pk, actor=inspector_a, version=hazard.version, note="完成"
    )
    # Listed: the department's inspectors cannot close it alone; the office accepts it.
    with pytest.raises(workflow.NotAllowed, match="安委办验收"):
        workflow.verify(
            hazard_id=hazard.pk, actor=inspector_a2, version=hazard.version, ok=True, note="合格"
        )
    workflow.verify(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        ok=True,
        note="验收合格，摘牌销号",
    )
    hazard.refresh_from_db()
    assert hazard.status == S.CLOSED
    assert hazard.events.latest("id").data == {"delisted": "铁安委办〔2026〕7号"}


def test_general_hazards_are_not_listed(registered, office):
    with pytest.raises(workflow.NotAllowed, match="仅适用于重大隐患"):
        workflow.list_for_supervision(
            hazard_id=registered.pk,
            actor=office,
            version=registered.version,
            document="x",
            listed_on=today(),
        )


# --- deadlines -------------------------------------------------------------------------------


def test_extension_request_approve_keeps_the_original_deadline(registered, office, inspector_a):
    hazard = assign(registered, office, deadline=days(5))
    with pytest.raises(workflow.Invalid, match="须晚于当前期限"):
        workflow.request_extension(
            hazard_id=hazard.pk,
            actor=inspector_a,
            version=hazard.version,
            deadline=days(5),
            reason="慢",
        )
    extension = workflow.request_extension(
        hazard_id=hazard.pk,
        actor=inspector_a,
        version=hazard.version,
        deadline=days(20),
        reason="设备到货慢",
    )
    hazard.refresh_from_db()
    with pytest.raises(workflow.NotAllowed, match="待审批"):
        workflow.request_extension(
            hazard_id=hazard.pk,
            actor=inspector_a,
            version=hazard.version,
            deadline=days(25),
            reason="再延",
        )
    with pytest.raises(workflow.NotAllowed):
        workflow.decide_extension(extension_id=extension.pk, actor=inspector_a, approve=True)
    workflow.decide_extension(extension_id=extension.pk, actor=office, approve=True, note="同意")
    hazard.refresh_from_db()
    assert (hazard.deadline, hazard.original_deadline) == (days(20), days(5))
    extension.refresh_from_db()
    assert (extension.status, extension.decided_by) == ("approved", office)
    event = hazard.events.latest("id")
    assert event.action == "approve_extension"
    assert event.data["original_deadline"] == days(5).isoformat()
    with pytest.raises(workflow.WorkflowError):
        workflow.decide_extension(extension_id=extension.pk, actor=office, approve=False)


def test_refused_extension_leaves_the_deadline(registered, office, inspector_a):
    hazard = assign(registered, office, deadline=days(5))
    extension = workflow.request_extension(
        hazard_id=hazard.pk,
        actor=inspector_a,
        version=hazard.version,
        deadline=days(20),
        reason="慢",
    )
    workflow.decide_extension(extension_id=extension.pk, actor=office, approve=False, note="不同意")
    hazard.refresh_from_db()
    assert (hazard.deadline, hazard.original_deadline) == (days(5), days(5))
    assert DeadlineExtension.objects.get(pk=extension.pk).status == "refused"
    assert hazard.events.latest("id").action == "refuse_extension"
    # Refused, a new request may follow.
    workflow.request_extension(
        hazard_id=hazard.pk,
        actor=inspector_a,
        version=hazard.version,
        deadline=days(15),
        reason="再申请",
    )


# --- disposal --------------------------------------------------------------------------------


def test_risk_control_reopens_at_its_review_date(registered, office, inspector_a):
    hazard = assign(registered, office, deadline=days(5))
    with pytest.raises(workflow.Invalid, match="复核日期"):
        workflow.cannot_rectify(
            hazard_id=hazard.pk,
            actor=inspector_a,
            version=hazard.version,
            disposal=Hazard.Disposal.RISK_CONTROL,
            note="暂无法改造",
            review_on=today(),
        )
    workflow.cannot_rectify(
        hazard_id=hazard.pk,
        actor=inspector_a,
        version=hazard.version,
        disposal=Hazard.Disposal.RISK_CONTROL,
        note="设警示、限流，年底改造",
        review_on=days(30),
    )
    hazard.refresh_from_db()
    assert (hazard.status, hazard.risk_review_on) == (S.DISPOSAL, days(30))
    assert workflow.review_risk_controls(today=days(29)) == 0
    assert workflow.review_risk_controls(today=days(30)) == 1
    assert workflow.review_risk_controls(today=days(30)) == 0
    hazard.refresh_from_db()
    assert (hazard.status, hazard.deadline, hazard.disposal) == (S.RECTIFYING, days(30), "")
    event = hazard.events.latest("id")
    assert (event.action, event.actor, event.from_status) == ("risk_review", None, S.DISPOSAL)
    # Still open after the review date, it counts as overdue.
    assert hazard.is_overdue(days(31))


def test_other_disposals_do_not_reopen(registered, office, inspector_a):
    hazard = assign(registered, office)
    workflow.cannot_rectify(
        hazard_id=hazard.pk,
        actor=inspector_a,
        version=hazard.version,
        disposal=Hazard.Disposal.SUSPEND,
        note="责令停产整顿",
        deadline=days(30),
    )
    assert workflow.review_risk_controls(today=days(400)) == 0


def test_void_needs_a_reason_and_keeps_the_record(registered, office):
    before = snapshot(registered)
    with pytest.raises(workflow.Invalid, match="作废理由"):
        workflow.void(hazard_id=registered.pk, actor=office, version=registered.version, reason=" ")
    assert snapshot(registered) == before
    workflow.void(
        hazard_id=registered.pk, actor=office, version=registered.version, reason="录入错误"
    )
    registered.refresh_from_db()
    assert registered.status == S.VOID and registered.number
    assert registered.events.latest("id").note == "录入错误"


# --- escalation ------------------------------------------------------------------------------


def test_system_escalation_is_idempotent_and_only_for_running_clocks(registered, office):
    assert workflow.escalate(hazard_id=registered.pk, note="逾期") is False
    hazard = assign(registered, office)
    assert workflow.escalate(hazard_id=hazard.pk, note="逾期超过7天") is True
    assert workflow.escalate(hazard_id=hazard.pk, note="逾期超过7天") is False
    hazard.refresh_from_db()
    assert hazard.escalated_at is not None
    event = hazard.events.filter(action="escalate").get()
    assert event.actor is None
