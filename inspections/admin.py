import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from anjian.spreadsheets import XLSX_CONTENT_TYPE, ImportFileError, open_workbook

from . import holidays
from .documents.issuing import default_prefix
from .models import CalendarDay, Document, DocumentPrefix


class ArrangementUploadForm(forms.Form):
    file = forms.FileField(
        label="放假安排（.xlsx）",
        help_text="两列即可：日期、放假/上班（可加一列说明）；可先下载模板",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 1024 * 1024:
            raise forms.ValidationError("文件过大：放假安排表应不超过 1 MB")
        try:
            open_workbook(upload).close()
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        upload.seek(0)
        return upload


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """节假日/调休: what `chinesecalendar` does not know yet (next year's 放假安排)."""

    list_display = ("date", "weekday", "is_workday", "note")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    search_fields = ("note",)
    change_list_template = "admin/inspections/calendarday/change_list.html"

    @admin.display(description="星期")
    def weekday(self, obj: CalendarDay) -> str:
        return "一二三四五六日"[obj.date.weekday()]

    def get_urls(self):
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="inspections_calendarday_import",
            ),
            path(
                "import/template.xlsx",
                self.admin_site.admin_view(self.template_view),
                name="inspections_calendarday_import_template",
            ),
        ]
        return own + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            raise PermissionDenied
        form = ArrangementUploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            try:
                upload = form.cleaned_data["file"]
                result = holidays.import_arrangement(
                    upload, user=request.user, filename=upload.name
                )
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                if not result.errors:
                    years = "、".join(f"{y}年" for y in result.years)
                    self.message_user(
                        request,
                        f"已导入{years}放假安排：新增 {result.created} 天，更新 {result.updated} 天",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:inspections_calendarday_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "导入放假安排",
            "form": form,
            "result": result,
            "next_year": timezone.localdate().year + 1,
        }
        return TemplateResponse(request, "admin/inspections/calendarday/import.html", context)

    def template_view(self, request):
        year = timezone.localdate().year + 1
        buffer = io.BytesIO()
        holidays.write_template(buffer, year)
        buffer.seek(0)
        return FileResponse(
            buffer,
            as_attachment=True,
            filename=f"{year}年放假安排.xlsx",
            content_type=XLSX_CONTENT_TYPE,
        )


@admin.register(DocumentPrefix)
class DocumentPrefixAdmin(admin.ModelAdmin):
    """文号 prefixes per department; a department without a row numbers with the default."""

    list_display = ["department", "notice_prefix", "review_prefix", "record_prefix"]
    list_select_related = ["department"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        department_id = initial.get("department")
        if department_id:
            from units.models import Department

            department = Department.objects.filter(pk=department_id).first()
            if department:
                initial.update(
                    notice_prefix=default_prefix(department, Document.Kind.NOTICE),
                    review_prefix=default_prefix(department, Document.Kind.REVIEW),
                    record_prefix=default_prefix(department, Document.Kind.RECORD),
                )
        return initial
