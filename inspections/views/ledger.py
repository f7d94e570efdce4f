"""The hazard ledger (台账): the office's daily list, its xlsx export and the export jobs."""

import datetime

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, Q
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
from ..models import ExportJob, Hazard, HazardCount, HazardMonthCount, overdue_q
from ..models.counts import counts_maintained

# Statuses shown as counts above the table, in lifecycle order.
COUNTED_STATUSES = [s for s in Hazard.Status if s != Hazard.Status.DRAFT]
# Ledger filters that are columns of HazardCount (filter name → its column there).
COUNTED_FILTERS = {
    "level": "level",
    "type": "hazard_type",
    "department": "lead_department",
    "area": "scope_unit_area",
}
# A filtered ledger is counted up to here; beyond it the page says "超过 10,000 条" (exact
# counts of a large filtered set would be a scan of it on every page view).
COUNT_CAP = 10_000


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

    def keyset_cursor(self) -> tuple[bool, datetime.date, int] | None:
        """(forward, found_on, id) from ?after= / ?before= ("2026-05-01.123", the last or first
        row of the page one comes from), under a sort by found date; None otherwise."""
        if self.current_sort().lstrip("-") != "found_on":
            return None
        for forward, key in ((True, "after"), (False, "before")):
            raw = self.request.GET.get(key, "")
            day, _, pk = raw.partition(".")
            try:
                return forward, datetime.date.fromisoformat(day), int(pk)
            except ValueError:
                continue
        return None

    def paginate_queryset(self, queryset, page_size):
        """?page=N for jumping to a page (OFFSET over the index-only id scan); 上一页/下一页 by
        keyset from the neighbouring page's first/last row, so paging on and on costs the same
        at page 5,000 as at page 2 (a seek in hazard_found_idx, not a skip of 250,000 rows).
        The first page of a counted search comes with its counts (`capped_counts`)."""
        self.page_size = page_size
        cursor = self.keyset_cursor()
        self.counts()
        if cursor is None and self.first_page_ids is not None:
            found = self.get_page_rows_queryset().in_bulk(self.first_page_ids)
            rows = [found[i] for i in self.first_page_ids if i in found]
            paginator = Paginator([], page_size)
            paginator.count = self.known_count()
            page = paginator.page(1)
            page.object_list = rows
            self.page_cursors(rows, has_previous=False, has_next=page.has_next())
            return paginator, page, rows, page.has_other_pages()
        if cursor is None:
            paginator, page, rows, paginated = super().paginate_queryset(queryset, page_size)
            self.page_cursors(page.object_list, has_previous=page.has_previous(),
                              has_next=page.has_next())  # fmt: skip
            return paginator, page, rows, paginated
        forward, day, pk = cursor
        descending = self.current_sort().startswith("-")
        later = "lt" if descending == forward else "gt"
        seek = Q(**{f"found_on__{later}": day}) | Q(found_on=day, **{f"id__{later}": pk})
        # Implied by the OR, but unlike it an index condition: the scan starts at the cursor
        # in hazard_found_idx instead of filtering its way there from the newest row.
        seek &= Q(**{f"found_on__{later}e": day})
        ordered = queryset.filter(seek)
        if not forward:
            ordered = ordered.reverse()
        ids = list(ordered.values_list("pk", flat=True)[: page_size + 1])
        more, ids = len(ids) > page_size, ids[:page_size]
        if not forward:
            ids.reverse()
        found = self.get_page_rows_queryset().in_bulk(ids) if ids else {}
        rows = [found[i] for i in ids if i in found]
        paginator = Paginator([], page_size)
        paginator.count = self.known_count()
        page = paginator.page(1)
        page.object_list = rows
        self.keyset = True
        self.page_cursors(rows, has_previous=more or forward, has_next=more or not forward)
        return paginator, page, rows, True

    def page_cursors(self, rows, *, has_previous: bool, has_next: bool) -> None:
        rows = list(rows)
        self.previous_cursor = (
            f"{rows[0].found_on.isoformat()}.{rows[0].pk}" if rows and has_previous else ""
        )
        self.next_cursor = (
            f"{rows[-1].found_on.isoformat()}.{rows[-1].pk}" if rows and has_next else ""
        )
        if self.current_sort().lstrip("-") != "found_on":
            self.previous_cursor = self.next_cursor = ""

    def counts(self) -> tuple[dict[str, int], int]:
        """Per-status counts and the overdue count over every filter except status.

        Without filters, or with only those `HazardCount` keeps (level, type, 首办部门, 街道),
        the per-status figures are sums of the maintained counts (a few hundred rows, exact)
        and the overdue figure one COUNT through the partial indexes of `overdue_q`. Any other
        filter (a keyword, dates, …) is counted over at most COUNT_CAP + 1 matching rows: a
        larger result shows "超过 10,000 条" and no per-status figures (`self.capped`)."""
        if not hasattr(self, "_counts"):
            self.capped = False
            self.first_page_ids = None
            today = timezone.localdate()
            base = self.filterset.queryset_without("status")
            kept = self.counter_filters()
            if kept is not None:
                user = self.request.user
                counts = HazardCount.objects.visible_to(user).filter(**kept)
                months = HazardMonthCount.objects.visible_to(user).filter(**kept)
                rows, overdue = counts.overdue_of(base, today, months)
                by_status = dict(rows)
            else:
                by_status, overdue = self.capped_counts(base, today)
            self._counts = by_status, overdue
        return self._counts

    def counter_filters(self) -> dict | None:
        """The bound filters as `HazardCount` conditions, or None when one of them is not a
        column of it (then the hazards themselves must be counted)."""
        if not counts_maintained(self.filterset.queryset.db):
            return None
        if not self.filterset.is_bound:
            return {}
        self.filterset.form.is_valid()
        kept = {}
        for name, value in self.filterset.form.cleaned_data.items():
            if name == "status" or value in (None, ""):
                continue
            if name not in COUNTED_FILTERS:
                return None
            kept[COUNTED_FILTERS[name]] = value
        return kept

    def fuses_first_page(self) -> bool:
        """Whether the page shown is the first of the default order over the very rows the
        counts read (no status filter): then the counted rows hold the page's rows too."""
        if not hasattr(self, "page_size") or self.current_sort() != "-found_on":
            return False
        if self.request.GET.get("page", "1") != "1" or self.keyset_cursor() is not None:
            return False
        self.filterset.form.is_valid()
        return not self.filterset.form.cleaned_data.get("status")

    def capped_counts(self, base, today) -> tuple[dict[str, int], int]:
        # One statement: the GROUP BY reads at most COUNT_CAP + 1 rows of the filtered set. On
        # the first page it also returns the newest rows of that set, which are the page's
        # when the set is not capped: a keyword's bitmap scan (电梯: 3,560 of an inspector's
        # 90,920 hazards, 41 ms) runs once instead of once for the counts and once for the page.
        rows = (
            base.order_by()
            .annotate(late=ExpressionWrapper(overdue_q(today), output_field=BooleanField()))
            .values_list("status", "late", "found_on", "id")[: COUNT_CAP + 1]
        )
        inner, params = rows.query.sql_with_params()
        counted = (
            "SELECT t.status, COUNT(*), SUM(CASE WHEN t.late THEN 1 ELSE 0 END), NULL, NULL"
            " FROM m t GROUP BY t.status"
        )
        if self.fuses_first_page():
            counted += (
                " UNION ALL SELECT NULL, NULL, NULL, p.found_on, p.id FROM (SELECT found_on, id"
                f" FROM m ORDER BY found_on DESC, id DESC LIMIT {int(self.page_size)}) p"
            )
        with connections[base.db].cursor() as cursor:
            # Portable SQL: SQLite (the demo) runs it too.
            cursor.execute(f"WITH m AS ({inner}) {counted}", params)
            found = cursor.fetchall()
        by_status = {status: n for status, n, _, _, _ in found if n is not None}
        overdue = sum(late for _, n, late, _, _ in found if n is not None)
        if sum(by_status.values()) > COUNT_CAP:
            self.capped = True
        elif self.fuses_first_page():
            newest = sorted(((day, pk) for _, n, _, day, pk in found if n is None), reverse=True)
            self.first_page_ids = [pk for _, pk in newest]
        return by_status, overdue

    def known_count(self) -> int | None:
        """The ledger's total as the status filter selects it from `counts()`."""
        by_status, overdue = self.counts()
        value = None
        if self.filterset.is_bound:
            self.filterset.form.is_valid()  # an invalid status is left out, as `qs` does
            value = self.filterset.form.cleaned_data.get("status")
        if self.capped:
            return COUNT_CAP + 1  # pages up to the cap; the template says "超过 …"
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
            if self.capped:
                count = None  # counted over the first rows only: no figure rather than a wrong one
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
            count_capped=self.capped,
            keyset=getattr(self, "keyset", False),
            previous_cursor=self.previous_cursor,
            next_cursor=self.next_cursor,
            count_cap=COUNT_CAP,
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
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404("导出文件尚未生成")
    try:
        handle = default_storage.open(job.file, "rb")
    except FileNotFoundError:
        raise Http404("导出文件已不存在") from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=exports.ledger_filename(timezone.localtime(job.created_at).date()),
        content_type=exports.XLSX_CONTENT_TYPE,
    )
