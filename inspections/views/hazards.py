"""The hazard detail page: facts, photos, the event timeline and one form per allowed action.

Every action form posts to `hazard_act`, which calls the matching workflow function; the
workflow decides, the view only translates its refusals into messages next to the form.
"""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from units.models import Department

from .. import permissions, workflow
from ..documents.views import section_context as documents_section
from ..forms_hazards import ACTION_FORMS, NEEDS_DEPARTMENTS, NEEDS_MERGE_TARGETS, ActionForm
from ..models import DeadlineExtension, Document, Hazard, HazardEvent

# Forms shown expanded; the others (triage alternatives, escalation) open on a click.
PRIMARY_ACTIONS = frozenset(
    {
        "assign",
        "start",
        "report_done",
        "verify",
        "confirm_disposal",
        "finish_disposal",
        "decide_extension",
        "escalate",
    }
)

# How an event's `data` keys read on the timeline; keys not listed are internal ids.
DATA_LABELS = {
    "deadline": "整改期限",
    "working_days": "工作日数",
    "lead_department": "首办部门",
    "responsible_person": "整改责任人",
    "into": "合并至",
    "from_department": "转出部门",
    "to_department": "转办至",
    "old_deadline": "原期限",
    "new_deadline": "新期限",
    "reopen_count": "复查不合格次数",
    "disposal": "处置措施",
    "review_on": "复核日期",
    "requested_deadline": "申请延至",
    "original_deadline": "原定期限",
    "plan_responsible": "治理责任人",
    "funds": "治理经费（万元）",
    "plan_deadline": "治理时限",
    "emergency_plan": "应急预案",
    "document": "挂牌督办文号",
    "listed_on": "挂牌日期",
    "delisted": "摘牌",
    "kind": "执法措施",
    "external_source": "外部系统",
    "external_id": "外部编号",
    "urge_count": "催办次数",
    "interviewee": "约谈对象",
    "held_on": "约谈日期",
    "notice_document": "督办通知文号",
    "due_on": "办结时限",
}
DATA_VALUES = {
    "disposal": dict(Hazard.Disposal.choices),
    "kind": {
        "suspend": "责令停产整顿",
        "close": "关闭取缔",
        "fine": "罚款",
        "judicial": "移送司法",
    },
}


def event_details(event: HazardEvent) -> list[tuple[str, str]]:
    """The event's data as (label, value) pairs a person can read."""
    details = []
    for key, label in DATA_LABELS.items():
        value = event.data.get(key)
        if value in (None, ""):
            continue
        value = DATA_VALUES.get(key, {}).get(value, value)
        details.append((label, str(value)))
    return details


def _url_or_blank(name: str, pk: int) -> str:
    # Photo and inspection pages belong to another module; this page must still render
    # (without links) where those routes are not installed.
    try:
        return reverse(name, kwargs={"pk": pk})
    except NoReverseMatch:
        return ""


def get_hazard_for_user(request: HttpRequest, pk: int) -> Hazard:
    return get_object_or_404(
        Hazard.objects.visible_to(request.user).select_related(
            "unit",
            "unit__area",
            "unit__category",
            "lead_department",
            "handling_department",
            "inspection",
            "inspection__department",
            "inspection__campaign",
            "merged_into",
            "reported_done_by",
        ),
        pk=pk,
    )


def _form_options(user, hazard: Hazard, actions) -> dict:
    options: dict = {}
    if NEEDS_DEPARTMENTS & set(actions):
        options["departments"] = list(Department.objects.order_by("sort_order", "id"))
    if NEEDS_MERGE_TARGETS & set(actions):
        options["merge_targets"] = list(
            Hazard.objects.visible_to(user)
            .filter(unit_id=hazard.unit_id, status__in=Hazard.OPEN_STATUSES)
            .exclude(pk=hazard.pk)
            .order_by("-found_on", "-id")[:50]
        )
    return options


def _make_form(action: str, hazard: Hazard, options: dict, data=None, files=None) -> ActionForm:
    # Plain field names (the workflow's kwargs); ids carry the action so forms on one page differ.
    return ACTION_FORMS[action](
        data, files, hazard=hazard, options=options, auto_id=f"id_{action}_%s"
    )


def _render_detail(
    request: HttpRequest,
    hazard: Hazard,
    *,
    bound: ActionForm | None = None,
    bound_action: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    extensions = list(hazard.extensions.select_related("requested_by", "decided_by"))
    # Prime the cache permissions.pending_extension reads, saving a query per page.
    hazard._pending_extension = next(
        (e for e in extensions if e.status == DeadlineExtension.Status.PENDING), None
    )
    actions = permissions.allowed_actions(user, hazard)
    options = _form_options(user, hazard, actions)
    forms = []
    for action in actions:
        form = bound if action == bound_action else _make_form(action, hazard, options)
        forms.append(
            {
                "action": action,
                "label": permissions.ACTION_LABELS[action],
                "form": form,
                "open": action in PRIMARY_ACTIONS or form.is_bound,
                "multipart": action == "report_done",
            }
        )
    photos = list(hazard.photos.all())
    photos_by_event: dict[int, list] = defaultdict(list)
    for photo in photos:
        photo.url = _url_or_blank("hazard_photo", photo.pk)
        photo.thumb_url = _url_or_blank("hazard_photo_thumb", photo.pk)
        if photo.event_id:
            photos_by_event[photo.event_id].append(photo)
    events = list(hazard.events.select_related("actor"))
    for event in events:
        event.details = event_details(event)
        event.attached_photos = photos_by_event.get(event.pk, [])
    today = timezone.localdate()
    context = {
        "hazard": hazard,
        "today": today,
        "overdue_days": hazard.overdue_days(today),
        "clock_note": clock_note(hazard),
        "deadline_moved": bool(
            hazard.original_deadline
            and hazard.deadline
            and hazard.original_deadline != hazard.deadline
        ),
        "attachments": list(hazard.attachments.all()),
        "before_photos": [p for p in photos if p.kind == p.Kind.BEFORE],
        "after_photos": [p for p in photos if p.kind == p.Kind.AFTER],
        "events": events,
        "extensions": extensions,
        "pending_extension": hazard._pending_extension,
        "action_forms": forms,
        "action_error": _action_error(bound, bound_action, actions),
        "inspection_url": _url_or_blank("inspection_detail", hazard.inspection_id),
        **documents_section(request, Document.objects.visible_to(user).filter(hazards=hazard)),
    }
    return render(request, "inspections/hazard_detail.html", context, status=status)


def clock_note(hazard: Hazard) -> str:
    """Which time limit counts while the hazard is under a disposal (Hazard.clock_due_on)."""
    if hazard.status != Hazard.Status.DISPOSAL:
        return ""
    if hazard.handed_over:
        return f"已{hazard.get_disposal_display()}，不计整改期限"
    if hazard.disposal == Hazard.Disposal.RISK_CONTROL and hazard.risk_review_on:
        return f"风险管控期间按复核日期 {hazard.risk_review_on:%Y-%m-%d} 计算"
    if hazard.disposal in Hazard.DEADLINE_DISPOSALS and hazard.deadline:
        return f"{hazard.get_disposal_display()}期限"
    return ""


def _action_error(bound: ActionForm | None, action: str, actions) -> dict | None:
    """The banner at the top of a refused action's page: on a phone its form is screens below.

    `anchor` is set when the form is still on the page (static/js/hazard_detail.js scrolls to
    its first error); a refusal for an action no longer on offer lives only in the banner."""
    if bound is None or not bound.errors:
        return None
    lines = [str(e) for e in bound.non_field_errors()]
    for name, errors in bound.errors.items():
        if name != "__all__":
            label = bound.fields[name].label if name in bound.fields else None
            lines += [f"{label}：{e}" if label else str(e) for e in errors]
    return {
        "label": permissions.ACTION_LABELS[action],
        "messages": lines,
        "anchor": f"act-{action}" if action in actions else "",
    }


def hazard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, get_hazard_for_user(request, pk))


# action → the workflow function it calls; each takes hazard_id and actor plus the form's fields.
WORKFLOW_FUNCTIONS = {
    "assign": workflow.assign,
    "reject": workflow.reject,
    "merge": workflow.merge,
    "transfer": workflow.transfer,
    "start": workflow.start_rectifying,
    "report_done": workflow.report_done,
    "verify": workflow.verify,
    "cannot_rectify": workflow.cannot_rectify,
    "confirm_disposal": workflow.confirm_disposal,
    "return_disposal": workflow.return_disposal,
    "finish_disposal": workflow.finish_disposal,
    "void": workflow.void,
    "request_extension": workflow.request_extension,
    "set_plan": workflow.set_governance_plan,
    "list": workflow.list_for_supervision,
    "escalate": workflow.escalate,
    "urge": workflow.urge,
    "interview": workflow.record_interview,
    "notice": workflow.issue_notice,
    "propose_listing": workflow.propose_listing,
}


def _perform(action: str, hazard: Hazard, user, form: ActionForm) -> None:
    kwargs = form.workflow_kwargs()
    if "version" not in kwargs and form.cleaned_data["version"] != hazard.version:
        # Functions without a version argument still refuse a decision made on a stale page.
        raise workflow.StaleHazard()
    if action == "decide_extension":
        extension = permissions.pending_extension(hazard)
        if extension is None:
            raise workflow.StaleHazard("该延期申请已审批，请刷新页面")
        workflow.decide_extension(extension_id=extension.pk, actor=user, **kwargs)
        return
    WORKFLOW_FUNCTIONS[action](hazard_id=hazard.pk, actor=user, **kwargs)


@require_POST
def hazard_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTION_FORMS:
        raise Http404
    hazard = get_hazard_for_user(request, pk)
    options = _form_options(request.user, hazard, [action])
    form = _make_form(action, hazard, options, request.POST, request.FILES)
    if form.is_valid():
        try:
            _perform(action, hazard, request.user, form)
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            # A rejected after-photo (photos.save_photo); the transaction rolled back.
            form.add_error("photos" if "photos" in form.fields else None, error)
        else:
            messages.success(request, f"已{permissions.ACTION_LABELS[action]}：{hazard}")
            return redirect("hazard_detail", pk=hazard.pk)
    return _render_detail(request, hazard, bound=form, bound_action=action, status=400)
