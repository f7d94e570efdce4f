"""Client-made identifiers of records captured offline on a phone (inspections/sync.py)."""

from django.db import migrations, models


def uuid_field():
    return models.UUIDField(
        blank=True, editable=False, null=True, unique=True, verbose_name="本机记录标识"
    )


class Migration(migrations.Migration):
    dependencies = [("inspections", "0028_documents")]

    operations = [
        migrations.AddField(model_name="inspection", name="client_uuid", field=uuid_field()),
        migrations.AddField(model_name="hazard", name="client_uuid", field=uuid_field()),
        migrations.AddField(model_name="hazardphoto", name="client_uuid", field=uuid_field()),
    ]
