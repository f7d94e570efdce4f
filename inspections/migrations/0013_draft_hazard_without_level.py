from django.db import migrations, models

from units.changes import drop_trigger_sql, stamp_trigger_sql

# On SQLite, changing a constraint rebuilds inspections_hazard (create, copy, drop, rename).
# The rename fails while the event table's trigger (0009) names the hazard table, and the
# drop takes the hazard's own change-stamp triggers with it: lift them off, then put them back.
SQLITE_EVENT_TRIGGER = (
    "CREATE TRIGGER inspections_hazardevent_touch AFTER INSERT ON inspections_hazardevent "
    "BEGIN UPDATE inspections_hazard SET change_seq = change_seq WHERE id = NEW.hazard_id; END"
)


def lift_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS inspections_hazardevent_touch")
    for statement in drop_trigger_sql("inspections_hazard", "sqlite"):
        schema_editor.execute(statement)


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    lift_sqlite_triggers(apps, schema_editor)
    for statement in stamp_trigger_sql("inspections_hazard", "sqlite"):
        schema_editor.execute(statement)
    schema_editor.execute(SQLITE_EVENT_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0012_bulletin_adjustments"),
    ]

    operations = [
        migrations.RunPython(lift_sqlite_triggers, restore_sqlite_triggers),
        migrations.RemoveConstraint(
            model_name="hazard",
            name="hazard_level_valid",
        ),
        migrations.AddConstraint(
            model_name="hazard",
            constraint=models.CheckConstraint(
                condition=models.Q(("level__in", ["general", "major"]))
                | models.Q(("level", ""), ("status", "draft")),
                name="hazard_level_valid",
            ),
        ),
        migrations.RunPython(restore_sqlite_triggers, lift_sqlite_triggers),
    ]
