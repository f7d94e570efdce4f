"""The one way list pages are declared: scoped queryset, FilterSet, whitelisted sort, capped page."""

from django.core.paginator import Paginator
from django.views.generic import ListView


class FilteredListView(ListView):
    """Subclasses set `filterset_class`, `sort_fields` ({param: order_by tuple}) and
    implement `get_base_queryset()` returning `Model.objects.visible_to(user)` with its preloads."""

    filterset_class = None
    sort_fields: dict[str, tuple[str, ...]] = {}
    default_sort: str = ""
    paginate_by = 50
    max_page_size = 200
    # For large tables: count and slice on ids alone, then fetch the page's rows with their
    # joins. A deep OFFSET with select_related joins every skipped row first
    # (PERFORMANCE-NOTES: 373 ms vs 14 ms at OFFSET 200,000). Only for views whose rows need
    # nothing from get_queryset() beyond filtering and ordering.
    paginate_ids_first = False

    def get_base_queryset(self):
        raise NotImplementedError

    def get_page_rows_queryset(self):
        """With `paginate_ids_first`, what the page's rows are fetched from: the place for
        per-row aggregates that must not run over the whole filtered set."""
        return self.get_base_queryset()

    def known_count(self) -> int | None:
        """The filtered total when the view has counted it already (None: the paginator runs
        its own COUNT)."""
        return None

    def get_paginate_by(self, queryset):
        try:
            size = int(self.request.GET.get("page_size", self.paginate_by))
        except ValueError:
            size = self.paginate_by
        return max(1, min(size, self.max_page_size))

    def current_sort(self) -> str:
        sort = self.request.GET.get("sort", self.default_sort)
        return sort if sort.lstrip("-") in self.sort_fields else self.default_sort

    def filtered_queryset(self):
        self.filterset = self.filterset_class(
            self.request.GET or None, queryset=self.get_base_queryset(), request=self.request
        )
        return self.filterset.qs

    def get_queryset(self):
        queryset = self.filtered_queryset()
        sort = self.current_sort()
        if sort:
            fields = self.sort_fields[sort.lstrip("-")]
            if sort.startswith("-"):
                fields = tuple(f[1:] if f.startswith("-") else "-" + f for f in fields)
            queryset = queryset.order_by(*fields)
        return queryset

    def paginate_queryset(self, queryset, page_size):
        if not self.paginate_ids_first:
            return super().paginate_queryset(queryset, page_size)
        paginator = Paginator(queryset.values_list("pk", flat=True), page_size)
        known = self.known_count()
        if known is not None:
            paginator.count = known  # a cached_property: the paginator's COUNT never runs
        page = paginator.get_page(self.request.GET.get("page"))
        ids = list(page.object_list)
        rows = self.get_page_rows_queryset().in_bulk(ids) if ids else {}
        page.object_list = [rows[pk] for pk in ids if pk in rows]
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        for key in ("page", "after", "before"):  # where a page is, not what it lists
            query.pop(key, None)
        sortless = query.copy()
        sortless.pop("sort", None)
        context.update(
            filter=self.filterset,
            sort=self.current_sort(),
            querystring=query.urlencode(),
            sortless_querystring=sortless.urlencode(),
        )
        return context
