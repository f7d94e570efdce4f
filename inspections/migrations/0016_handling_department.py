import django.db.models.deletion
from django.db import migrations, models


def restore_first_lead(apps, schema_editor):
    """Before 首办负责制 a transfer overwrote the lead department. For each hazard transferred
    after its assignment, the department it was first transferred from is its 首办; the one it
    sits with now is its 承办."""
    HazardEvent = apps.get_model("inspections", "HazardEvent")
    Hazard = apps.get_model("inspections", "Hazard")
    Department = apps.get_model("units", "Department")
    by_name = dict(Department.objects.values_list("name", "pk"))
    transferred = HazardEvent.objects.filter(action="transfer").values("hazard_id").distinct()
    events = (
        HazardEvent.objects.filter(hazard_id__in=transferred, action__in=["assign", "transfer"])
        .order_by("hazard_id", "created_at", "id")
        .values_list("hazard_id", "action", "data")
    )
    first_lead: dict[int, int] = {}
    assigned: set[int] = set()
    for hazard_id, action, data in events.iterator():
        if action == "assign":
            assigned.add(hazard_id)
        elif hazard_id in assigned and hazard_id not in first_lead:
            department_id = by_name.get((data or {}).get("from_department"))
            if department_id:
                first_lead[hazard_id] = department_id
    for hazard in Hazard.objects.filter(pk__in=list(first_lead)).only("pk", "lead_department_id"):
        lead = first_lead[hazard.pk]
        if lead != hazard.lead_department_id:
            Hazard.objects.filter(pk=hazard.pk).update(
                lead_department_id=lead, handling_department_id=hazard.lead_department_id
            )


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0015_event_notifications"),
        ("units", "0005_api_role_change_seq"),
    ]

    operations = [
        migrations.AddField(
            model_name="hazard",
            name="handling_department",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="handled_hazards",
                to="units.department",
                verbose_name="承办部门",
            ),
        ),
        migrations.RunPython(restore_first_lead, migrations.RunPython.noop),
    ]
