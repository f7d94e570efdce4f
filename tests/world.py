"""Every URL pattern of the site, and a small world with one object behind each of them.

Shared by the URL × role matrix (tests/test_url_role_matrix.py) and the junk-posting fuzz test:
both walk the resolver, so a URL added anywhere is seen by both without being listed here.

The world: unit U of 消防 in 兴华街道 with a submitted inspection, a draft, a hazard with a
photo, an export, an enforcement action, an accident, a campaign, a notification of inspector
A, bulletins circulated, draft, awaiting signature and signed, an API client limited to 消防 and one of its calls,
U's own unit account with an activation code and a PDF attached to the hazard. The personas see U as the product says they should:
inspector A (消防) and the street office of 兴华街道 in scope, inspector B (应急管理局) not.
"""

import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image

from tests import factories

# Column order of every expectation string in the matrix.
ROLES = ("anon", "insp_a", "insp_b", "street", "office", "supervisor", "leader", "admin")

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


@dataclass(frozen=True)
class Route:
    key: str  # the URL name ("units:edit"), or the route itself for an unnamed pattern
    route: str  # "units/<int:pk>/edit/"
    params: tuple[str, ...]  # the route's parameters, in order

    def path(self, values: dict[str, object]) -> str:
        """The route with its parameters filled from `values` (converters are all str-able)."""
        filled = self.route.replace("^", "").replace("$", "")
        for name in self.params:
            filled = re.sub(rf"<(?:\w+:)?{name}>|\(\?P<{name}>[^)]*\)", str(values[name]), filled)
        return "/" + filled.replace("\\", "")


def routes() -> list[Route]:
    """Every pattern the root URLconf serves, found by walking the resolver."""
    found: list[Route] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}{pattern.namespace}:"
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                key = f"{namespace}{pattern.name}" if pattern.name else route
                params = tuple(a or b for a, b in _PARAM.findall(route))
                found.append(Route(key=key, route=route, params=params))

    walk(get_resolver().url_patterns, "", "")
    return found


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(buffer, "JPEG")
    return buffer.getvalue()


def build() -> dict[str, object]:
    """The personas (None for anonymous) and the objects, by the names the matrix uses."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from api.models import ApiCallLog
    from inspections import photos
    from inspections.models import (
        Accident,
        Bulletin,
        CalendarDay,
        Campaign,
        DocumentPrefix,
        DutyShift,
        EnforcementAction,
        ExportJob,
        ImportJob,
        Inspection,
        Notification,
    )

    fire = factories.department("消防")
    safety = factories.department("应急管理局")
    office_dept = factories.department("安委办")
    area = factories.area("兴华街道")
    users = {
        "anon": None,
        "insp_a": factories.user("m_insp_a", "inspector", fire, name="消防甲"),
        "insp_b": factories.user("m_insp_b", "inspector", safety, name="应急乙"),
        "street": factories.user(
            "m_street", "inspector", factories.street_office(area), name="街道丙"
        ),
        "office": factories.user("m_office", "office", office_dept, name="安委办丁"),
        "supervisor": factories.user(
            "m_super", "supervisor", factories.department("督查室"), name="督查戊"
        ),
        "leader": factories.user("m_leader", "leader", office_dept, name="领导己"),
        "admin": factories.user(
            "m_admin", "admin", office_dept, name="管理员", is_staff=True, is_superuser=True
        ),
    }
    insp_a, office = users["insp_a"], users["office"]
    today = timezone.localdate()
    unit = factories.unit(
        category=factories.category("furniture-market"), lead_department=fire, area=area
    )
    inspection = factories.inspection(unit, insp_a)
    hazard = factories.hazard(unit, insp_a, inspection=inspection)
    draft = Inspection.objects.create(
        unit=unit, department=fire, created_by=insp_a, date=today - datetime.timedelta(days=1)
    )
    draft.inspectors.add(insp_a)
    photo = photos.save_photo(
        hazard=hazard,
        upload=ContentFile(_jpeg(), name="p.jpg"),
        kind="before",
        user=insp_a,
    )
    export = ExportJob.objects.create(user=insp_a, status=ExportJob.Status.DONE, total=1, done=1)
    export.file = default_storage.save(
        f"exports/matrix-{export.pk}.xlsx", ContentFile(b"PK\x03\x04 not opened by the matrix")
    )
    export.save(update_fields=["file"])
    enforcement = EnforcementAction.objects.create(
        unit=unit,
        kind=EnforcementAction.Kind.SUSPEND,
        decided_on=today - datetime.timedelta(days=2),
        department=fire,
        created_by=insp_a,
    )
    accident = Accident.objects.create(
        unit=unit,
        area=area,
        occurred_on=today - datetime.timedelta(days=3),
        kind=Accident.Kind.FIRE,
        description="仓库起火",
        created_by=office,
    )
    campaign = Campaign.objects.create(
        name="节前大检查",
        start_date=today - datetime.timedelta(days=30),
        end_date=today,
        created_by=office,
    )
    api_client = _api_client(fire, users["admin"])
    api_call = ApiCallLog.objects.create(
        client=api_client, method="GET", path="/api/v1/units/", status=200, duration_ms=3
    )
    notification = Notification.objects.create(
        user=insp_a, kind=Notification.Kind.DIGEST, day=today, title="提醒"
    )
    login_attempt = AccessAttempt.objects.create(
        username="someone", ip_address="10.0.0.9", failures_since_start=1
    )
    login_log = AccessLog.objects.create(username="m_insp_a", ip_address="10.0.0.9")
    login_failure = AccessFailureLog.objects.create(username="someone", ip_address="10.0.0.9")
    from audit.records import record_import

    import_record = record_import(
        kind="units", user=office, filename="单位.xlsx", content=b"PK matrix import"
    )
    bulletins = {}
    for name, status in (
        ("bulletin", "circulated"),
        ("draft_bulletin", "draft"),
        ("submitted_bulletin", "submitted"),
        ("approved_bulletin", "approved"),
    ):
        bulletin = Bulletin(
            title=f"{name} 通报",
            period_start=today - datetime.timedelta(days=30),
            period_end=today,
            status=status,
            created_by=office,
        )
        if status in ("submitted", "approved", "circulated"):
            bulletin.submitted_by, bulletin.submitted_at = office, timezone.now()
        if status in ("approved", "circulated"):
            bulletin.signed_by, bulletin.signed_at = users["leader"], timezone.now()
        if status == "circulated":
            bulletin.number, bulletin.year, bulletin.seq = "安委办通报〔2099〕1号", 2099, 1
        bulletin.pdf.save("b.pdf", ContentFile(b"%PDF-1.4 matrix"), save=False)
        bulletin.attachment.save("b.xlsx", ContentFile(b"PK matrix"), save=False)
        bulletin.save()
        bulletins[name] = bulletin
    # A 季报 put to the leaders: the bulletins' pages and rules, a kind of its own.
    quarterly = Bulletin(
        kind=Bulletin.Kind.QUARTERLY,
        title="季报",
        period_start=datetime.date(2099, 1, 1),
        period_end=datetime.date(2099, 3, 31),
        due_on=datetime.date(2099, 4, 15),
        status="submitted",
        created_by=office,
        submitted_by=office,
        submitted_at=timezone.now(),
    )
    quarterly.pdf.save("q.pdf", ContentFile(b"%PDF-1.4 matrix"), save=False)
    quarterly.attachment.save("q.xlsx", ContentFile(b"PK matrix"), save=False)
    quarterly.save()
    bulletins["quarterly_report"] = quarterly
    document, document_token = _document(unit, inspection, hazard, insp_a)
    portal = _portal(unit, hazard, insp_a, office)
    return {
        **portal,
        **users,
        "unit": unit,
        "document": document,
        # /v/<token>/ takes the signed token, not a pk: the matrix fills routes from `.pk`.
        "document_token": SimpleNamespace(pk=document_token),
        "document_prefix": DocumentPrefix.objects.create(
            department=fire, notice_prefix="铁消改", review_prefix="铁消复", record_prefix="铁消检"
        ),
        "inspection": inspection,
        "draft_inspection": draft,
        "hazard": hazard,
        "photo": photo,
        "export": export,
        "enforcement": enforcement,
        "accident": accident,
        "campaign": campaign,
        "notification": notification,
        "api_client": api_client,
        "api_call": api_call,
        "login_attempt": login_attempt,
        "login_log": login_log,
        "login_failure": login_failure,
        "import_record": import_record,
        **bulletins,
        "user": insp_a,
        "area": area,
        "department": fire,
        "category": unit.category,
        "group": Group.objects.create(name="matrix"),
        "import_job": ImportJob.objects.create(user=office, filename="台账.xlsx"),
        "duty": DutyShift.objects.create(
            date=today,
            department=fire,
            leader_name="消防局长",
            staff="值班员",
            phone="024-12345678",
        ),
        "calendar_day": CalendarDay.objects.create(
            date=datetime.date(2099, 1, 1), is_workday=False, note="元旦"
        ),
    }


def _portal(unit, hazard, insp_a, office) -> dict[str, object]:
    """The unit's own account (not a column of the matrix: tests/test_url_role_matrix.py walks
    every URL with it separately), an open activation code, and a PDF sent with a report."""
    from inspections import attachments
    from units import activation

    account = factories.user("m_unit", "unit", None, name="单位安全员", unit=unit)
    code, _ = activation.issue(unit=unit, actor=office)
    pdf = ContentFile(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", name="整改报告.pdf")
    attachment = attachments.save_attachment(
        hazard=hazard, upload=pdf, data=pdf.read(), user=insp_a
    )
    return {"unit_account": account, "activation_code": code, "attachment": attachment}


def _document(unit, inspection, hazard, by):
    """A notice with its PDF already stored (the matrix must not render one per role), and the
    signed token of its verification page. The verification counters start empty."""
    from django.core.cache import cache
    from django.db import transaction

    from inspections.documents import issuing, tokens
    from inspections.models import Document

    cache.clear()
    with transaction.atomic():  # browser tests build the world outside a test transaction
        document = issuing.issue(
            kind=Document.Kind.NOTICE,
            department=inspection.department,
            unit=unit,
            actor=by,
            hazards=[hazard],
            inspection=inspection,
            content={},
        )
    document.pdf.save("matrix.pdf", ContentFile(b"%PDF-1.4 matrix"), save=False)
    document.sha256 = "0" * 64
    document.save(update_fields=["pdf", "sha256"])
    return document, tokens.sign(document.token_key)


def _api_client(department, admin):
    from api import clients as api_clients
    from api.models import ApiClient

    client = ApiClient(name="消防物联网平台", code="fire-iot", department=department)
    api_clients.create_client(client=client, created_by=admin)
    return client


def clients(world: dict[str, object], client_class) -> Iterator[tuple[str, object]]:
    """(role, a client signed in as that role) in ROLES order; 500s come back as responses."""
    for role in ROLES:
        client = client_class(raise_request_exception=False)
        if world[role] is not None:
            client.force_login(world[role])
        yield role, client
