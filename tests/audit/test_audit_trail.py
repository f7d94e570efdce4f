"""Every change audited (PostgreSQL triggers): who, from where, by which path; bulk updates,
raw SQL and management commands included; the trail itself cannot be changed."""

import datetime

import pgtrigger
import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import InternalError
from django.urls import reverse

from audit.models import (
    EVENT_MODELS,
    AccessRecord,
    AuditEvent,
    ImportRecord,
)
from audit.tracking import TRACKED
from inspections.models import Campaign, Hazard
from tests import factories
from tests.units.test_import import code, confirm, row, upload, workbook_bytes
from units.models import Unit, User

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="change history is recorded by PostgreSQL triggers"
)

UnitHistory = EVENT_MODELS["UnitHistory"]
UserHistory = EVENT_MODELS["UserHistory"]
HazardHistory = EVENT_MODELS["HazardHistory"]


def history(model, pk):
    return list(
        AuditEvent.objects.across(*EVENT_MODELS.values())
        .tracks(model(pk=pk))
        .order_by("pgh_created_at", "pgh_id")
    )


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_a_unit_edited_on_its_page_records_who_from_where_and_before_after(
    login, office, unit_of_a
):
    client = login(office)
    form = {
        "name": "改名后的单位",
        "credit_code": unit_of_a.credit_code,
        "category": unit_of_a.category_id,
        "area": unit_of_a.area_id,
        "address": unit_of_a.address,
        "lead_department": unit_of_a.lead_department_id,
        "legal_rep": "李四",
        "legal_rep_phone": unit_of_a.legal_rep_phone,
    }
    response = client.post(reverse("units:edit", args=[unit_of_a.pk]), form, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302, response.context and response.context["form"].errors
    events = history(Unit, unit_of_a.pk)
    assert [e.pgh_label for e in events] == ["insert", "update"]
    change = events[-1]
    assert change.pgh_diff == {
        "name": [unit_of_a.name, "改名后的单位"],
        "legal_rep": ["张三", "李四"],
    }
    assert change.user_id == office.pk
    assert change.pgh_context["ip"] == "10.1.2.3"
    assert change.pgh_context["url"] == reverse("units:edit", args=[unit_of_a.pk])
    assert change.pgh_context["method"] == "POST"


@pytest.mark.django_db
def test_a_bulk_update_and_raw_sql_are_recorded_row_by_row(inspector_a, unit_of_a):
    hazards = [factories.registered_hazard(unit_of_a, inspector_a) for _ in range(3)]
    ids = [h.pk for h in hazards]
    Hazard.objects.filter(pk__in=ids).update(location="二号车间")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inspections_hazard SET responsible_person = %s WHERE id = %s", ["王五", ids[0]]
        )
    located = HazardHistory.objects.filter(pgh_obj_id__in=ids, location="二号车间")
    assert located.filter(pgh_label="update").count() == 4  # three by update(), one raw
    raw = HazardHistory.objects.filter(pgh_obj_id=ids[0]).order_by("pgh_id").last()
    assert raw.responsible_person == "王五" and raw.pgh_context is None  # no app context


@pytest.mark.django_db
def test_a_management_command_is_named_in_the_context(unit_of_a):
    call_command(
        "shell",
        command=(
            "from units.models import Unit; "
            f"Unit.objects.filter(pk={unit_of_a.pk}).update(address='命令改的地址')"
        ),
    )
    event = UnitHistory.objects.filter(pgh_obj_id=unit_of_a.pk, pgh_label="update").get()
    assert event.address == "命令改的地址"
    assert event.pgh_context.metadata["command"] == "shell"


@pytest.mark.django_db
def test_a_celery_task_is_named_in_the_context(settings, office, unit_of_a):
    from celery import shared_task

    @shared_task(name="tests.audit.rename_unit")
    def rename_unit(pk):
        Unit.objects.filter(pk=pk).update(name="任务改的名字")

    rename_unit.apply(args=[unit_of_a.pk])
    event = UnitHistory.objects.filter(pgh_obj_id=unit_of_a.pk, pgh_label="update").get()
    assert event.pgh_context.metadata["task"] == "tests.audit.rename_unit"


@pytest.mark.django_db
def test_user_role_department_and_active_are_recorded_never_the_password(inspector_a, safety_dept):
    inspector_a.role = User.Role.OFFICE
    inspector_a.department = safety_dept
    inspector_a.is_active = False
    inspector_a.save()
    inspector_a.set_password("another-password-9")
    inspector_a.last_login = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    inspector_a.save()
    events = UserHistory.objects.filter(pgh_obj_id=inspector_a.pk).order_by("pgh_id")
    assert [e.pgh_label for e in events] == ["insert", "update"]  # the password save: none
    last = events.last()
    assert (last.role, last.department_id, last.is_active) == ("office", safety_dept.pk, False)
    assert not hasattr(last, "password")


@pytest.mark.django_db
def test_every_tracked_model_has_its_triggers_installed():
    # A tracked model whose triggers a migration forgot would record nothing at all.
    status = {
        (model._meta.label, trigger.name): trigger.get_installation_status(model)[0]
        for model, trigger in pgtrigger.registered()
    }
    for tracked in TRACKED:
        expected = ["insert_insert", "update_update", "delete_delete"]
        if tracked.no_delete:
            expected.append("no_delete")
        for name in expected:
            assert status.get((tracked.model, name)) == "INSTALLED", (tracked.model, name)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_unithistory SET name = 'x'", "DELETE FROM audit_unithistory"],
    ids=["update", "delete"],
)
def test_history_cannot_be_changed_even_with_sql(unit_of_a, sql):
    with (
        pytest.raises(InternalError, match="append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


@pytest.mark.django_db
@pytest.mark.parametrize("sql_table", ["audit_accessrecord", "audit_importrecord"])
def test_access_log_and_import_records_are_append_only(sql_table, office):
    AccessRecord.objects.create(kind=AccessRecord.Kind.LOGIN, user=office)
    ImportRecord.objects.create(kind=ImportRecord.Kind.UNITS, filename="a.xlsx", sha256="0" * 64)
    with pytest.raises(InternalError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {sql_table}")


def test_the_admin_offers_no_way_to_edit_the_trail():
    trail = {*EVENT_MODELS.values(), AccessRecord, ImportRecord, AuditEvent}
    registered = set(admin.site._registry)
    assert not trail & registered
    assert "pghistory.admin" not in __import__("django.conf").conf.settings.INSTALLED_APPS


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["unit", "user", "campaign"])
def test_records_that_matter_cannot_be_hard_deleted(model, office, unit_of_a):
    obj = {
        "unit": lambda: unit_of_a,
        "user": lambda: factories.user("nobody"),
        "campaign": lambda: Campaign.objects.create(
            name="节前检查",
            start_date=datetime.date(2026, 9, 1),
            end_date=datetime.date(2026, 9, 30),
            created_by=office,
        ),
    }[model]()
    with pytest.raises(InternalError, match="no_delete"), transaction.atomic():
        type(obj).objects.filter(pk=obj.pk).delete()
    # Nor around the ORM.
    with (
        pytest.raises(InternalError, match="no_delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {type(obj)._meta.db_table} WHERE id = %s", [obj.pk])
    assert type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.django_db
def test_a_draft_hazard_may_still_leave_its_draft(inspector_a, unit_of_a):
    draft = factories.hazard(unit_of_a, inspector_a, status=Hazard.Status.DRAFT, number=None)
    Hazard.objects.filter(pk=draft.pk).delete()
    registered = factories.registered_hazard(unit_of_a, inspector_a)
    with (
        pytest.raises(InternalError, match="no_delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM inspections_hazard WHERE id = %s", [registered.pk])


@pytest.mark.django_db
def test_a_unit_import_is_one_record_with_its_file_and_the_rows_it_created(login, office, media):
    factories.area("兴华街道")
    client = login(office)
    content = workbook_bytes([row("鸿兴机械厂", code(1)), row("顺达物流", code(2))])
    upload(client, content, "单位台账.xlsx")
    assert confirm(client).status_code == 302
    record = ImportRecord.objects.get()
    created = set(Unit.objects.values_list("pk", flat=True))
    assert record.kind == "units" and record.user == office
    assert record.filename == "单位台账.xlsx"
    assert set(record.created_rows["units.Unit"]) == created and record.created_count == 2
    with record.file.open("rb") as handle:
        assert handle.read() == content
    # Each unit's own insert event names the import's request.
    for pk in created:
        (event,) = history(Unit, pk)
        assert event.pgh_context["url"] == reverse("units:import_confirm")


@pytest.mark.django_db
def test_an_accident_import_is_one_record_with_its_file_and_its_accidents(unit_of_a, office):
    from inspections import accident_import
    from inspections.models import Accident
    from tests.inspections.test_accident_import import sheet

    factories.street_office(factories.area("兴华街道"))
    source = sheet(("2025年3月5日", unit_of_a.name, "", "机械伤害", 0, 1, "1", "操作工受伤"))
    report = accident_import.import_accidents(source, actor=office, filename="事故台账.xlsx")
    assert not report.errors
    record = ImportRecord.objects.get()
    assert (record.kind, record.user, record.filename) == ("accidents", office, "事故台账.xlsx")
    assert record.created_rows == {"inspections.Accident": [Accident.objects.get().pk]}
    with record.file.open("rb") as handle:
        assert handle.read() == source.getvalue()
