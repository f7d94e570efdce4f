import django_filters
from django import forms
from django.db.models.fields import BLANK_CHOICE_DASH

BLANK_DASH = BLANK_CHOICE_DASH[0][1]


class StyledFormMixin:
    """Gives every widget the Bootstrap class once, instead of in each template."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            # RadioSelect covers CheckboxSelectMultiple: each choice is a checkable input.
            if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect)):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
            # Django's blank choice is "---------"; the UI is Chinese throughout.
            if getattr(field, "empty_label", None) == BLANK_DASH:
                field.empty_label = "请选择"
            elif isinstance(field, forms.ChoiceField) and not isinstance(
                field, forms.ModelChoiceField
            ):
                field.choices = [
                    (value, "请选择" if label == BLANK_DASH else label)
                    for value, label in field.choices
                ]


class StyledFilterSet(django_filters.FilterSet):
    """FilterSet whose form carries the same widget classes as every other form."""

    def get_form_class(self):
        return type("StyledFilterForm", (StyledFormMixin, super().get_form_class()), {})


class YesNoWidget(django_filters.widgets.BooleanWidget):
    """BooleanWidget reading 全部/是/否; django-filter's own empty choice reads 未知 in Chinese.

    Still accepts true/false/1/0 in the query string. only_yes drops 否 for "仅…" filters,
    where 否 would mean the same as 全部."""

    def __init__(self, attrs=None, *, only_yes: bool = False):
        super().__init__(attrs)
        choices = [("", "全部"), ("true", "是"), ("false", "否")]
        self.choices = choices[:2] if only_yes else choices
