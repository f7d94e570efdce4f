"""Every workflow action × every role × every status, against an expectation written out here.

The expectation is typed in literally (not derived from inspections.permissions), so a change
to the permission table that nobody meant shows up as a failing case."""

import datetime
import re

import pytest
from django.utils import timezone

from inspections import permissions, workflow
from inspections.models import DeadlineExtension, Hazard, HazardEvent, HazardPhoto
from tests import factories

S = Hazard.Status

# Y = the role may take the action (on a hazard of its own department, for inspectors).
EXPECTED_ROLES = """
action             inspector office supervisor leader admin
assign             .         Y      .          .      Y
reject             .         Y      .          .      Y
merge              .         Y      .          .      Y
transfer           .         Y      .          .      Y
start              Y         Y      .          .      Y
report_done        Y         Y      .          .      Y
verify             Y         Y      .          .      Y
cannot_rectify     Y         Y      .          .      Y
confirm_disposal   .         Y      .          .      Y
return_disposal    .         Y      .          .      Y
finish_disposal    .         Y      .          .      Y
void               .         Y      .          .      Y
request_extension  Y         Y      .          .      Y
decide_extension   .         Y      .          .      Y
set_plan           Y         Y      .          .      Y
list               .         Y      .          .      Y
escalate           .         Y      Y          .      Y
urge               .         .      Y          .      Y
interview          .         .      Y          .      Y
notice             .         .      Y          .      Y
propose_listing    .         .      Y          .      Y
"""

# Y = the action may start from that status (DESIGN.md's lifecycle).
EXPECTED_FROM = """
action             draft registered assigned rectifying awaiting_verification disposal closed rejected merged void
assign             .     Y          .        .          .                     .        .      .        .      .
reject             .     Y          .        .          .                     .        .      .        .      .
merge              .     Y          .        .          .                     .        .      .        .      .
transfer           .     Y          Y        Y          .                     .        .      .        .      .
start              .     .          Y        .          .                     .        .      .        .      .
report_done        .     .          Y        Y          .                     .        .      .        .      .
verify             .     .          .        .          Y                     .        .      .        .      .
cannot_rectify     .     .          Y        Y          .                     .        .      .        .      .
confirm_disposal   .     .          .        .          .                     Y        .      .        .      .
return_disposal    .     .          .        .          .                     Y        .      .        .      .
finish_disposal    .     .          .        .          .                     Y        .      .        .      .
void               .     Y          Y        Y          Y                     Y        .      .        .      .
request_extension  .     .          Y        Y          .                     .        .      .        .      .
decide_extension   .     .          Y        Y          Y                     Y        .      .        .      .
set_plan           .     Y          Y        Y          .                     Y        .      .        .      .
list               .     Y          Y        Y          .                     Y        .      .        .      .
escalate           .     .          Y        Y          .                     Y        .      .        .      .
urge               .     .          Y        Y          Y                     Y        .      .        .      .
interview          .     .          Y        Y          Y                     Y        .      .        .      .
notice             .     .          Y        Y          .                     Y        .      .        .      .
propose_listing    .     .          Y        Y          .                     Y        .      .        .      .
"""

# Status after a successful action; None = unchanged (an event without a transition).
EXPECTED_TO = {
    "assign": S.ASSIGNED,
    "reject": S.REJECTED,
    "merge": S.MERGED,
    "transfer": None,
    "start": S.RECTIFYING,
    "report_done": S.AWAITING_VERIFICATION,
    "verify": S.CLOSED,
    "cannot_rectify": S.DISPOSAL,
    "confirm_disposal": None,
    "return_disposal": S.RECTIFYING,
    "finish_disposal": S.CLOSED,
    "void": S.VOID,
    "request_extension": None,
    "decide_extension": None,
    "set_plan": None,
    "list": None,
    "escalate": None,
    "urge": None,
    "interview": None,
    "notice": None,
    "propose_listing": None,
}


def _grid(text: str) -> dict[str, dict[str, bool]]:
    lines = [line.split() for line in text.strip().splitlines()]
    header = lines[0][1:]
    return {
        row[0]: dict(zip(header, (cell == "Y" for cell in row[1:]), strict=True))
        for row in lines[1:]
    }


ROLE_GRID = _grid(EXPECTED_ROLES)
FROM_GRID = _grid(EXPECTED_FROM)
ACTIONS = list(ROLE_GRID)
STATUSES = list(FROM_GRID["assign"])
# Personas: the table's roles, plus inspectors who may not act on this hazard.
PERSONAS = ["inspector", "office", "supervisor", "leader", "admin", "inspector_other", "street"]
MAJOR_ONLY = {"set_plan", "list", "propose_listing"}
# Supervision follow-up needs a hazard already escalated (督办).
SUPERVISION = {"urge", "interview", "notice", "propose_listing"}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def expected_allowed(action: str, persona: str, status: str) -> bool:
    if persona in ("inspector_other", "street"):
        # Another department's inspector (cannot see it) and the street office's inspector
        # (sees the unit in its area, but is neither 首办 nor the inspecting department).
        return False
    return ROLE_GRID[action][persona] and FROM_GRID[action][status]


def test_the_tables_cover_every_action_and_status():
    assert set(ACTIONS) == set(permissions.ACTION_ROLES) == set(EXPECTED_TO)
    assert set(STATUSES) == set(S.values)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def street_inspector(db, unit_of_a):
    office = factories.street_office(unit_of_a.area)
    return factories.user("street_i", "inspector", office, name="街道安监员")


@pytest.fixture
def actors(
    inspector_a, office, supervisor, leader, admin_user, inspector_b, street_inspector
) -> dict:
    return {
        "inspector": inspector_a,
        "office": office,
        "supervisor": supervisor,
        "leader": leader,
        "admin": admin_user,
        "inspector_other": inspector_b,
        "street": street_inspector,
    }


def build_hazard(action: str, status: str, unit, inspector_a, reporter) -> Hazard:
    """A hazard in `status` that satisfies every precondition of `action` except role and
    status, so a refusal can only come from those two."""
    today = timezone.localdate()
    fields = dict(
        status=status,
        deadline=today + datetime.timedelta(days=5),
        level=Hazard.Level.MAJOR if action in MAJOR_ONLY else Hazard.Level.GENERAL,
        reported_done_by=reporter,
        responsible_person="李四",
    )
    if action in SUPERVISION:
        fields["escalated_at"] = timezone.now()
    if status == S.MERGED:
        fields["merged_into"] = factories.hazard(unit, inspector_a, status=S.REGISTERED)
    if status == S.DISPOSAL:
        fields["disposal"] = Hazard.Disposal.SUSPEND
        if action not in ("confirm_disposal", "return_disposal"):
            fields["disposal_confirmed_at"] = timezone.now()
    hazard = factories.hazard(unit, inspector_a, **fields)
    if status == S.DRAFT:
        hazard.inspection.status = "draft"
        hazard.inspection.save(update_fields=["status"])
    if action == "report_done":
        HazardPhoto.objects.create(
            hazard=hazard,
            kind="after",
            token=f"tok{hazard.pk}",
            image="a.jpg",
            thumbnail="a_t.jpg",
            uploaded_by=inspector_a,
        )
    if action == "decide_extension":
        DeadlineExtension.objects.create(
            hazard=hazard,
            requested_by=inspector_a,
            requested_deadline=hazard.deadline + datetime.timedelta(days=10),
            reason="材料未到",
        )
    return hazard


def call(action: str, hazard: Hazard, actor, *, unit, safety_dept, target) -> None:
    today = timezone.localdate()
    common = dict(hazard_id=hazard.pk, actor=actor, version=hazard.version)
    match action:
        case "assign":
            workflow.assign(
                **common,
                lead_department=unit.lead_department,
                responsible_person="王五",
                deadline=today + datetime.timedelta(days=7),
            )
        case "reject":
            workflow.reject(**common, reason="不属实")
        case "merge":
            workflow.merge(**common, into_id=target.pk, note="重复上报")
        case "transfer":
            workflow.transfer(**common, department=safety_dept, note="属应急局监管")
        case "start":
            workflow.start_rectifying(**common, plan="清理杂物")
        case "report_done":
            workflow.report_done(**common, note="已整改")
        case "verify":
            workflow.verify(**common, ok=True, note="复查合格")
        case "cannot_rectify":
            workflow.cannot_rectify(
                **common, disposal=Hazard.Disposal.SUSPEND, note="需停产改造", deadline=today
            )
        case "confirm_disposal":
            workflow.confirm_disposal(**common, note="同意停产整顿")
        case "return_disposal":
            workflow.return_disposal(**common, note="责令限期整改即可")
        case "finish_disposal":
            workflow.finish_disposal(**common, note="已停产整顿到位")
        case "void":
            workflow.void(**common, reason="重复录入")
        case "request_extension":
            workflow.request_extension(
                **common,
                deadline=hazard.deadline + datetime.timedelta(days=10),
                reason="资金未到位",
            )
        case "decide_extension":
            extension = DeadlineExtension.objects.get(hazard=hazard, status="pending")
            workflow.decide_extension(extension_id=extension.pk, actor=actor, approve=True)
        case "set_plan":
            workflow.set_governance_plan(
                **common,
                responsible="张总",
                measures="更换管线",
                funds=12,
                deadline=today + datetime.timedelta(days=30),
                acceptance="区应急局验收",
            )
        case "list":
            workflow.list_for_supervision(**common, document="铁安委办〔2026〕3号", listed_on=today)
        case "escalate":
            workflow.escalate(hazard_id=hazard.pk, actor=actor, note="请加快整改")
        case "urge":
            workflow.urge(**common, note="请于本周内完成整改")
        case "interview":
            workflow.record_interview(
                **common, interviewee="单位法定代表人张三", held_on=today, outcome="承诺十日内整改"
            )
        case "notice":
            workflow.issue_notice(
                **common,
                due_on=today + datetime.timedelta(days=5),
                requirements="五日内办结并书面回复",
                document="两办督〔2026〕7号",
            )
        case "propose_listing":
            workflow.propose_listing(**common, reason="逾期一个月仍未整改")
        case _:
            raise AssertionError(action)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ACTIONS)
def test_action_role_status(
    action, persona, status, actors, unit_of_a, inspector_a, inspector_a2, safety_dept
):
    hazard = build_hazard(action, status, unit_of_a, inspector_a, reporter=inspector_a2)
    target = factories.hazard(unit_of_a, inspector_a, status=S.REGISTERED)
    actor = actors[persona]
    before = (hazard.status, hazard.version, HazardEvent.objects.count())
    kwargs = dict(unit=unit_of_a, safety_dept=safety_dept, target=target)

    if expected_allowed(action, persona, status):
        assert permissions.refusal(actor, action, hazard) is None
        assert action in permissions.allowed_actions(actor, hazard)
        call(action, hazard, actor, **kwargs)
        hazard.refresh_from_db()
        assert hazard.status == (EXPECTED_TO[action] or status)
        assert hazard.version == before[1] + 1
        events = list(HazardEvent.objects.filter(hazard=hazard).order_by("id"))
        assert len(events) == 1
        assert HazardEvent.objects.count() == before[2] + 1
        event = events[0]
        assert event.actor == actor
        assert (event.from_status, event.to_status) == (status, hazard.status)
    else:
        assert action not in permissions.allowed_actions(actor, hazard)
        with pytest.raises(workflow.NotAllowed) as refused:
            call(action, hazard, actor, **kwargs)
        assert CHINESE.search(str(refused.value)), str(refused.value)
        hazard.refresh_from_db()
        assert (hazard.status, hazard.version, HazardEvent.objects.count()) == before
