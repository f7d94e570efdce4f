"""The hazard ledger (台账): the office's daily list, its xlsx export and the export jobs."""

from django.conf import settings
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from anjian.lists import FilteredListView

from .. import exports, queues
from ..filters import (
    ACCEPTED,
    LEDGER_DEFAULT_SORT,
    LEDGER_SORTS,
    NOT_ACCEPTED_STATUSES,
    OPEN,
    OVERDUE,
    HazardFilter,
    ledger_base_queryset,
    ledger_order,
    ledger_queryset,
)
from ..models import ExportJob, Hazard, overdue_q

# Statuses shown as counts above the table, in lifecycle order.
COUNTED_STATUSES = [s for s in Hazard.Status if s != Hazard.Status.DRAFT]


class HazardListView(FilteredListView):
    template_name = "inspections/ledger.html"
    filterset_class = HazardFilter
    sort_fields = LEDGER_SORTS
    default_sort = LEDGER_DEFAULT_SORT
    paginate_ids_first = True

    def get_base_queryset(self):
        return ledger_base_queryset(self.request.user)

    def get_queryset(self):
        return ledger_order(self.filtered_queryset(), self.current_sort())

    def counts(self) -> tuple[dict[str, int], int]:
        """Per-status counts and the overdue count over every filter except status: one
        GROUP BY over the scope (it used to be three scans of it — these two and the
        paginator's COUNT, which `known_count` now derives from them)."""
        if not hasattr(self, "_counts"):
            base = self.filterset.queryset_without("status")
            rows = (
                base.order_by()
                .values("status")
                # COUNT(status), not COUNT(id): the id is not in hazard_status_counts_idx, and
                # needing it would make the scan read the table.
                .annotate(
                    n=Count("status"),
                    overdue=Count("status", filter=overdue_q(timezone.localdate())),
                )
                .values_list("status", "n", "overdue")
            )
            by_status, overdue = {}, 0
            for status, n, late in rows:
                by_status[status] = n
                overdue += late
            self._counts = by_status, overdue
        return self._counts

    def known_count(self) -> int | None:
        """The ledger's total as the status filter selects it from `counts()`."""
        by_status, overdue = self.counts()
        value = None
        if self.filterset.is_bound:
            self.filterset.form.is_valid()  # an invalid status is left out, as `qs` does
            value = self.filterset.form.cleaned_data.get("status")
        if not value:
            return sum(by_status.values())
        if value == OVERDUE:
            return overdue
        if value == OPEN:
            return sum(by_status.get(s, 0) for s in Hazard.OPEN_STATUSES)
        if value == ACCEPTED:
            return sum(n for s, n in by_status.items() if s not in NOT_ACCEPTED_STATUSES)
        return by_status.get(value, 0)

    def status_counts(self) -> list[dict]:
        """Per-status counts over every filter except status, each linking to its ledger."""
        by_status, overdue = self.counts()
        query = self.request.GET.copy()
        for key in ("page", "status"):
            query.pop(key, None)
        current = self.request.GET.get("status", "")

        def item(value: str, label: str, count: int, badge: str) -> dict:
            link = query.copy()
            link["status"] = value
            return {
                "value": value,
                "label": label,
                "count": count,
                "badge": badge,
                "query": link.urlencode(),
                "active": current == value,
            }

        items = [
            item(OPEN, "在办", sum(by_status.get(s, 0) for s in Hazard.OPEN_STATUSES), "primary"),
            item(OVERDUE, "逾期", overdue, "danger"),
        ]
        items += [
            item(s.value, s.label, by_status.get(s.value, 0), Hazard.STATUS_BADGES[s])
            for s in COUNTED_STATUSES
        ]
        return items

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        for hazard in context["object_list"]:
            hazard.days_overdue = hazard.overdue_days(today)
            hazard.deadline_extended = bool(
                hazard.original_deadline
                and hazard.deadline
                and hazard.original_deadline != hazard.deadline
            )
        query = self.request.GET.copy()
        query.pop("page", None)
        queue = queues.QUEUES.get(self.request.GET.get("queue", ""))
        without_queue = self.request.GET.copy()
        without_queue.pop("queue", None)
        without_queue.pop("page", None)
        context.update(
            queue=queue,
            queue_clear_querystring=without_queue.urlencode(),
            status_counts=self.status_counts(),
            export_querystring=query.urlencode(),
            advanced_open=any(
                self.request.GET.get(name)
                for name in self.filterset.filters
                if name not in ("q", "status", "level", "department")
            ),
        )
        return context


hazard_list = HazardListView.as_view()


@require_http_methods(["GET", "POST"])
def hazard_export(request):
    """Small ledgers download at once; a large one becomes an ExportJob run by a worker. Only
    a POST (with its CSRF token) queues a job: a GET — a link, a prefetch, an <img> on another
    site — shows what would be exported and a button, and starts no background work."""
    params = (request.POST if request.method == "POST" else request.GET).copy()
    for key in ("page", "csrfmiddlewaretoken"):
        params.pop(key, None)
    filterset, queryset = ledger_queryset(request.user, params)
    total = queryset.count()
    if total <= settings.EXPORT_INLINE_MAX_ROWS:
        handle = exports.write_ledger_tempfile(queryset)
        return FileResponse(
            handle,
            as_attachment=True,
            filename=exports.ledger_filename(timezone.localdate()),
            content_type=exports.XLSX_CONTENT_TYPE,
        )
    if request.method != "POST":
        fields = [(key, value) for key in params for value in params.getlist(key)]
        return render(
            request, "inspections/ledger_export_confirm.html", {"total": total, "fields": fields}
        )
    job = ExportJob.objects.create(
        user=request.user, params={key: params.getlist(key) for key in params}, total=total
    )

    from ..tasks.exports import enqueue

    enqueue(job.pk)
    return redirect("hazard_export_job", pk=job.pk)


def _get_job_for_user(request, pk: int) -> ExportJob:
    # Exports are private to whoever asked: anybody else gets 404, as for out-of-scope records.
    return get_object_or_404(ExportJob, pk=pk, user=request.user)


@require_GET
def export_job(request, pk: int):
    job = _get_job_for_user(request, pk)
    template = (
        "inspections/ledger_export_progress.html"
        if request.headers.get("HX-Request")
        else "inspections/ledger_export.html"
    )
    return render(request, template, {"job": job})


@require_GET
def export_job_download(request, pk: int):
    job = _get_job_for_user(request, pk)
    path = job.file_path()
    if job.status != ExportJob.Status.DONE or path is None or not path.exists():
        raise Http404("导出文件尚未生成")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=exports.ledger_filename(timezone.localtime(job.created_at).date()),
        content_type=exports.XLSX_CONTENT_TYPE,
    )
