from django.db import migrations


def forwards(apps, schema_editor):
    from units.reference import load_reference_data

    load_reference_data(apps.get_model("units", "Department"), apps.get_model("units", "Category"))


class Migration(migrations.Migration):
    dependencies = [("units", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
