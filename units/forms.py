from django import forms

from anjian.forms import StyledFormMixin

from .models import Unit
from .validators import credit_code_error, credit_code_warning


class UnitForm(StyledFormMixin, forms.ModelForm):
    confirm_org_code = forms.BooleanField(
        label="已核实组织机构代码校验位提示，仍按此代码保存", required=False
    )

    class Meta:
        model = Unit
        fields = [
            "name",
            "credit_code",
            "category",
            "area",
            "address",
            "lead_department",
            "legal_rep",
            "legal_rep_phone",
            "safety_contact",
            "safety_contact_phone",
            # No "status": 停产整顿/关闭取缔 and 恢复生产 are enforcement actions, each recorded.
            "is_illegal",
        ]

    def clean_credit_code(self):
        code = self.cleaned_data["credit_code"].strip().upper()
        # The hard errors (length, charset, 18th check character) before anything else: the
        # model validator would only run after clean(), which shows the overridable
        # 17th-character warning first and, for a short code, cannot compute it at all.
        error = credit_code_error(code) if code else None
        if error:
            # Unit.clean must see that a code was given, or it adds "必须填写" to the error.
            self.instance.credit_code = code
            raise forms.ValidationError(error)
        # The partial unique constraint reports as a non-field error; say it next to the field.
        if code and Unit.objects.exclude(pk=self.instance.pk).filter(credit_code=code).exists():
            raise forms.ValidationError("该统一社会信用代码已被其他单位使用")
        return code

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("credit_code")
        if code and "credit_code" not in self.errors and not cleaned.get("confirm_org_code"):
            warning = credit_code_warning(code)
            if warning:
                self.add_error("credit_code", warning)
        return cleaned
