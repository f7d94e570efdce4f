"""Every form class of the project gets hypothesis junk posted through its own view: no 500, and
a refused submission writes nothing (not a row of any table of the app).

`test_every_form_class_has_a_fuzz_case` enumerates the form classes of the project's modules and
fails for one that has no entry in CASES (or in COVERED_ELSEWHERE): a form added later is fuzzed
or the test says so. Few examples per form (EXAMPLES): the point is breadth, the suite's time
matters.
"""

import datetime
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings

from inspections.models import Bulletin
from tests import world as world_module
from tests.fuzz.test_fuzz import form_data, no_nul

EXAMPLES = 2
PACKAGES = ["accounts", "units", "inspections", "audit", "api", "anjian", "portal"]

# Written by any request (the session's clocks, the audit's request context and access log, the
# login lockout's bookkeeping): not what a refused form may not write.
REQUEST_BOOKKEEPING = (
    "django_session",
    "pghistory_context",
    "audit_accessrecord",
    "axes_",
)


def project_form_classes() -> set[str]:
    found = set()
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            module = importlib.import_module(info.name)
            for obj in vars(module).values():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, forms.BaseForm | forms.BaseFormSet)
                    and obj.__module__ == module.__name__
                ):
                    found.add(f"{obj.__module__}.{obj.__name__}")
    return found


@dataclass(frozen=True)
class Case:
    user: str  # a persona of tests/world.py
    url: Callable[[dict], str]
    fields: tuple[str, ...] = ()  # extra field names beyond the form's own
    method: str = "post"
    form: str = ""  # the class whose fields are fuzzed, when not the key (a formset's form)
    prefix: str = ""


def _hazard_act(action: str) -> Case:
    return Case("office", lambda w: reverse("hazard_act", args=[w["hazard"].pk, action]))


HAZARD_ACTIONS = {
    "AssignForm": "assign",
    "RejectForm": "reject",
    "MergeForm": "merge",
    "TransferForm": "transfer",
    "StartForm": "start",
    "ReportDoneForm": "report_done",
    "VerifyForm": "verify",
    "CannotRectifyForm": "cannot_rectify",
    "FinishDisposalForm": "finish_disposal",
    "ConfirmDisposalForm": "confirm_disposal",
    "ReturnDisposalForm": "return_disposal",
    "VoidForm": "void",
    "RequestExtensionForm": "request_extension",
    "DecideExtensionForm": "decide_extension",
    "GovernancePlanForm": "set_plan",
    "ListForm": "list",
    "EscalateForm": "escalate",
    "UrgeForm": "urge",
    "InterviewForm": "interview",
    "NoticeForm": "notice",
    "ProposeListingForm": "propose_listing",
}

INSPECTION_FIELDS = (
    "hazards-TOTAL_FORMS",
    "hazards-INITIAL_FORMS",
    "hazards-MIN_NUM_FORMS",
    "hazards-MAX_NUM_FORMS",
    "submit",
)

CASES: dict[str, Case] = {
    "accounts.forms.PasswordChangeForm": Case("insp_a", lambda w: reverse("password_change")),
    "accounts.forms.AdminPasswordChangeForm": Case(
        "admin", lambda w: reverse("admin:auth_user_password_change", args=[w["insp_b"].pk])
    ),
    "accounts.forms.AdminUserCreationForm": Case(
        "admin", lambda w: reverse("admin:units_user_add")
    ),
    "accounts.forms.AdminUserChangeForm": Case(
        "admin", lambda w: reverse("admin:units_user_change", args=[w["insp_b"].pk])
    ),
    "units.forms.UnitForm": Case("office", lambda w: reverse("units:edit", args=[w["unit"].pk])),
    "inspections.admin.ArrangementUploadForm": Case(
        "admin", lambda w: reverse("admin:inspections_calendarday_import")
    ),
    "inspections.dashboard.forms.DashboardFilterForm": Case(
        "leader", lambda w: reverse("dashboard"), method="get"
    ),
    "inspections.forms_bulletins.BulletinCreateForm": Case(
        "office", lambda w: reverse("bulletin_create")
    ),
    "inspections.forms_bulletins.BulletinTextForm": Case(
        "office", lambda w: reverse("bulletin_detail", args=[w["draft_bulletin"].pk])
    ),
    "inspections.forms_bulletins.QuarterlyCreateForm": Case(
        "office", lambda w: reverse("quarterly_create")
    ),
    "inspections.forms_bulletins.QuarterlyTextForm": Case(
        "office", lambda w: reverse("bulletin_detail", args=[_draft_quarterly(w).pk])
    ),
    "portal.forms.ActivationForm": Case("", lambda w: reverse("portal:activate")),
    "portal.forms.UnitReportForm": Case(
        "unit_account", lambda w: reverse("portal:hazard_report", args=[w["hazard"].pk])
    ),
    "portal.forms.SelfReportForm": Case("unit_account", lambda w: reverse("portal:self_report")),
    "inspections.forms_bulletins.BulletinDefaultsForm": Case(
        "office", lambda w: reverse("bulletin_defaults")
    ),
    "inspections.forms_bulletins.BulletinReturnForm": Case(
        "leader", lambda w: reverse("bulletin_return", args=[w["submitted_bulletin"].pk])
    ),
    "inspections.forms_bulletins.BulletinAdjustForm": Case(
        "office", lambda w: reverse("bulletin_adjust", args=[w["draft_bulletin"].pk])
    ),
    "inspections.forms_duty.DutyShiftForm": Case(
        "office", lambda w: reverse("duty_edit", args=[w["duty"].pk])
    ),
    **{f"inspections.forms_hazards.{name}": _hazard_act(a) for name, a in HAZARD_ACTIONS.items()},
    "inspections.forms_inspections.InspectionForm": Case(
        "insp_a",
        lambda w: reverse("inspection_edit", args=[w["draft_inspection"].pk]),
        fields=INSPECTION_FIELDS,
    ),
    "inspections.forms_inspections.HazardForm": Case(
        "insp_a",
        lambda w: reverse("inspection_edit", args=[w["draft_inspection"].pk]),
        fields=INSPECTION_FIELDS,
        prefix="hazards-0-",
    ),
    "inspections.forms_inspections.BaseHazardFormSet": Case(
        "insp_a",
        lambda w: reverse("inspection_create"),
        fields=INSPECTION_FIELDS,
        form="inspections.forms_inspections.HazardForm",
        prefix="hazards-1-",
    ),
    "inspections.forms_inspections.UnitSearchForm": Case(
        "insp_a", lambda w: reverse("inspection_unit_search"), method="get"
    ),
    "inspections.forms_registry.EnforcementForm": Case(
        "office", lambda w: f"{reverse('enforcement_create')}?unit={w['unit'].pk}"
    ),
    "inspections.forms_registry.AccidentForm": Case(
        "office", lambda w: reverse("accident_edit", args=[w["accident"].pk])
    ),
    "inspections.forms_registry.VoidForm": Case(
        "office", lambda w: reverse("inspection_void", args=[w["inspection"].pk])
    ),
    "inspections.forms_registry.CampaignForm": Case(
        "office", lambda w: reverse("campaign_edit", args=[w["campaign"].pk])
    ),
    "inspections.views.notifications.MuteForm": Case(
        "insp_a", lambda w: reverse("notification_settings")
    ),
    "anjian.imports.ImportUploadForm": Case("office", lambda w: reverse("units:import")),
}

# The base of the hazard action forms: never used on its own, fuzzed through each subclass.
COVERED_ELSEWHERE = {"inspections.forms_hazards.ActionForm"}


def test_every_form_class_has_a_fuzz_case():
    missing = project_form_classes() - set(CASES) - COVERED_ELSEWHERE
    assert not missing, f"form classes without a fuzz case in CASES: {sorted(missing)}"
    stale = set(CASES) - project_form_classes()
    assert not stale, f"CASES names form classes that no longer exist: {sorted(stale)}"


def _draft_quarterly(w: dict) -> Bulletin:
    """A 季报 still open to the office's words (the world's own is with the leaders)."""
    signed = w["quarterly_report"]
    draft, _ = Bulletin.objects.get_or_create(
        kind=Bulletin.Kind.QUARTERLY,
        period_start=datetime.date(2098, 1, 1),
        defaults={
            "title": "季报草稿",
            "period_end": datetime.date(2098, 3, 31),
            "due_on": datetime.date(2098, 4, 15),
            "status": Bulletin.Status.DRAFT,
            "created_by": signed.created_by,
        },
    )
    return draft


def _form_class(dotted: str):
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _field_names(key: str, case: Case) -> list[str]:
    cls = _form_class(case.form or key)
    names = list(getattr(cls, "base_fields", {}) or getattr(cls, "declared_fields", {}))
    if not names and hasattr(cls, "form"):
        names = list(cls.form.base_fields)
    return [f"{case.prefix}{n}" for n in names] + list(case.fields)


def _app_writes() -> int:
    """Rows inserted, updated or deleted in the app's tables so far in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
        )
        return sum(n for name, n in cursor.fetchall() if not name.startswith(REQUEST_BOOKKEEPING))


@pytest.fixture
def fuzz_world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return world_module.build()


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(CASES))
def test_every_form_takes_junk_through_its_view(fuzz_world, key):
    if connection.vendor != "postgresql":
        pytest.skip("counts the transaction's writes in pg_stat_xact_user_tables")
    case = CASES[key]
    client = Client()
    if case.user:  # else anonymous (the units' activation page)
        client.force_login(fuzz_world[case.user])
    url = case.url(fuzz_world)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(data=form_data(_field_names(key, case)))
    def post_junk(data):
        before = _app_writes()
        response = getattr(client, case.method)(url, no_nul(data))
        # The test client re-raises a view's exception: a 500 never gets here.
        assert response.status_code in (200, 302, 400, 403, 404, 409), (key, data)
        if case.method == "post" and response.status_code != 302:
            assert _app_writes() == before, f"{key}: a refused form wrote rows: {data}"

    post_junk()
