"""Client-made identifiers of records captured offline on a phone (views/offline.py).

Partial unique constraints, not unique=True: SQLite (the demo) then adds an index instead of
rebuilding the tables, which would lose their change_seq triggers."""

from django.db import migrations, models
from django.db.models import Q


def uuid_field():
    return models.UUIDField(blank=True, editable=False, null=True, verbose_name="本机记录标识")


def unique(name):
    return models.UniqueConstraint(
        condition=Q(client_uuid__isnull=False),
        fields=("client_uuid",),
        name=f"{name}_client_uuid_unique",
    )


class Migration(migrations.Migration):
    dependencies = [("inspections", "0032_history_triggers_for_unit_accounts")]

    operations = [
        migrations.AddField(model_name="inspection", name="client_uuid", field=uuid_field()),
        migrations.AddField(model_name="hazard", name="client_uuid", field=uuid_field()),
        migrations.AddField(model_name="hazardphoto", name="client_uuid", field=uuid_field()),
        migrations.AddConstraint(model_name="inspection", constraint=unique("inspection")),
        migrations.AddConstraint(model_name="hazard", constraint=unique("hazard")),
        migrations.AddConstraint(model_name="hazardphoto", constraint=unique("hazardphoto")),
    ]
