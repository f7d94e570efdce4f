"""The home page `/` and its cards: what each role comes to the site for.

First comes 我的待办 (`my_work`): the work queues of the user's role, each with its count
linking to the list behind it and its first rows, overdue or oldest first."""

import datetime
from urllib.parse import urlencode

from django.db import connections
from django.db.models import CharField, Count, OuterRef, Q, Subquery, Value
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from units.models import Unit, User
from units.views_xlsx import PENDING as UNIT_IMPORT

from .. import queues
from ..filters import ledger_base_queryset
from ..forms_inspections import InspectionFilter, may_log_inspections
from ..ledger_import.views import PENDING as HAZARD_IMPORT
from ..models import (
    Bulletin,
    DeadlineExtension,
    Hazard,
    HazardCount,
    HazardEvent,
    HazardMonthCount,
    Inspection,
)
from ..models.counts import CountOf, SumOf, counts_maintained, overdue_terms
from ..workdays import years_to_enter
from .duty import PENDING as DUTY_IMPORT
from .duty import today_card

# Rows shown under each queue; its link lists them all.
QUEUE_ROWS = 5


def home(request):
    figures = home_figures(request)
    context = {
        "unit_count": figures["units"],
        "home_cards": [],
        "my_work": my_work(request, figures),
    }
    ledger_card = ledger_home_card(figures)
    if ledger_card:
        context["home_cards"].append(ledger_card)
    bulletin_card = bulletin_home_card(request.user)
    if bulletin_card:
        context["home_cards"].append(bulletin_card)
    # Leaders come for the dashboard first; the other roles find it next to the ledger card.
    dashboard_card = {
        "template": "inspections/dashboard/_home_card.html",
        "district": request.user.sees_everything,
    }
    if request.user.role == request.user.Role.LEADER:
        context["home_cards"].insert(0, dashboard_card)
    else:
        context["home_cards"].append(dashboard_card)
    inspection_card = inspection_home_card(request.user, figures)
    if inspection_card and request.user.role == User.Role.INSPECTOR:
        # Above the queues: logging an inspection is what an inspector in the field comes for.
        context["first_card"] = inspection_card
    elif inspection_card:
        context["home_cards"].insert(0, inspection_card)
    duty_card = today_card(request.user)
    if duty_card:
        # On a holiday the roster is what the office and the leader need first.
        context["home_cards"].insert(0, duty_card)
    calendar_card = calendar_home_card(request.user)
    if calendar_card:
        # First of all: until it is entered, working-day deadlines into that year are refused.
        context["home_cards"].insert(0, calendar_card)
    return render(request, "home.html", context)


# --- every figure of the page in one statement ------------------------------------------------


class _InAggregate:
    # `aggregate()` accepts aggregates only; an uncorrelated scalar subquery is one value
    # too (PostgreSQL runs it once, an InitPlan), so it may stand next to them.
    contains_aggregate = True


class CountIn(_InAggregate, CountOf):
    pass


class SumIn(_InAggregate, SumOf):
    pass


def home_figures(request) -> dict[str, int]:
    """The unit count, the ledger card, every hazard queue's count and the draft counts, as
    one SELECT of scalar subqueries: each answered the cheapest way there is, none reading the
    hazard table at large (benchmarks/PLANS.md, "Round 3: home"):
    - what depends on status and the scope only (在办, 待复查, 重大, 待交办, 待开始, 待报告)
      sums the maintained `HazardCount` rows of the scope;
    - overdue is mostly a sum of `HazardMonthCount` rows, the rest index-only counts of the
      overdue indexes (`overdue_terms`);
    - the other queues are index-only scans of `hazard_queue_idx` / `hazard_supervised_idx`,
      partial indexes whose predicate the queue's condition implies, or look up the few
      hazards of the pending/decided extensions by id.
    Without the counter table (SQLite, a unit account) the same subqueries count hazards."""
    user = request.user
    today = timezone.localdate()
    base = ledger_base_queryset(user).order_by()
    counted = counts_maintained(base.db) and user.role != User.Role.UNIT

    def of_status(condition: Q):
        if counted:
            return SumIn(HazardCount.objects.visible_to(user).filter(condition).values("n"))
        return CountIn(base.filter(condition).values("status"))

    open_ = Q(status__in=Hazard.OPEN_STATUSES)
    figures = {
        "units": Count("pk"),
        "card_open": of_status(open_),
        "card_awaiting": of_status(Q(status=Hazard.Status.AWAITING_VERIFICATION)),
        "card_major": of_status(open_ & Q(level=Hazard.Level.MAJOR)),
        **{
            f"card_overdue_{i}": term
            for i, term in enumerate(
                overdue_terms(
                    base,
                    HazardMonthCount.objects.visible_to(user) if counted else None,
                    today,
                    count=CountIn,
                    total=SumIn,
                )
            )
        },
    }
    for key in queues.queues_for(user):
        condition = queues.condition(key, user, today)
        figures[f"queue_{key}"] = (
            of_status(condition)
            if queues.QUEUES[key].counted
            else CountIn(base.filter(condition).values("status"))
        )
    if may_log_inspections(user):
        drafts = Inspection.objects.filter(created_by=user, status=Inspection.Status.DRAFT)
        figures["drafts"] = CountIn(drafts.order_by().values("pk"))
    if _shows_draft_inspections(user):
        figures["drafts_listed"] = CountIn(
            _draft_inspections_filter(request).qs.order_by().values("pk")
        )
    units = Unit.objects.visible_to(user)
    if units.query.is_empty():
        # An empty scope would answer without asking; a WHERE nothing passes still gives
        # the one row that carries the other figures.
        units = Unit.objects.filter(pk__isnull=True)
    found = units.order_by().aggregate(**figures)
    return {name: value or 0 for name, value in found.items()}


def calendar_home_card(user) -> dict | None:
    """For the office: the years whose 放假安排 nobody has entered yet."""
    if not user.is_office:
        return None
    years = years_to_enter(timezone.localdate())
    if not years:
        return None
    return {"template": "inspections/calendar_home_card.html", "years": years}


def ledger_home_card(figures: dict[str, int]) -> dict | None:
    """The home page card of open / overdue / awaiting verification / major open hazards."""
    # Every role gets its own scope's figures (home_figures): an inspector sees what their
    # department must chase today, the office and leaders the whole district.
    counts = {
        "open": figures["card_open"],
        "overdue": sum(v for k, v in figures.items() if k.startswith("card_overdue_")),
        "awaiting": figures["card_awaiting"],
        "major": figures["card_major"],
    }
    url = reverse("hazard_list")
    items = [
        ("在办隐患", counts["open"], f"{url}?status=open", "primary"),
        ("逾期", counts["overdue"], f"{url}?status=overdue", "danger"),
        ("待复查", counts["awaiting"], f"{url}?status=awaiting_verification", "warning"),
        ("重大隐患在办", counts["major"], f"{url}?status=open&level=major", "danger"),
    ]
    return {
        "template": "inspections/ledger_home_card.html",
        "items": [{"label": a, "count": b, "url": c, "badge": d} for a, b, c, d in items],
        "url": url,
    }


def latest_circulated(user, limit: int = 5) -> list[Bulletin]:
    """For the home page card: served by the partial index on circulated_at."""
    return list(
        Bulletin.objects.visible_to(user)
        .filter(status=Bulletin.Status.CIRCULATED)
        .order_by("-circulated_at")
        .only("id", "number", "title", "circulated_at")[:limit]
    )


def bulletin_home_card(user) -> dict | None:
    """Leaders (and the other district-wide roles) see the latest circulated bulletins."""
    if not user.sees_everything:
        return None
    return {"template": "bulletins/_home_card.html", "bulletins": latest_circulated(user)}


def inspection_home_card(user, figures: dict[str, int]) -> dict | None:
    """The prominent 登记检查 card on the home page, for those who log inspections."""
    if not may_log_inspections(user):
        return None
    return {
        "template": "inspections/inspection_home_card.html",
        "may_log": True,
        "drafts": figures["drafts"],
    }


# --- 我的待办 ------------------------------------------------------------------------------------


def queue_url(key: str) -> str:
    order = "deadline" if queues.QUEUES[key].order[0] == "deadline" else "found_on"
    return f"{reverse('hazard_list')}?{urlencode({'queue': key, 'sort': order})}"


def _deadline_note(hazard: Hazard, today: datetime.date) -> tuple[str, str]:
    """(text, badge colour): 逾期N天 / 今天到期 / 剩N天 on a running clock; otherwise how long
    it has waited in its current state (since its last event)."""
    if not hazard.deadline or hazard.status not in Hazard.CLOCK_STATUSES:
        since = hazard.last_action_at
        if since is None:
            return "", ""
        waited = (today - timezone.localdate(since)).days
        return (f"已等{waited}天", "secondary") if waited > 0 else ("今天", "light")
    days = (hazard.deadline - today).days
    if days < 0:
        return f"逾期{-days}天", "danger"
    if days == 0:
        return "今天到期", "warning"
    return f"剩{days}天", "warning" if days <= 3 else "secondary"


def _hazard_queues(user, keys: tuple[str, ...], today: datetime.date, figures) -> list[dict]:
    """The counts come from home_figures; the first rows of every non-empty queue are one
    UNION ALL of each queue's own ORDER BY … LIMIT (a constant number of queries)."""
    if not keys:
        return []
    base = ledger_base_queryset(user)
    last_event = HazardEvent.objects.filter(hazard=OuterRef("pk")).order_by("-created_at", "-id")
    decided = DeadlineExtension.objects.filter(
        hazard=OuterRef("pk"), requested_by_id=user.pk, decided_at__isnull=False
    ).order_by("-decided_at", "-id")
    parts = []
    for key in keys:
        if not figures[f"queue_{key}"]:
            continue
        # The same columns in every part, as UNION needs: the decision only means something
        # in 延期审批结果, elsewhere it is left empty.
        decision = (
            Subquery(decided.values("status")[:1])
            if key == "my_extensions"
            else Value("", output_field=CharField())
        )
        parts.append(
            base.filter(queues.condition(key, user, today))
            .annotate(
                last_action=Subquery(last_event.values("action")[:1]),
                last_action_at=Subquery(last_event.values("created_at")[:1]),
                last_action_note=Subquery(last_event.values("note")[:1]),
                decision=decision,
                queue=Value(key, output_field=CharField()),
            )
            .order_by(*queues.QUEUES[key].order)[:QUEUE_ROWS]
        )
    rows: dict[str, list[Hazard]] = {key: [] for key in keys}
    if len(parts) > 1 and connections[base.db].features.supports_slicing_ordering_in_compound:
        parts = [parts[0].union(*parts[1:], all=True)]
    # SQLite (the demo) allows no LIMIT inside a UNION: a query per queue there.
    for part in parts:
        for hazard in part:
            rows[hazard.queue].append(hazard)
    labels = dict(HazardEvent.Action.choices)
    decisions = dict(DeadlineExtension.Status.choices)
    sections = []
    for key in keys:
        queue = queues.QUEUES[key]
        # UNION ALL keeps each part's rows but not their order between parts: sorted again.
        found = sorted(
            rows[key], key=lambda h: tuple(_sort_key(getattr(h, f)) for f in queue.order)
        )
        for hazard in found:
            hazard.deadline_note, hazard.deadline_badge = _deadline_note(hazard, today)
            hazard.last_action_label = labels.get(hazard.last_action, "")
            hazard.decision_label = decisions.get(hazard.decision, "")
        sections.append(
            {
                "key": key,
                "label": queue.label,
                "hint": queue.hint,
                "count": figures[f"queue_{key}"],
                "url": queue_url(key),
                "hazards": found,
            }
        )
    return sections


def _sort_key(value) -> tuple:
    # The ledger's order puts an empty deadline last (PostgreSQL's NULLS LAST on ascending).
    return (value is None, value if value is not None else 0)


def _shows_draft_inspections(user) -> bool:
    return user.role == User.Role.INSPECTOR and bool(user.department_id)


DRAFT_PARAMS = {"status": Inspection.Status.DRAFT, "mine": "true"}


def _draft_inspections_filter(request) -> InspectionFilter:
    return InspectionFilter(
        DRAFT_PARAMS, queryset=Inspection.objects.visible_to(request.user), request=request
    )


def _draft_inspections(figures) -> dict:
    """My drafts, counted by the inspection list's own filter, as its link shows them."""
    return {
        "key": "drafts",
        "label": "我的检查草稿",
        "hint": "未提交的检查记录",
        "count": figures["drafts_listed"],
        "url": f"{reverse('inspection_list')}?{urlencode(DRAFT_PARAMS)}",
    }


def _bulletins_waiting(user) -> list[dict]:
    """Bulletins the office has to finish: built and not yet circulated, or failed."""
    waiting = (Bulletin.Status.READY, Bulletin.Status.FAILED)
    counts = Bulletin.objects.visible_to(user).aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in waiting}
    )
    labels = {Bulletin.Status.READY: "通报待印发", Bulletin.Status.FAILED: "通报生成失败"}
    return [
        {
            "key": f"bulletins_{status}",
            "label": labels[status],
            "count": counts[status],
            "url": f"{reverse('bulletin_list')}?{urlencode({'status': status})}",
        }
        for status in waiting
    ]


def _quarterly_waiting(user) -> list[dict]:
    """季报 not yet circulated, with the earliest 报送期限 as the hint (one query)."""
    reports = list(queues.quarterly_reports_waiting(user).values("pk", "due_on")[:50])
    if not reports:
        return []
    first = reports[0]
    due = first["due_on"]
    late = due < timezone.localdate()
    hint = f"应于{due.year}年{due.month}月{due.day}日前印发报送" + ("，已超期" if late else "")
    url = (
        reverse("bulletin_detail", args=[first["pk"]])
        if len(reports) == 1
        else f"{reverse('bulletin_list')}?{urlencode({'kind': Bulletin.Kind.QUARTERLY})}"
    )
    return [
        {
            "key": "quarterly_due",
            "label": f"季报待报送（{due.month}月{due.day}日前）",
            "hint": hint,
            "count": len(reports),
            "url": url,
        }
    ]


def bulletins_to_sign(user) -> dict:
    """The leader's 待签发 bulletins: submitted by the office, waiting for approval."""
    submitted = Bulletin.Status.SUBMITTED
    return {
        "key": "bulletins_to_sign",
        "label": "通报待签发",
        "count": Bulletin.objects.visible_to(user).filter(status=submitted).count(),
        "url": f"{reverse('bulletin_list')}?{urlencode({'status': submitted})}",
    }


def _pending_imports(request) -> list[dict]:
    """Uploads this session previewed and has not confirmed: units, hazard ledger, duty roster."""
    found = []
    for key, label, pending, url in (
        ("import", "单位导入待确认", UNIT_IMPORT, "units:import_preview"),
        ("hazard_import", "隐患台账导入待确认", HAZARD_IMPORT, "hazard_import_preview"),
        ("duty_import", "值班表导入待确认", DUTY_IMPORT, "duty_import_preview"),
    ):
        if pending.exists(request):
            filename = pending.filename(request) or pending.name(request)
            found.append(
                {"key": key, "label": label, "hint": filename, "count": 1, "url": reverse(url)}
            )
    return found


def my_work(request, figures: dict[str, int] | None = None) -> dict | None:
    """我的待办 for the user's role: hazard queues, then the other lists that wait for them."""
    user = request.user
    figures = figures if figures is not None else home_figures(request)
    today = timezone.localdate()
    sections = _hazard_queues(user, queues.queues_for(user), today, figures)
    others: list[dict] = []
    if _shows_draft_inspections(user):
        others.append(_draft_inspections(figures))
    if user.is_office:
        others += _bulletins_waiting(user)
        others += _quarterly_waiting(user)
        others += _pending_imports(request)
    if user.role == User.Role.LEADER:
        others.append(bulletins_to_sign(user))
    if not sections and not others:
        return None
    return {
        "sections": sections,
        "others": others,
        "total": sum(s["count"] for s in sections) + sum(o["count"] for o in others),
    }
