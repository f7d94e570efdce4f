from django import forms

from anjian.forms import StyledFormMixin

from .models import Unit
from .validators import credit_code_warning


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
            "status",
            "is_illegal",
        ]

    def clean_credit_code(self):
        code = self.cleaned_data["credit_code"].strip().upper()
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
