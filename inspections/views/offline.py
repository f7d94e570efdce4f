"""Inspections captured on a phone without a network (static/js/offline_store.js): the units the
inspector may inspect, as one list the service worker keeps for offline search, and the sync
endpoint that saves a record kept on the phone.

The sync is the inspection form by other means: the phone's fields are fed to the same
InspectionForm and hazard formset and saved by the same `save_record`, so the server checks
exactly what it checks online, and submitting stays its decision (submission_errors). Every
inspection, hazard and photo carries the UUID the phone made for it (`client_uuid`, unique): a
retried or doubled upload finds what the first one made instead of making a second record.
"""

import json
import uuid

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse, QueryDict
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.views.decorators.http import require_GET, require_POST

from units.models import Unit, User

from .. import workflow
from ..forms_inspections import (
    MAX_PHOTOS_PER_HAZARD,
    InspectionForm,
    department_choices,
    hazard_formset_class,
    may_log_inspections,
)
from ..models import Hazard, HazardPhoto, Inspection
from ..photos import discard_files
from .inspections import (
    NoLongerDraft,
    RolledBack,
    put_completeness_errors,
    save_record,
    unit_search_row,
)

# A street office or a regulator sees a few thousand units; the office sees the whole district
# and searches online. The list is what the phone downloads once per visit of the form.
OFFLINE_UNIT_LIMIT = 5000
INSPECTION_FIELDS = ("unit", "date", "kind", "campaign", "checked_items", "summary")
HAZARD_FIELDS = (
    "description",
    "hazard_type",
    "level",
    "location",
    "legal_basis",
    "major_basis",
    "deadline",
    "deadline_working_days",
    "disposal",
    "lead_department",
)
MAX_HAZARDS = 50  # the formset's max_num


@require_GET
def offline_units(request: HttpRequest) -> JsonResponse:
    """Every unit the user may inspect, for the form's unit search without a network."""
    units = (
        Unit.objects.visible_to(request.user)
        .select_related("lead_department", "category")
        .order_by("name", "id")[: OFFLINE_UNIT_LIMIT + 1]
    )
    rows = [unit_search_row(unit) for unit in units]
    return JsonResponse(
        {"results": rows[:OFFLINE_UNIT_LIMIT], "truncated": len(rows) > OFFLINE_UNIT_LIMIT}
    )


class BadRecord(Exception):
    """The upload is not a record the phone's script makes (not a user's mistake)."""


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadRecord from None


def _parse(request: HttpRequest) -> dict:
    try:
        record = json.loads(request.POST.get("record", ""))
    except ValueError:
        raise BadRecord from None
    if not isinstance(record, dict) or not isinstance(record.get("hazards", []), list):
        raise BadRecord
    if len(record.get("hazards", [])) > 4 * MAX_HAZARDS:
        raise BadRecord
    record["uuid"] = _uuid(record.get("uuid"))
    for hazard in record.get("hazards", []):
        if not isinstance(hazard, dict) or not isinstance(hazard.get("photos", []), list):
            raise BadRecord
        hazard["uuid"] = _uuid(hazard.get("uuid"))
        # More than the form allows is the form's to refuse, in its words; far more is no record.
        if len(hazard.get("photos", [])) > 10 * MAX_PHOTOS_PER_HAZARD:
            raise BadRecord
        hazard["photos"] = [_uuid(p) for p in hazard.get("photos", [])]
    uuids = [record["uuid"]] + [h["uuid"] for h in record.get("hazards", [])]
    if len(set(uuids)) != len(uuids):
        raise BadRecord
    return record


def _text(value) -> str:
    return "" if value is None else str(value)


def _form_data(
    record: dict, server_hazards: list[Hazard], uploaded: MultiValueDict
) -> tuple[QueryDict, MultiValueDict]:
    """The POST the inspection form would have sent for this record: server hazards the phone
    no longer has are deleted (only those it made), new ones appended, photos not yet stored
    attached to their hazard's row."""
    data = QueryDict(mutable=True)
    fields = record.get("inspection") or {}
    for name in INSPECTION_FIELDS:
        data[name] = _text(fields.get(name))
    if fields.get("no_hazards"):
        data["no_hazards"] = "on"
    data.setlist("inspectors", [_text(pk) for pk in fields.get("inspectors") or []])
    files = MultiValueDict()
    phone_hazards = {h["uuid"]: h for h in record.get("hazards", [])}
    # Photos an earlier upload of this record stored are not sent to the form again.
    stored_photos = set(
        HazardPhoto.objects.filter(
            hazard__in=server_hazards,
            client_uuid__in=[p for h in phone_hazards.values() for p in h["photos"]],
        ).values_list("client_uuid", flat=True)
    )
    rows: list[tuple[Hazard | None, dict | None]] = [
        (hazard, phone_hazards.pop(hazard.client_uuid, None)) for hazard in server_hazards
    ]
    rows += [(None, hazard) for hazard in phone_hazards.values()]
    for index, (server, phone) in enumerate(rows):
        prefix = f"hazards-{index}-"
        if server is not None:
            data[prefix + "id"] = str(server.pk)
            data[prefix + "inspection"] = str(server.inspection_id)
        if phone is None:
            data[prefix + "DELETE"] = "on"
            continue
        for name in HAZARD_FIELDS:
            data[prefix + name] = _text((phone.get("fields") or {}).get(name))
        if (phone.get("fields") or {}).get("fixed_on_spot"):
            data[prefix + "fixed_on_spot"] = "on"
        uploads = []
        for photo_uuid in phone["photos"]:
            if photo_uuid in stored_photos:
                continue
            upload = uploaded.get(f"photo-{photo_uuid}")
            if upload is None:
                raise BadRecord
            upload.client_uuid = photo_uuid  # read by save_record when it stores the photo
            uploads.append(upload)
        if uploads:
            files.setlist(prefix + "photos", uploads)
    data["hazards-TOTAL_FORMS"] = str(len(rows))
    data["hazards-INITIAL_FORMS"] = str(len(server_hazards))
    data["hazards-MIN_NUM_FORMS"] = "0"
    data["hazards-MAX_NUM_FORMS"] = "1000"
    return data, files


def _json(status: str, http_status: int = 200, **extra) -> JsonResponse:
    return JsonResponse({"status": status, **extra}, status=http_status)


def _labelled(form, field: str, messages: list[str]) -> list[str]:
    label = form.fields[field].label if field in form.fields else ""
    return [f"{label}：{m}" if label else m for m in messages]


def _form_errors(form, formset, hazard_uuids: list) -> dict:
    """The refusal as the phone shows it: per field (next to the field when the record is
    opened again) and as sentences (next to the record in the list)."""
    errors = {"inspection": {}, "hazards": {}, "reasons": []}
    for field, messages in form.errors.items():
        key = field if field != "__all__" else "non_field"
        errors["inspection"][key] = list(messages)
        errors["reasons"] += _labelled(form, field, list(messages))
    errors["reasons"] += list(formset.non_form_errors())
    for number, (hazard_form, hazard_uuid) in enumerate(
        zip(formset.forms, hazard_uuids, strict=True), start=1
    ):
        if hazard_uuid is None or not hazard_form.errors:
            continue
        errors["hazards"][str(hazard_uuid)] = {
            (k if k != "__all__" else "non_field"): list(v) for k, v in hazard_form.errors.items()
        }
        for field, messages in hazard_form.errors.items():
            errors["reasons"] += [
                f"隐患{number}：{m}" for m in _labelled(hazard_form, field, list(messages))
            ]
    return errors


def _submission_errors(inspection: Inspection, form) -> dict:
    by_pk = dict(Hazard.objects.filter(inspection=inspection).values_list("pk", "client_uuid"))
    numbers = {pk: n for n, pk in enumerate(sorted(by_pk), start=1)}
    errors = {"inspection": {}, "hazards": {}, "reasons": []}
    for key, messages in workflow.submission_errors(inspection).items():
        if key.startswith("hazard-"):
            _, pk, field = key.split("-", 2)
            hazard_uuid = by_pk.get(int(pk))
            if hazard_uuid is not None:
                errors["hazards"].setdefault(str(hazard_uuid), {})[field] = messages
            errors["reasons"] += [f"隐患{numbers.get(int(pk), '')}：{m}" for m in messages]
        else:
            errors["inspection"][key] = messages
            errors["reasons"] += _labelled(form, key, messages)
    return errors


@require_POST
def inspection_sync(request: HttpRequest) -> JsonResponse:
    """Save one record kept on the phone (multipart: `record` JSON, files `photo-<uuid>`).

    200 saved (status "submitted", or "draft" with `errors` when submission was refused and
    the record kept as a draft); 422 refused, nothing saved, `errors` say why; 404 the
    record's UUID belongs to an inspection the user may not edit; 400 not a record."""
    if not may_log_inspections(request.user):
        raise PermissionDenied("只有检查员和安委办可以登记检查记录")
    try:
        record = _parse(request)
        try:
            return _sync(request, record)
        except IntegrityError:
            # A doubled request inserted the same UUID between our look-up and our insert
            # (the user lock makes this rare; SQLite has no row locks): this round finds it.
            return _sync(request, record)
    except BadRecord:
        return _json("bad", 400, message="上传的数据格式有误，请刷新页面后重试")


class _Refused(Exception):
    def __init__(self, response: JsonResponse):
        self.response = response


def _sync(request: HttpRequest, record: dict) -> JsonResponse:
    stored: list[HazardPhoto] = []
    try:
        with transaction.atomic():
            response = _sync_locked(request, record, stored)
            if response.status_code != 200:
                # Whatever a refused round wrote goes: the record is saved whole or not at all.
                raise _Refused(response)
    except _Refused as refused:
        discard_files(stored)
        return refused.response
    except BaseException:
        discard_files(stored)
        raise
    return response


def _sync_locked(request: HttpRequest, record: dict, stored: list) -> JsonResponse:
    user = request.user
    # One phone's uploads of one user run one at a time: a doubled request waits here for the
    # first to commit and then finds the records it made.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    inspection = (
        Inspection.objects.visible_to(user)
        .filter(client_uuid=record["uuid"], created_by=user)
        .first()
    )
    if inspection is None and Inspection.objects.filter(client_uuid=record["uuid"]).exists():
        return _json("not_found", 404, message="该检查记录不存在或不在您的检查范围内")
    if inspection is not None and not inspection.is_draft:
        # Already submitted by an earlier upload of the same record: say so again.
        return _json("submitted", url=reverse("inspection_detail", args=[inspection.pk]))
    if inspection is None:
        inspection = Inspection(
            created_by=user, department_id=user.department_id, client_uuid=record["uuid"]
        )
    server_hazards = (
        list(Hazard.objects.filter(inspection=inspection, client_uuid__isnull=False).order_by("pk"))
        if inspection.pk
        else []
    )
    foreign = Hazard.objects.filter(
        client_uuid__in=[h["uuid"] for h in record.get("hazards", [])]
    ).exclude(pk__in=[h.pk for h in server_hazards])
    if foreign.exists():
        return _json("not_found", 404, message="该检查记录不存在或不在您的检查范围内")
    data, files = _form_data(record, server_hazards, request.FILES)
    # The phone's UUID of each formset row, in the rows' order (None: a row being deleted).
    on_phone = [h["uuid"] for h in record.get("hazards", [])]
    known = {h.client_uuid for h in server_hazards}
    hazard_uuids = [h.client_uuid if h.client_uuid in on_phone else None for h in server_hazards]
    hazard_uuids += [u for u in on_phone if u not in known]
    submitting = bool(record.get("submit"))

    form = InspectionForm(data, instance=inspection, user=user)
    form_ok = form.is_valid()
    formset = hazard_formset_class(extra=0)(
        data,
        files,
        instance=inspection,
        queryset=Hazard.objects.filter(pk__in=[h.pk for h in server_hazards]).order_by("pk"),
        prefix="hazards",
        form_kwargs={
            "department_choices": department_choices(),
            "inspection_date": form.cleaned_data.get("date"),
            "unit": form.cleaned_data.get("unit"),
        },
    )
    formset_ok = formset.is_valid()
    if not (form_ok and formset_ok):
        if submitting:
            put_completeness_errors(form, formset)
        return _json("refused", 422, errors=_form_errors(form, formset, hazard_uuids))
    for hazard_form, hazard_uuid in zip(formset.forms, hazard_uuids, strict=True):
        if hazard_form.instance.pk is None:
            hazard_form.instance.client_uuid = hazard_uuid
    try:
        hazards = save_record(form, formset, user, stored, submitting=submitting)
    except NoLongerDraft:
        return _json("submitted", url=reverse("inspection_detail", args=[inspection.pk]))
    except RolledBack:
        return _json("refused", 422, errors=_form_errors(form, formset, hazard_uuids))
    inspection = form.instance
    if hazards is None:
        return _json(
            "draft",
            url=reverse("inspection_edit", args=[inspection.pk]),
            errors=_submission_errors(inspection, form),
        )
    if submitting:
        return _json(
            "submitted",
            url=reverse("inspection_detail", args=[inspection.pk]),
            numbers=[h.number for h in hazards],
        )
    return _json("draft", url=reverse("inspection_edit", args=[inspection.pk]))
