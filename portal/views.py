"""单位门户 (/portal/): what a unit account sees and does — its own unit only.

Every object comes through the models' visible_to(), which for a unit account is its own unit
(units.models, inspections.models.hazards); a staff user gets 404 here (`unit_only`), and the
staff pages answer 404 to a unit (portal.middleware). What a page shows of a hazard is chosen
here, field by field: the district's internal working (comments, 督办/约谈 notes, transfers,
who inspected) is never put on a portal page.
"""

from functools import wraps

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import signals
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.lockout import client_ip, lockout_response
from accounts.views import PasswordChangeView
from inspections import permissions, workflow
from inspections.documents.views import document_pdf
from inspections.forms_hazards import RequestExtensionForm
from inspections.models import (
    DeadlineExtension,
    Document,
    Hazard,
    HazardEvent,
)
from inspections.views.inspections import _attachment_response, _photo_response
from units import activation
from units.models import Unit

from . import bulletins
from .forms import ActivationForm, SelfReportForm, UnitReportForm

A = HazardEvent.Action
PAGE_SIZE = 20

# What of a hazard's history the unit reads: the steps of its own loop. Notes only where they
# are addressed to the unit (its own reports, the verdict of a 复查, an extension decision).
PUBLIC_ACTIONS = frozenset(
    {
        A.REGISTER,
        A.ASSIGN,
        A.START,
        A.REPORT_DONE,
        A.VERIFY_OK,
        A.VERIFY_FAIL,
        A.FIX_ON_SPOT,
        A.REQUEST_EXTENSION,
        A.APPROVE_EXTENSION,
        A.REFUSE_EXTENSION,
        A.LIST,
        A.DISPOSAL_CONFIRMED,
        A.DISPOSAL_DONE,
        A.VOID,
    }
)
NOTE_ACTIONS = frozenset(
    {
        A.REPORT_DONE,
        A.VERIFY_OK,
        A.VERIFY_FAIL,
        A.REQUEST_EXTENSION,
        A.APPROVE_EXTENSION,
        A.REFUSE_EXTENSION,
    }
)
UNIT_ACTIONS = ("report_done", "request_extension")


def unit_only(view):
    """The portal's pages are a unit's: anybody else gets 404 (staff have their own pages)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_unit_account:
            raise Http404("仅限单位账号")
        return view(request, *args, **kwargs)

    return wrapper


def _unit(request) -> Unit:
    return get_object_or_404(
        Unit.objects.visible_to(request.user).select_related("area", "lead_department", "category")
    )


def _hazard_for_unit(request, pk: int) -> Hazard:
    return get_object_or_404(
        Hazard.objects.visible_to(request.user).select_related("unit", "lead_department"), pk=pk
    )


# --- home and hazards ------------------------------------------------------------------------


@require_GET
@unit_only
def home(request: HttpRequest) -> HttpResponse:
    unit = _unit(request)
    hazards = Hazard.objects.visible_to(request.user)
    open_first = Case(
        When(status__in=Hazard.OPEN_STATUSES, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    ordered = hazards.select_related("lead_department").order_by(
        open_first, "deadline", "-found_on", "-id"
    )
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for hazard in page:
        hazard.overdue = hazard.overdue_days(today)
    counts = {
        "open": hazards.filter(status__in=Hazard.OPEN_STATUSES).count(),
        "awaiting": hazards.filter(status=Hazard.Status.AWAITING_VERIFICATION).count(),
        "self": hazards.filter(source=Hazard.Source.SELF_CHECK).count(),
    }
    return render(
        request,
        "portal/home.html",
        {"unit": unit, "page": page, "counts": counts, "today": today},
    )


def _public_events(hazard: Hazard, user) -> list[dict]:
    rows = []
    for event in hazard.events.filter(action__in=PUBLIC_ACTIONS).select_related("actor"):
        own = event.actor_id is not None and event.actor.unit_id == hazard.unit_id
        rows.append(
            {
                "at": event.created_at,
                "label": event.get_action_display(),
                "status": event.get_to_status_display() if event.to_status else "",
                "who": "本单位" if own else "监管部门",
                "note": event.note if event.action in NOTE_ACTIONS else "",
                "photos": [],
                "pk": event.pk,
            }
        )
    return rows


def _render_hazard(request, hazard: Hazard, *, report=None, extension=None, status=200):
    user = request.user
    pending = hazard.extensions.filter(status=DeadlineExtension.Status.PENDING).first()
    hazard._pending_extension = pending
    allowed = [a for a in UNIT_ACTIONS if permissions.refusal(user, a, hazard) is None]
    photos = list(hazard.photos.all())
    documents = list(
        Document.objects.visible_to(user)
        .filter(hazards=hazard, status=Document.Status.ISSUED)
        .order_by("-id")
        .distinct()
    )
    context = {
        "hazard": hazard,
        "today": timezone.localdate(),
        "overdue_days": hazard.overdue_days(),
        "events": _public_events(hazard, user),
        "before_photos": [p for p in photos if p.kind == p.Kind.BEFORE],
        "after_photos": [p for p in photos if p.kind == p.Kind.AFTER],
        "attachments": list(hazard.attachments.all()),
        "documents": documents,
        "pending_extension": pending,
        "report_form": report
        or (
            UnitReportForm(hazard=hazard, auto_id="id_report_%s")
            if "report_done" in allowed
            else None
        ),
        "extension_form": extension
        or (
            RequestExtensionForm(hazard=hazard, auto_id="id_extension_%s")
            if "request_extension" in allowed
            else None
        ),
    }
    return render(request, "portal/hazard.html", context, status=status)


@require_GET
@unit_only
def hazard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_hazard(request, _hazard_for_unit(request, pk))


@require_POST
@unit_only
def hazard_report(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = _hazard_for_unit(request, pk)
    form = UnitReportForm(request.POST, request.FILES, hazard=hazard, auto_id="id_report_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            workflow.report_done(
                hazard_id=hazard.pk,
                actor=request.user,
                version=data["version"],
                note=data["note"],
                photos=data["photos"],
                pdfs=data["pdfs"],
            )
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            form.add_error("photos", error)
        else:
            messages.success(request, "已报告整改完成，等待监管部门复查。")
            return redirect("portal:hazard", pk=hazard.pk)
    return _render_hazard(request, hazard, report=form, status=400)


@require_POST
@unit_only
def hazard_extension(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = _hazard_for_unit(request, pk)
    form = RequestExtensionForm(request.POST, hazard=hazard, auto_id="id_extension_%s")
    if form.is_valid():
        try:
            workflow.request_extension(hazard_id=hazard.pk, actor=request.user, **form.cleaned_data)
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "延期申请已提交，等待安委办审批。")
            return redirect("portal:hazard", pk=hazard.pk)
    return _render_hazard(request, hazard, extension=form, status=400)


@require_GET
@unit_only
def photo(request: HttpRequest, pk: int) -> FileResponse:
    return _photo_response(request, pk, thumbnail=False)


@require_GET
@unit_only
def photo_thumb(request: HttpRequest, pk: int) -> FileResponse:
    return _photo_response(request, pk, thumbnail=True)


@require_GET
@unit_only
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    return _attachment_response(request, pk)


@require_GET
@unit_only
def document(request: HttpRequest, pk: int) -> FileResponse:
    # Document.visible_to() of a unit account is its own unit's documents.
    return document_pdf(request, pk)


# --- 企业自查自报 -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@unit_only
def self_report(request: HttpRequest) -> HttpResponse:
    unit = _unit(request)
    posted = request.method == "POST"
    form = SelfReportForm(
        request.POST if posted else None, request.FILES if posted else None, unit=unit
    )
    if request.method == "POST" and form.is_valid():
        try:
            hazard = workflow.self_report(actor=request.user, **form.service_kwargs())
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error("photos", error)
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"已报送自查隐患 {hazard.number}，安委办将交办处理。")
            return redirect("portal:hazard", pk=hazard.pk)
    status = 400 if form.is_bound else 200
    return render(request, "portal/self_report.html", {"unit": unit, "form": form}, status=status)


# --- 通报 -------------------------------------------------------------------------------------


@require_GET
@unit_only
def bulletin_entries(request: HttpRequest) -> HttpResponse:
    unit = _unit(request)
    return render(
        request,
        "portal/bulletins.html",
        {"unit": unit, "entries": bulletins.entries_naming(request.user)},
    )


# --- the account -------------------------------------------------------------------------------


class UnitPasswordChangeView(PasswordChangeView):
    template_name = "portal/password.html"

    def get_success_url(self):
        return "/portal/"


password_change = unit_only(UnitPasswordChangeView.as_view())


def _activation_credentials(request) -> dict:
    # Guesses are counted per address under a name of their own: AXES_FAILURE_LIMIT wrong
    # codes from one address lock the form there, and they add to the address's login count.
    return {"username": f"激活码@{client_ip(request) or '?'}"}


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:home" if request.user.is_unit_account else "home")
    credentials = _activation_credentials(request)
    if request.method == "POST" and AxesProxyHandler.is_locked(request, credentials):
        return lockout_response(request, credentials=credentials)
    form = ActivationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = activation.activate(
                code=data["code"],
                username=data["username"],
                password=data["password1"],
                name=data["name"],
                phone=data["phone"],
            )
        except activation.ActivationFailed as error:
            form.add_error("code", str(error))
            signals.user_login_failed.send(
                sender=__name__, credentials=credentials, request=request
            )
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request, credentials=credentials)
        except ValidationError as error:
            for message in error.messages if not hasattr(error, "error_dict") else []:
                form.add_error("password1", message)
            for field, errors in getattr(error, "error_dict", {}).items():
                form.add_error(field, errors)
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"账号已激活：您现在是“{user.unit}”的单位账号。")
            return redirect("portal:home")
    status = 400 if form.is_bound else 200
    return render(request, "portal/activate.html", {"form": form}, status=status)
