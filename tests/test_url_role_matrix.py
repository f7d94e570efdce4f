"""The URL × role matrix: every URL pattern of the site, asked by every role, answers as written.

Adding a URL? Add its line to MATRIX below; test_every_url_has_an_entry fails until you do and
prints the answers it measured, so you can check each against what that role should get:
200 (allowed), 302 (to the login page, or after a POST), 400 (an empty form refused), 403 (signed in, not allowed),
404 (out of scope: the object is hidden), 405 (wrong method). Never paste a line you have not
read: a 200 for insp_b on an object of department A is a leak.

Columns, in ROLES order: anonymous, inspector of 消防 (A, the objects' department), inspector of
应急管理局 (B), street-office inspector of the objects' street, office, supervisor, leader, admin.
Every GET and every empty POST runs inside a savepoint that is rolled back, so one role's POST
(a delete, a mark-as-read) never changes what the next role sees. The objects are built in
tests/world.py; a Case names the one whose pk fills the route (other parameters: `params`).
"""

from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client

from tests import world as world_module
from tests.world import ROLES, Route, routes


@dataclass(frozen=True)
class Case:
    obj: str | None = None  # world object whose pk fills the route's parameters
    get: str = ""  # eight status codes, in ROLES order
    post: str = ""
    params: dict = field(default_factory=dict)  # route parameters that are not the pk
    query: str = ""


# Shorthands for the rows that repeat.
ALL = "302 200 200 200 200 200 200 200"  # every signed-in user
NOT_ALLOWED = "302 405 405 405 405 405 405 405"
STAFF = "302 302 302 302 302 302 302 200"  # the Django admin: is_staff only
STAFF_REDIRECT = "302 302 302 302 302 302 302 302"  # the admin's bare-id URL redirects everyone
STAFF_FORBIDDEN = "302 302 302 302 302 302 302 403"  # the admin itself refuses (no delete, no add)
SCOPED = "302 200 404 200 200 200 200 200"  # an object of 消防 in the street's area
OWNER = "302 200 404 404 404 404 404 404"  # inspector A's own object
OFFICE = "302 403 403 403 200 403 403 200"  # office and admin only
DISTRICT = "302 403 403 403 200 200 200 200"  # the district-wide roles
OFFICE_ONLY = "302 404 404 404 200 404 404 200"  # hidden from all but office and admin
NOBODY = "302 404 404 404 404 404 404 404"
LOGGERS = "302 200 200 200 200 403 403 200"  # who records inspections: not supervisor/leader
API = "401 401 401 401 401 401 401 401"  # a token, never a signed-in session, opens /api/v1/
OPEN = "200 200 200 200 200 200 200 200"


def _admin_model(model: str, obj: str, **overrides: Case) -> dict[str, Case]:
    """The five pages Django's admin adds for a registered model, plus its bare-id redirect."""
    pages = {
        f"admin:{model}_changelist": Case(get=STAFF, post=STAFF),
        f"admin:{model}_add": Case(get=STAFF, post=STAFF),
        f"admin:{model}_change": Case(obj, get=STAFF, post=STAFF),
        f"admin:{model}_history": Case(obj, get=STAFF, post=STAFF),
        f"admin:{model}_delete": Case(obj, get=STAFF, post=STAFF),
        f"admin/{model.replace('_', '/', 1)}/<path:object_id>/": Case(
            obj, get=STAFF_REDIRECT, post=STAFF_REDIRECT
        ),
    }
    pages.update(overrides)
    return pages


def _read_only_admin_model(model: str, obj: str) -> dict[str, Case]:
    """A log in the admin: listed and shown to staff, never added, changed or deleted."""
    return _admin_model(
        model,
        obj,
        **{
            f"admin:{model}_add": Case(get=STAFF_FORBIDDEN, post=STAFF_FORBIDDEN),
            f"admin:{model}_change": Case(obj, get=STAFF, post=STAFF_FORBIDDEN),
            f"admin:{model}_delete": Case(obj, get=STAFF_FORBIDDEN, post=STAFF_FORBIDDEN),
        },
    )


# fmt: off
MATRIX: dict[str, Case | tuple[Case, ...]] = {
    # Expectation strings: anon insp_a insp_b street office supervisor leader admin.
    "home":                          Case(get=ALL, post=ALL),
    "healthz":                       Case(get="200 200 200 200 200 200 200 200", post="405 405 405 405 405 405 405 405"),
    # The phone app shell: public, holds no data (a browser fetches the manifest without cookies)
    "pwa_manifest":                  Case(get=OPEN, post="405 405 405 405 405 405 405 405"),
    "pwa_service_worker":            Case(get=OPEN, post="405 405 405 405 405 405 405 405"),
    "pwa_offline":                   Case(get=OPEN, post="405 405 405 405 405 405 405 405"),
    "login":                         Case(get="200 302 302 302 302 302 302 302", post="200 302 302 302 302 302 302 302"),
    "logout":                        Case(get=NOT_ALLOWED, post="302 302 302 302 302 302 302 302"),
    # accounts: one's own password; the office lifts login lockouts
    "password_change":               Case(get=ALL, post=ALL),
    "lockout_list":                  Case(get=OFFICE, post=OFFICE),
    "lockout_unlock":                Case(get=NOT_ALLOWED, post="302 403 403 403 302 403 403 302"),
    # units
    "units:list":                    Case(get=ALL, post=NOT_ALLOWED),
    "units:create":                  Case(get=OFFICE, post=OFFICE),
    "units:detail":                  Case("unit", get=SCOPED, post=SCOPED),
    "units:edit":                    Case("unit", get=OFFICE, post=OFFICE),
    "units:import":                  Case(get=OFFICE, post=OFFICE),
    "units:import_preview":          Case(get="302 403 403 403 302 403 403 302", post=NOT_ALLOWED),
    "units:import_confirm":          Case(get=NOT_ALLOWED, post="302 403 403 403 302 403 403 302"),
    "units:import_template":         Case(get=OFFICE, post=NOT_ALLOWED),
    "units:export":                  Case(get=ALL, post=NOT_ALLOWED),
    # inspections and hazards
    "inspection_list":               Case(get=ALL, post=NOT_ALLOWED),
    "inspection_create":             Case(get=LOGGERS, post=LOGGERS),
    "inspection_unit_search":        Case(get=ALL, post=NOT_ALLOWED),
    "inspection_offline_units":      Case(get=ALL, post=NOT_ALLOWED),
    # The phone's offline sync: an empty POST is not a record (400) to whoever logs inspections.
    "inspection_sync":               Case(get=NOT_ALLOWED, post="302 400 400 400 400 403 403 400"),
    "inspection_detail":             Case("inspection", get=SCOPED, post=SCOPED),
    "inspection_edit": (
        # A submitted inspection is no longer edited: back to its page.
        Case("inspection", get="302 302 404 302 302 403 403 302", post="302 302 404 302 302 403 403 302"),
        # A draft is its author's alone.
        Case("draft_inspection", get="302 200 404 404 404 403 403 404", post="302 200 404 404 404 403 403 404"),
    ),
    "inspection_print":              Case("inspection", get=SCOPED, post=SCOPED),
    "inspection_void":               Case("inspection", get=NOT_ALLOWED, post="302 403 403 403 400 403 403 400"),
    "hazard_photo":                  Case("photo", get=SCOPED, post=NOT_ALLOWED),
    "hazard_photo_thumb":            Case("photo", get=SCOPED, post=NOT_ALLOWED),
    "hazard_detail":                 Case("hazard", get=SCOPED, post=SCOPED),
    "hazard_act": (
        # An empty form: 400 with the form's errors to whoever may act, 404 to who may not see it.
        Case("hazard", params={"action": "start"}, get=NOT_ALLOWED, post="302 400 404 400 400 400 400 400"),
        Case("hazard", params={"action": "no-such-action"}, get=NOT_ALLOWED, post="302 404 404 404 404 404 404 404"),
    ),
    # 现场文书: the PDF to whoever sees the unit or issued it; corrections are the office's
    "document_pdf":                  Case("document", get=SCOPED, post=NOT_ALLOWED),
    "document_void":                 Case("document", get=NOT_ALLOWED, post="302 403 403 403 302 403 403 302"),
    "document_reissue":              Case("document", get=NOT_ALLOWED, post="302 403 403 403 302 403 403 302"),
    # The QR code's page is public: the same proof to everyone, 404 for a token never issued.
    "document_verify": (
        Case("document_token", get=OPEN, post="405 405 405 405 405 405 405 405"),
        Case(params={"token": "not-a-token"}, get="404 404 404 404 404 404 404 404", post="405 405 405 405 405 405 405 405"),
    ),
    "hazard_list":                   Case(get=ALL, post=NOT_ALLOWED),
    "hazard_export":                 Case(get=ALL, post=ALL),
    # An export is its requester's alone, whoever else may see the ledger.
    "hazard_import":                 Case(get=OFFICE, post=OFFICE),
    "hazard_import_preview":         Case(get="302 403 403 403 302 403 403 302", post="302 403 403 403 302 403 403 302"),
    "hazard_import_confirm":         Case(get=NOT_ALLOWED, post="302 403 403 403 302 403 403 302"),
    "hazard_import_template":        Case(get=OFFICE, post=NOT_ALLOWED),
    # The job (file name, errors) is its importer's own: another office user gets 404.
    "hazard_import_job":             Case("import_job", get="302 403 403 403 200 403 403 404", post=NOT_ALLOWED),
    "hazard_export_job":             Case("export", get=OWNER, post=NOT_ALLOWED),
    "hazard_export_download":        Case("export", get=OWNER, post=NOT_ALLOWED),
    # registry
    "enforcement_list":              Case(get=ALL, post=NOT_ALLOWED),
    "enforcement_create":            Case(get=LOGGERS, post=LOGGERS),
    "enforcement_detail":            Case("enforcement", get=SCOPED, post=SCOPED),
    # 作废 with a reason (office, admin); an empty reason is refused next to the field.
    "enforcement_void":              Case("enforcement", get=NOT_ALLOWED, post="302 403 403 403 400 403 403 400"),
    "accident_list":                 Case(get=ALL, post=NOT_ALLOWED),
    "accident_create":               Case(get=OFFICE, post=OFFICE),
    "accident_detail":               Case("accident", get=SCOPED, post=SCOPED),
    "accident_void":                 Case("accident", get=NOT_ALLOWED, post="302 403 403 403 400 403 403 400"),
    "accident_edit":                 Case("accident", get=OFFICE, post=OFFICE),
    "accident_import":               Case(get=OFFICE, post=OFFICE),
    "accident_import_preview":       Case(get="302 403 403 403 302 403 403 302", post=NOT_ALLOWED),
    "accident_import_confirm":       Case(get=NOT_ALLOWED, post="302 403 403 403 302 403 403 302"),
    "accident_import_template":      Case(get=OFFICE, post=NOT_ALLOWED),
    "campaign_list":                 Case(get=ALL, post=NOT_ALLOWED),
    "campaign_create":               Case(get=OFFICE, post=OFFICE),
    "campaign_detail":               Case("campaign", get=ALL, post=ALL),
    "campaign_edit":                 Case("campaign", get=OFFICE, post=OFFICE),
    # Voided with a reason, never deleted: an empty reason is refused next to the field.
    "campaign_void":                 Case("campaign", get=NOT_ALLOWED, post="302 403 403 403 400 403 403 400"),
    # 值班表: read by the district-wide roles, kept by the office
    "duty_list":                     Case(get=DISTRICT, post="302 403 403 403 405 405 405 405"),
    "duty_create":                   Case(get=OFFICE, post=OFFICE),
    "duty_edit":                     Case("duty", get=OFFICE, post=OFFICE),
    "duty_delete":                   Case("duty", get=NOT_ALLOWED, post="302 403 403 403 302 403 403 302"),
    "duty_import":                   Case(get=OFFICE, post=OFFICE),
    "duty_import_preview":           Case(get="302 403 403 403 302 403 403 302", post=NOT_ALLOWED),
    "duty_import_confirm":           Case(get=NOT_ALLOWED, post="302 403 403 403 302 403 403 302"),
    "duty_import_template":          Case(get=OFFICE, post=NOT_ALLOWED),
    # notifications: each user's own
    "notification_list":             Case(get=ALL, post=NOT_ALLOWED),
    "notification_read_all":         Case(get=NOT_ALLOWED, post="302 302 302 302 302 302 302 302"),
    "notification_settings":         Case(get=ALL, post="302 302 302 302 302 302 302 302"),
    "notification_detail":           Case("notification", get=OWNER, post=OWNER),
    "notification_read":             Case("notification", get=NOT_ALLOWED, post="302 302 404 404 404 404 404 404"),
    # bulletins: drafts are the office's, circulated ones everybody's and immutable
    "bulletin_list":                 Case(get=ALL, post=NOT_ALLOWED),
    # 一票否决台账: everyone signed in, scoped to the own department below district level
    "veto_list":                     Case(get=ALL, post=NOT_ALLOWED),
    "bulletin_create":               Case(get=OFFICE, post=OFFICE),
    # 季报 of a quarter by hand: the office only; an empty POST is the form's errors.
    "quarterly_create":              Case(get=OFFICE, post="302 403 403 403 400 403 403 400"),
    "bulletin_defaults":             Case(get=OFFICE, post="302 403 403 403 400 403 403 400"),
    "bulletin_detail": (
        Case("bulletin", get=ALL, post="302 403 403 403 403 403 403 403"),
        Case("draft_bulletin", get=OFFICE_ONLY, post=OFFICE_ONLY),
        # Put to the leaders: they read it; nobody edits it until it is withdrawn or returned.
        Case("submitted_bulletin", get="302 404 404 404 200 404 200 200", post="302 404 404 404 403 404 403 403"),
        Case("quarterly_report", get="302 404 404 404 200 404 200 200", post="302 404 404 404 403 404 403 403"),
    ),
    # The office strikes or adds a list entry (reason required) while it is a draft.
    "bulletin_adjust": (
        Case("draft_bulletin", get=NOT_ALLOWED, post="302 404 404 404 400 404 404 400"),
        Case("submitted_bulletin", get=NOT_ALLOWED, post="302 404 404 404 403 404 403 403"),
        Case("bulletin", get=NOT_ALLOWED, post="302 403 403 403 403 403 403 403"),
        Case("quarterly_report", get=NOT_ALLOWED, post="302 404 404 404 403 404 403 403"),
    ),
    # 签发: the office submits, a leader (only) approves or returns, the office circulates.
    "bulletin_submit": (
        Case("draft_bulletin", get=NOT_ALLOWED, post="302 404 404 404 302 404 404 302"),
        Case("submitted_bulletin", get=NOT_ALLOWED, post="302 404 404 404 302 404 403 302"),
    ),
    "bulletin_withdraw": (
        Case("submitted_bulletin", get=NOT_ALLOWED, post="302 404 404 404 302 404 403 302"),
        Case("bulletin", get=NOT_ALLOWED, post="302 403 403 403 302 403 403 302"),
    ),
    "bulletin_approve": (
        Case("submitted_bulletin", get=NOT_ALLOWED, post="302 404 404 404 403 404 302 403"),
        Case("quarterly_report", get=NOT_ALLOWED, post="302 404 404 404 403 404 302 403"),
        Case("draft_bulletin", get=NOT_ALLOWED, post="302 404 404 404 403 404 404 403"),
        Case("bulletin", get=NOT_ALLOWED, post="302 403 403 403 403 403 302 403"),
    ),
    "bulletin_return": (
        # An empty remark: the form's error, next to the field.
        Case("submitted_bulletin", get=NOT_ALLOWED, post="302 404 404 404 403 404 400 403"),
        Case("approved_bulletin", get=NOT_ALLOWED, post="302 404 404 404 403 404 302 403"),
    ),
    "bulletin_circulate": (
        Case("bulletin", get=NOT_ALLOWED, post="302 403 403 403 302 403 403 302"),
        Case("draft_bulletin", get=NOT_ALLOWED, post="302 404 404 404 302 404 404 302"),
        # Not signed yet: the office is told so; the leader signs but never circulates.
        Case("submitted_bulletin", get=NOT_ALLOWED, post="302 404 404 404 302 404 403 302"),
    ),
    "bulletin_regenerate": (
        Case("bulletin", get=NOT_ALLOWED, post="302 403 403 403 302 403 403 302"),
        Case("draft_bulletin", get=NOT_ALLOWED, post="302 404 404 404 302 404 404 302"),
    ),
    "bulletin_pdf": (
        Case("bulletin", get=ALL, post=ALL),
        Case("submitted_bulletin", get="302 404 404 404 200 404 200 200", post="302 404 404 404 200 404 200 200"),
        Case("draft_bulletin", get=NOBODY, post=NOBODY),  # still being built: no file yet
        Case("quarterly_report", get="302 404 404 404 200 404 200 200", post="302 404 404 404 200 404 200 200"),
    ),
    "bulletin_attachment": (
        Case("bulletin", get=ALL, post=ALL),
        Case("draft_bulletin", get=NOBODY, post=NOBODY),  # still being built: no file yet
        Case("quarterly_report", get="302 404 404 404 200 404 200 200", post="302 404 404 404 200 404 200 200"),
    ),
    # the dashboard: every role its own scope (an inspector's is their department's)
    "dashboard":                     Case(get=ALL, post=NOT_ALLOWED),
    "dashboard_export":              Case(get=ALL, post=NOT_ALLOWED),
    # the API for other systems: token only (tests/api test each client's scope)
    "api:unit-list":                 Case(get=API, post=API),
    "api:unit-detail":               Case("unit", get=API, post=API),
    "api:inspection-list":           Case(get=API, post=API),
    "api:inspection-detail":         Case("inspection", get=API, post=API),
    "api:hazard-list":               Case(get=API, post=API),
    "api:hazard-detail":             Case("hazard", get=API, post=API),
    "api:photo":                     Case("photo", get=API, post=API),
    "api:bulletin-list":             Case(get=API, post=API),
    "api:bulletin-detail":           Case("bulletin", get=API, post=API),
    "api:bulletin-pdf":              Case("bulletin", get=API, post=API),
    # the interface description and its docs page hold no data
    "api:schema":                    Case(get=OPEN, post="405 405 405 405 405 405 405 405"),
    "api:docs":                      Case(get=OPEN, post="405 405 405 405 405 405 405 405"),
    # 单位门户: a unit account's pages; every staff role gets 404 (the unit's own answers are in
    # UNIT_MATRIX below). Activation is public; a signed-in user is sent on to their home.
    "portal:home":                   Case(get=NOBODY, post=NOT_ALLOWED),
    "portal:activate":               Case(get="200 302 302 302 302 302 302 302", post="400 302 302 302 302 302 302 302"),
    "portal:hazard":                 Case("hazard", get=NOBODY, post=NOT_ALLOWED),
    "portal:hazard_report":          Case("hazard", get=NOT_ALLOWED, post=NOBODY),
    "portal:hazard_extension":       Case("hazard", get=NOT_ALLOWED, post=NOBODY),
    "portal:photo":                  Case("photo", get=NOBODY, post=NOT_ALLOWED),
    "portal:photo_thumb":            Case("photo", get=NOBODY, post=NOT_ALLOWED),
    "portal:attachment":             Case("attachment", get=NOBODY, post=NOT_ALLOWED),
    "portal:document":               Case("document", get=NOBODY, post=NOT_ALLOWED),
    "portal:self_report":            Case(get=NOBODY, post=NOBODY),
    "portal:bulletins":              Case(get=NOBODY, post=NOT_ALLOWED),
    "portal:password":               Case(get=NOBODY, post=NOBODY),
    # The office's side: the 主体责任 list for the district's roles; activation codes by the
    # office, or by an inspector for a unit in their scope (the supervisor and leader only read).
    "unit_accounts:responsibility":  Case(get=DISTRICT, post=NOT_ALLOWED),
    "unit_accounts:unit":            Case("unit", get="302 200 404 200 200 403 403 200", post=NOT_ALLOWED),
    "unit_accounts:issue":           Case("unit", get=NOT_ALLOWED, post="302 200 404 200 200 403 403 200"),
    "unit_accounts:revoke":          Case("activation_code", get=NOT_ALLOWED, post="302 302 404 302 302 403 403 302"),
    # A PDF sent with a rectification report: to whoever sees the hazard.
    "hazard_attachment":             Case("attachment", get=SCOPED, post=NOT_ALLOWED),
    # the audit trail: office and admin read it; nobody writes it
    "audit:list":                    Case(get=OFFICE, post="302 403 403 403 405 403 403 405"),
    "audit:access":                  Case(get=OFFICE, post="302 403 403 403 405 403 403 405"),
    "audit:imports":                 Case(get=OFFICE, post="302 403 403 403 405 403 403 405"),
    "audit:import_file":             Case("import_record", get=OFFICE, post=OFFICE),
    # Django's admin: staff only; everyone else is sent to its login page.
    "admin:index":                   Case(get=STAFF, post=STAFF),
    "admin:login":                   Case(get="200 200 200 200 200 200 200 302", post="200 200 200 200 200 200 200 200"),
    "admin:logout":                  Case(get="302 302 302 302 302 302 302 405", post="302 302 302 302 302 302 302 302"),
    "admin:password_change":         Case(get=STAFF, post=STAFF),
    "admin:password_change_done":    Case(get=STAFF, post="302 302 302 302 302 302 302 405"),
    "admin:autocomplete":            Case(get="302 302 302 302 302 302 302 403", post="302 302 302 302 302 302 302 405"),
    "admin:jsi18n":                  Case(get=STAFF, post="302 302 302 302 302 302 302 405"),
    "admin:view_on_site":            Case(params={"content_type_id": 0, "object_id": 0}, get="302 302 302 302 302 302 302 404", post="302 302 302 302 302 302 302 404"),
    "admin:app_list":                Case(params={"app_label": "units"}, get=STAFF, post=STAFF),
    "admin/(?P<url>.*)$":            Case(params={"url": "no-such-page/"}, get="302 302 302 302 302 302 302 404", post="302 302 302 302 302 302 302 404"),
    "admin:auth_user_password_change": Case("user", get=STAFF, post=STAFF),
    **_admin_model("auth_group", "group"),
    # Users are deactivated, units closed through enforcement: neither is deleted.
    **_admin_model("units_user", "user", **{"admin:units_user_delete": Case("user", get=STAFF_FORBIDDEN, post=STAFF_FORBIDDEN)}),
    **_admin_model("units_area", "area"),
    **_admin_model("units_department", "department"),
    **_admin_model("units_category", "category"),
    **_admin_model("units_unit", "unit", **{"admin:units_unit_delete": Case("unit", get=STAFF_FORBIDDEN, post=STAFF_FORBIDDEN)}),
    **_admin_model("inspections_calendarday", "calendar_day"),
    **_admin_model("inspections_documentprefix", "document_prefix"),
    "admin:inspections_calendarday_import": Case(get=STAFF, post=STAFF),
    "admin:inspections_calendarday_import_template": Case(get=STAFF, post=STAFF),
    # Clients are revoked, never deleted; the call log is read-only.
    **_admin_model(
        "api_apiclient",
        "api_client",
        **{"admin:api_apiclient_delete": Case("api_client", get=STAFF_FORBIDDEN, post=STAFF_FORBIDDEN)},
    ),
    **_admin_model(
        "api_apicalllog",
        "api_call",
        **{
            "admin:api_apicalllog_add": Case(get=STAFF_FORBIDDEN, post=STAFF_FORBIDDEN),
            "admin:api_apicalllog_change": Case("api_call", get=STAFF, post=STAFF_FORBIDDEN),
            "admin:api_apicalllog_delete": Case("api_call", get=STAFF_FORBIDDEN, post=STAFF_FORBIDDEN),
        },
    ),
    # Login lockouts (django-axes): deleting an attempt unlocks; the login logs are read-only.
    **_admin_model(
        "axes_accessattempt",
        "login_attempt",
        **{
            "admin:axes_accessattempt_add": Case(get=STAFF_FORBIDDEN, post=STAFF_FORBIDDEN),
            # Every field is read-only: saving changes nothing and returns to the list.
            "admin:axes_accessattempt_change": Case("login_attempt", get=STAFF, post=STAFF_REDIRECT),
        },
    ),
    **_read_only_admin_model("axes_accesslog", "login_log"),
    **_read_only_admin_model("axes_accessfailurelog", "login_failure"),
}
# fmt: on


def _cases(key: str) -> tuple[Case, ...]:
    entry = MATRIX[key]
    return entry if isinstance(entry, tuple) else (entry,)


def _route(key: str) -> Route:
    return next(route for route in routes() if route.key == key)


def _guess_object(route: Route, world: dict) -> str | None:
    """For the missing-entry message: the world object named by the route's first segment."""
    if not route.params:
        return None
    first = route.route.split("/")[0].removesuffix("s")
    return first if first in world else "unit"


def measure(world: dict, route: Route, case: Case, method: str) -> str:
    values = {name: world[case.obj].pk for name in route.params} if case.obj else {}
    values.update(case.params)
    path = route.path(values) + (f"?{case.query}" if case.query else "")
    codes = []
    for _role, client in world_module.clients(world, Client):
        with transaction.atomic():
            response = getattr(client, method)(path)
            transaction.set_rollback(True)
        if response.streaming:  # drained, so the client closes it with its own signal handling
            b"".join(response.streaming_content)
        codes.append(str(response.status_code))
    return " ".join(codes)


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return world_module.build()


def test_every_url_has_an_entry(world):
    known = set(MATRIX)
    missing = [route for route in routes() if route.key not in known]
    lines = []
    for route in missing:
        case = Case(_guess_object(route, world))
        get, post = measure(world, route, case, "get"), measure(world, route, case, "post")
        obj = f"{case.obj!r}, " if case.obj else ""
        lines.append(f'    "{route.key}": Case({obj}get="{get}", post="{post}"),  # {route.route}')
    assert not missing, (
        f"{len(missing)} URL(s) have no entry in MATRIX ({__file__}). Add these lines after "
        "checking every answer is what that role should get (columns: "
        f"{' '.join(ROLES)}; object guessed from the path, see tests/world.py):\n"
        + "\n".join(lines)
    )
    stale = known - {route.key for route in routes()}
    assert not stale, f"MATRIX entries for URLs that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("key", sorted(MATRIX))
def test_url_answers_each_role_as_the_matrix_says(world, key):
    route = _route(key)
    wrong = []
    for case in _cases(key):
        for method in ("get", "post"):
            expected = getattr(case, method)
            got = measure(world, route, case, method)
            if got != expected:
                wrong.append(f"{method.upper()} {case.obj or ''}: expected {expected}, got {got}")
    assert not wrong, f"{key} ({route.route}), columns {' '.join(ROLES)}:\n" + "\n".join(wrong)


# The unit account of U (tests/world.py), asked every URL. Only the portal and the pages that
# hold no data answer it; everything else is 404 — staff pages, the admin, the API and its
# docs — decided once, by portal.middleware.UnitBoundaryMiddleware. (get, post) per key.
# fmt: off
UNIT_MATRIX: dict[str, tuple[str, str]] = {
    "home":                  ("302", "302"),  # the site's root sends a unit to its portal
    "login":                 ("302", "302"),
    "logout":                ("405", "302"),
    "healthz":               ("200", "405"),
    "pwa_manifest":          ("200", "405"),
    "pwa_service_worker":    ("200", "405"),
    "pwa_offline":           ("200", "405"),
    "document_verify":       ("200", "405"),
    "portal:home":           ("200", "405"),
    "portal:activate":       ("302", "302"),
    "portal:hazard":         ("200", "405"),
    "portal:hazard_report":  ("405", "400"),
    "portal:hazard_extension": ("405", "400"),
    "portal:photo":          ("200", "405"),
    "portal:photo_thumb":    ("200", "405"),
    "portal:attachment":     ("200", "405"),
    "portal:document":       ("200", "405"),
    "portal:self_report":    ("200", "400"),
    "portal:bulletins":      ("200", "405"),
    "portal:password":       ("200", "200"),
}
# fmt: on


def _measure_unit(world: dict, route: Route, case: Case, method: str) -> str:
    values = {name: world[case.obj].pk for name in route.params} if case.obj else {}
    values.update(case.params)
    client = Client(raise_request_exception=False)
    client.force_login(world["unit_account"])
    with transaction.atomic():
        response = getattr(client, method)(route.path(values))
        transaction.set_rollback(True)
    if response.streaming:
        b"".join(response.streaming_content)
    return str(response.status_code)


def test_unit_account_gets_404_everywhere_but_its_portal(world):
    """Every URL of the site and every object the matrix fills it with: a unit account opens
    the portal's pages on its own unit's objects and the data-free pages, and nothing else."""
    wrong = []
    for route in routes():
        expected = UNIT_MATRIX.get(route.key, ("404", "404"))
        for case in _cases(route.key):
            if route.key == "document_verify" and case.params:
                continue  # an unknown token is 404 to everyone, checked in MATRIX
            got = (
                _measure_unit(world, route, case, "get"),
                _measure_unit(world, route, case, "post"),
            )
            if got != expected:
                wrong.append(f"{route.key} {case.obj or ''}: expected {expected}, got {got}")
    assert not wrong, "unit account:\n" + "\n".join(wrong)


def test_unit_matrix_names_only_existing_urls(world):
    assert set(UNIT_MATRIX) <= {route.key for route in routes()}
