"""One small form per workflow action on the hazard detail page.

Field names are the workflow functions' keyword arguments, so the view passes
`form.cleaned_data` straight through and a browser test can fill the fields by those names.
"""

import datetime

from django import forms
from django.utils import timezone

from anjian.forms import StyledFormMixin
from units.models import Department

from .forms_inspections import MAX_PHOTOS_PER_HAZARD
from .models import Hazard
from .photos import check_request_pixels
from .workdays import add_working_days, working_days_problem
from .workflow import TRANSFER_KINDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several after-photos in one input; each is validated by photos.save_photo."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            # Each photo is decoded and re-encoded: capped as on the inspection form.
            if len([item for item in data if item]) > MAX_PHOTOS_PER_HAZARD:
                raise forms.ValidationError(f"每次最多上传{MAX_PHOTOS_PER_HAZARD}张照片")
            return [super(MultipleImageField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class ActionForm(StyledFormMixin, forms.Form):
    """Carries the hazard version the user saw (optimistic concurrency)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, hazard: Hazard, options: dict | None = None, **kwargs):
        """`options` holds choices the view fetched once for the whole page."""
        self.hazard = hazard
        self.options = options or {}
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = hazard.version

    def workflow_kwargs(self) -> dict:
        return dict(self.cleaned_data)


def _department_field(label: str, departments) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        label=label,
        queryset=Department.objects.all(),
        empty_label="请选择部门",
        # Added after StyledFormMixin ran, so it would otherwise render unstyled.
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    # The page renders several department selects: one list, fetched once, serves them all.
    if departments is not None:
        field.choices = [("", "请选择部门")] + [(d.pk, d.name) for d in departments]
    return field


class AssignForm(ActionForm):
    responsible_person = forms.CharField(label="整改责任人", max_length=30)
    responsible_phone = forms.CharField(label="责任人电话", max_length=30, required=False)
    deadline = forms.DateField(label="整改期限", required=False, widget=DATE)
    working_days = forms.IntegerField(
        label="或：期限（工作日）",
        required=False,
        min_value=1,
        max_value=365,
        help_text="从今天起算，按法定节假日和调休计算；填工作日数时请清空上面的日期",
    )
    note = forms.CharField(
        label="交办意见", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hazard = self.hazard
        self.fields["lead_department"] = _department_field(
            "首办负责部门", self.options.get("departments")
        )
        self.fields["lead_department"].initial = hazard.lead_department_id
        self.fields["responsible_person"].initial = hazard.responsible_person
        self.fields["responsible_phone"].initial = hazard.responsible_phone
        self.fields["deadline"].initial = hazard.deadline
        self.order_fields(["version", "lead_department"])

    def clean(self):
        data = super().clean()
        if data.get("deadline") and data.get("working_days"):
            # Two answers to one question: which one the office meant is for it to say.
            self.add_error("working_days", "整改期限请填日期或工作日数，二选一")
        elif not data.get("deadline") and not data.get("working_days"):
            self.add_error("deadline", "请填写整改期限（日期或工作日数）")
        # The workflow accepts past dates (history imports); a person assigning today may not.
        elif data.get("deadline") and data["deadline"] < timezone.localdate():
            self.add_error("deadline", "整改期限不能早于今天")
        elif data.get("working_days") and not data.get("deadline"):
            # The same count workflow.assign makes, so the warning names the date it would set.
            today = timezone.localdate()
            problem = working_days_problem(today, add_working_days(today, data["working_days"]))
            if problem:
                self.add_error("working_days", problem)
        return data


class RejectForm(ActionForm):
    reason = forms.CharField(label="不予认定理由", widget=forms.Textarea(attrs={"rows": 2}))


class MergeForm(ActionForm):
    into_id = forms.TypedChoiceField(label="合并到", coerce=int)
    note = forms.CharField(label="说明", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into_id"].choices = [("", "请选择同一单位的隐患")] + [
            (h.pk, f"{h.number} {h.description[:30]}")
            for h in self.options.get("merge_targets", ())
        ]


class TransferForm(ActionForm):
    note = forms.CharField(label="转办理由", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Regulators and street offices only: 安委办 and 督查室 do not rectify (首办负责制).
        departments = self.options.get("departments")
        if departments is not None:
            departments = [d for d in departments if d.kind in TRANSFER_KINDS]
        field = _department_field("转办至（承办部门）", departments)
        field.queryset = Department.objects.filter(kind__in=TRANSFER_KINDS)
        field.help_text = "首办部门不变，仍对该隐患负责；整改期限不重新计算"
        self.fields["department"] = field
        self.order_fields(["version", "department"])


class StartForm(ActionForm):
    plan = forms.CharField(
        label="整改方案", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    note = forms.CharField(label="说明", required=False)


class ReportDoneForm(ActionForm):
    note = forms.CharField(label="整改情况", widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultipleImageField(
        label="整改后照片",
        required=False,
        help_text="可多选；手机上可直接拍照。已上传过整改后照片的可不再上传。",
    )

    def clean_photos(self) -> list:
        photos = self.cleaned_data.get("photos") or []
        if photos:
            check_request_pixels(self.files)
        return photos

    def clean(self):
        data = super().clean()
        # The workflow refuses this too; said here, the message sits next to the photo input.
        if (
            "photos" in data
            and not data["photos"]
            and not self.hazard.photos.filter(kind="after").exists()
        ):
            self.add_error("photos", "请上传整改后照片")
        return data


class VerifyForm(ActionForm):
    ok = forms.TypedChoiceField(
        label="复查结论",
        choices=[("1", "合格，销号"), ("0", "不合格，重新整改")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="复查意见", widget=forms.Textarea(attrs={"rows": 2}))
    new_deadline = forms.DateField(label="新整改期限（不合格时必填）", required=False, widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_deadline"].initial = timezone.localdate() + datetime.timedelta(days=7)

    def clean(self):
        data = super().clean()
        if data.get("ok") is False and not data.get("new_deadline"):
            self.add_error("new_deadline", "复查不合格须给出新的整改期限")
        return data


class CannotRectifyForm(ActionForm):
    # No measure preselected: the first in the list is the harshest (责令停产整顿).
    disposal = forms.ChoiceField(
        label="处置措施",
        choices=[("", "请选择处置措施"), *Hazard.Disposal.choices],
        error_messages={"required": "请选择处置措施"},
    )
    note = forms.CharField(
        label="无法整改的原因和处置安排", widget=forms.Textarea(attrs={"rows": 2})
    )
    review_on = forms.DateField(label="复核日期（风险管控时必填）", required=False, widget=DATE)
    deadline = forms.DateField(
        label="整顿/取缔期限（停产整顿、关闭取缔时必填）",
        required=False,
        widget=DATE,
        help_text="此后按该期限计算是否逾期；移交执法、移送司法不计整改期限",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.hazard.unit.is_illegal:
            self.fields["disposal"].choices = [
                (Hazard.Disposal.CLOSE.value, Hazard.Disposal.CLOSE.label)
            ]

    def clean(self):
        data = super().clean()
        disposal, deadline = data.get("disposal"), data.get("deadline")
        if disposal in Hazard.DEADLINE_DISPOSALS:
            if deadline is None:
                label = Hazard.Disposal(disposal).label
                self.add_error("deadline", f"{label}须填写整顿/取缔期限")
            elif deadline < timezone.localdate():
                self.add_error("deadline", "期限不能早于今天")
        review_on = data.get("review_on")
        if disposal == Hazard.Disposal.RISK_CONTROL and (
            review_on is None or review_on <= timezone.localdate()
        ):
            self.add_error("review_on", "风险管控须填写晚于今天的复核日期")
        return data

    def workflow_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        # Only the field that belongs to the chosen disposal reaches the workflow.
        if data.get("disposal") not in Hazard.DEADLINE_DISPOSALS:
            data["deadline"] = None
        if data.get("disposal") != Hazard.Disposal.RISK_CONTROL:
            data["review_on"] = None
        return data


class FinishDisposalForm(ActionForm):
    note = forms.CharField(label="处置结果", widget=forms.Textarea(attrs={"rows": 2}))


class ConfirmDisposalForm(ActionForm):
    note = forms.CharField(
        label="确认意见", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnDisposalForm(ActionForm):
    note = forms.CharField(
        label="退回理由",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="隐患回到整改中，恢复转处置前的整改期限",
    )


class VoidForm(ActionForm):
    reason = forms.CharField(label="作废理由", widget=forms.Textarea(attrs={"rows": 2}))


class RequestExtensionForm(ActionForm):
    deadline = forms.DateField(label="申请延至", widget=DATE)
    reason = forms.CharField(label="延期理由", widget=forms.Textarea(attrs={"rows": 2}))

    def clean_deadline(self) -> datetime.date:
        deadline = self.cleaned_data["deadline"]
        current = self.hazard.deadline
        if current and deadline <= current:
            raise forms.ValidationError(f"申请的期限须晚于当前期限 {current:%Y-%m-%d}")
        return deadline


class DecideExtensionForm(ActionForm):
    approve = forms.TypedChoiceField(
        label="审批结论",
        choices=[("1", "批准延期"), ("0", "驳回")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="审批意见", required=False)

    def workflow_kwargs(self) -> dict:
        # decide_extension acts on the extension; the view checks the version itself.
        return _without_version(self.cleaned_data)


class GovernancePlanForm(ActionForm):
    responsible = forms.CharField(label="治理责任人", max_length=30)
    measures = forms.CharField(label="治理措施", widget=forms.Textarea(attrs={"rows": 2}))
    funds = forms.DecimalField(label="治理经费（万元）", min_value=0, decimal_places=2)
    deadline = forms.DateField(label="治理时限", widget=DATE)
    acceptance = forms.CharField(label="验收标准/验收人", max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hazard = self.hazard
        self.fields["responsible"].initial = hazard.plan_responsible
        self.fields["measures"].initial = hazard.plan_measures
        self.fields["funds"].initial = hazard.plan_funds
        self.fields["deadline"].initial = hazard.plan_deadline
        self.fields["acceptance"].initial = hazard.plan_acceptance


class ListForm(ActionForm):
    document = forms.CharField(label="挂牌督办文号", max_length=60)
    listed_on = forms.DateField(label="挂牌日期", widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["listed_on"].initial = timezone.localdate()


class EscalateForm(ActionForm):
    note = forms.CharField(label="督办意见", widget=forms.Textarea(attrs={"rows": 2}))

    def workflow_kwargs(self) -> dict:
        # escalate is idempotent and takes no version; the view checks the version itself.
        return _without_version(self.cleaned_data)


class UrgeForm(ActionForm):
    note = forms.CharField(label="催办意见", widget=forms.Textarea(attrs={"rows": 2}))


class InterviewForm(ActionForm):
    interviewee = forms.CharField(
        label="约谈对象", max_length=100, help_text="如：单位第一责任人、首办部门负责人"
    )
    held_on = forms.DateField(label="约谈日期", widget=DATE)
    outcome = forms.CharField(label="约谈结果", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()


class NoticeForm(ActionForm):
    document = forms.CharField(label="督办通知文号", max_length=60, required=False)
    due_on = forms.DateField(
        label="办结时限", widget=DATE, help_text="首办部门须在此日期前办结并回复"
    )
    requirements = forms.CharField(label="督办要求", widget=forms.Textarea(attrs={"rows": 2}))


class ProposeListingForm(ActionForm):
    reason = forms.CharField(label="建议挂牌理由", widget=forms.Textarea(attrs={"rows": 2}))


def _without_version(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "version"}


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "assign": AssignForm,
    "reject": RejectForm,
    "merge": MergeForm,
    "transfer": TransferForm,
    "start": StartForm,
    "report_done": ReportDoneForm,
    "verify": VerifyForm,
    "cannot_rectify": CannotRectifyForm,
    "confirm_disposal": ConfirmDisposalForm,
    "return_disposal": ReturnDisposalForm,
    "finish_disposal": FinishDisposalForm,
    "void": VoidForm,
    "request_extension": RequestExtensionForm,
    "decide_extension": DecideExtensionForm,
    "set_plan": GovernancePlanForm,
    "list": ListForm,
    "escalate": EscalateForm,
    "urge": UrgeForm,
    "interview": InterviewForm,
    "notice": NoticeForm,
    "propose_listing": ProposeListingForm,
}

# Forms that need choices the view fetches once per page.
NEEDS_DEPARTMENTS = frozenset({"assign", "transfer"})
NEEDS_MERGE_TARGETS = frozenset({"merge"})
