"""The portal's forms: activation, a unit's rectification report, its self-report (自查自报)."""

import datetime

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils import timezone

from anjian.forms import StyledFormMixin
from inspections import attachments, workflow
from inspections.forms_hazards import (
    MultipleFileInput,
    MultipleImageField,
    ReportDoneForm,
)
from inspections.models import Hazard
from inspections.photos import check_request_pixels
from units.models import User
from units.validators import validate_phone

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ActivationForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label="激活码",
        max_length=40,
        help_text="安委办或检查员交给您的 12 位激活码，如 ABCD-EFGH-2345（不区分大小写）",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )
    username = forms.CharField(
        label="用户名",
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="以后登录用，字母、数字或 @.+-_",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    name = forms.CharField(label="安全负责人姓名", max_length=30)
    phone = forms.CharField(label="联系电话", max_length=30, validators=[validate_phone])
    password1 = forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="再次输入密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("该用户名已被使用")
        return username

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", "两次输入的密码不一致")
        return data


class UnitReportForm(ReportDoneForm):
    """报告整改完成 from the unit: the staff form's fields, plus PDFs (整改报告, 检测报告)."""

    pdfs = MultipleImageField(
        label="整改材料（PDF）",
        required=False,
        widget=MultipleFileInput(attrs={"accept": "application/pdf,.pdf"}),
        help_text=f"可选，可多选，最多{attachments.MAX_PER_REPORT}个",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = "整改情况说明"
        self.fields["photos"].help_text = "必须上传整改后照片；手机上可直接拍照。"

    def clean_pdfs(self) -> list:
        uploads = self.cleaned_data.get("pdfs") or []
        if len(uploads) > attachments.MAX_PER_REPORT:
            raise ValidationError(f"每次最多上传{attachments.MAX_PER_REPORT}个 PDF")
        return [(upload, attachments.validate_pdf(upload)) for upload in uploads]


class SelfReportForm(StyledFormMixin, forms.ModelForm):
    """企业自查自报: the hazard fields an inspector fills, under the same completeness rules
    (workflow.self_report_errors → completeness_errors), every error next to its field."""

    photos = MultipleImageField(
        label="隐患照片", required=False, help_text="可多选；手机上可直接拍照"
    )

    class Meta:
        model = Hazard
        fields = [
            "found_on",
            "location",
            "description",
            "hazard_type",
            "level",
            "major_basis",
            "deadline",
            "measures",
        ]
        widgets = {
            "found_on": DATE,
            "deadline": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
            "measures": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"deadline": "计划整改完成日期", "measures": "拟采取的整改措施"}
        help_texts = {
            "description": "写明部位和存在的问题，例如“二楼安全出口被货物堵塞”",
            "major_basis": "选择重大隐患时必填：判定标准及条款或判定理由",
        }

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        for name in ("description", "hazard_type", "level"):
            self.fields[name].required = False  # said by the completeness rules, in their words
        self.fields["found_on"].initial = timezone.localdate()
        self.fields["level"].choices = [("", "请选择")] + list(Hazard.Level.choices)
        self.fields["hazard_type"].choices = [("", "请选择")] + list(Hazard.Type.choices)
        self.prepared = []

    def clean_photos(self) -> list:
        photos = self.cleaned_data.get("photos") or []
        if photos:
            check_request_pixels(self.files)
        return photos

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        errors = workflow.self_report_errors(
            unit=self.unit,
            found_on=data.get("found_on"),
            **{name: data.get(name) or "" for name in ("description", "hazard_type", "level")},
            major_basis=data.get("major_basis") or "",
            deadline=data.get("deadline"),
        )
        found_on = data.get("found_on")
        if found_on and found_on > timezone.localdate():
            errors.setdefault("found_on", []).append("发现日期不能晚于今天")
        if found_on and found_on < timezone.localdate() - datetime.timedelta(days=366):
            errors.setdefault("found_on", []).append("只能报送一年内发现的隐患")
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "found_on": data["found_on"],
            "location": data["location"],
            "description": data["description"].strip(),
            "hazard_type": data["hazard_type"],
            "level": data["level"],
            "major_basis": data["major_basis"].strip(),
            "deadline": data["deadline"],
            "measures": data["measures"].strip(),
            "photos": data["photos"],
        }
