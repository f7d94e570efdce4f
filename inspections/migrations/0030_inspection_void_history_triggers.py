# The history triggers of inspections_inspection, regenerated for the 作废 columns (generated:
# the coordinator regenerates these after merging; see audit/tracking.py).

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("inspections", "0029_inspection_void"),
        ("audit", "0004_history_of_inspection_void"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='inspection',
            name='insert_insert',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='inspection',
            name='update_update',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='inspection',
            name='delete_delete',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='inspection',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_inspectionhistory" ("campaign_id", "checked_items", "created_at", "created_by_id", "date", "department_id", "id", "kind", "no_hazards", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "status", "submitted_at", "summary", "unit_id", "void_reason", "voided_at", "voided_by_id") VALUES (NEW."campaign_id", NEW."checked_items", NEW."created_at", NEW."created_by_id", NEW."date", NEW."department_id", NEW."id", NEW."kind", NEW."no_hazards", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."status", NEW."submitted_at", NEW."summary", NEW."unit_id", NEW."void_reason", NEW."voided_at", NEW."voided_by_id"); RETURN NULL;', hash='d1b3c1e0f9a0dbc2de67110891ced6948781518b', operation='INSERT', pgid='pgtrigger_insert_insert_f089c', table='inspections_inspection', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='inspection',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."campaign_id" IS DISTINCT FROM (NEW."campaign_id") OR OLD."checked_items" IS DISTINCT FROM (NEW."checked_items") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."created_by_id" IS DISTINCT FROM (NEW."created_by_id") OR OLD."date" IS DISTINCT FROM (NEW."date") OR OLD."department_id" IS DISTINCT FROM (NEW."department_id") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."kind" IS DISTINCT FROM (NEW."kind") OR OLD."no_hazards" IS DISTINCT FROM (NEW."no_hazards") OR OLD."status" IS DISTINCT FROM (NEW."status") OR OLD."submitted_at" IS DISTINCT FROM (NEW."submitted_at") OR OLD."summary" IS DISTINCT FROM (NEW."summary") OR OLD."unit_id" IS DISTINCT FROM (NEW."unit_id") OR OLD."void_reason" IS DISTINCT FROM (NEW."void_reason") OR OLD."voided_at" IS DISTINCT FROM (NEW."voided_at") OR OLD."voided_by_id" IS DISTINCT FROM (NEW."voided_by_id"))', func='INSERT INTO "audit_inspectionhistory" ("campaign_id", "checked_items", "created_at", "created_by_id", "date", "department_id", "id", "kind", "no_hazards", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "status", "submitted_at", "summary", "unit_id", "void_reason", "voided_at", "voided_by_id") VALUES (NEW."campaign_id", NEW."checked_items", NEW."created_at", NEW."created_by_id", NEW."date", NEW."department_id", NEW."id", NEW."kind", NEW."no_hazards", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."status", NEW."submitted_at", NEW."summary", NEW."unit_id", NEW."void_reason", NEW."voided_at", NEW."voided_by_id"); RETURN NULL;', hash='661636841c1c4eb269471f2778529b8be93059d3', operation='UPDATE', pgid='pgtrigger_update_update_fe5c3', table='inspections_inspection', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='inspection',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_inspectionhistory" ("campaign_id", "checked_items", "created_at", "created_by_id", "date", "department_id", "id", "kind", "no_hazards", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "status", "submitted_at", "summary", "unit_id", "void_reason", "voided_at", "voided_by_id") VALUES (OLD."campaign_id", OLD."checked_items", OLD."created_at", OLD."created_by_id", OLD."date", OLD."department_id", OLD."id", OLD."kind", OLD."no_hazards", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."status", OLD."submitted_at", OLD."summary", OLD."unit_id", OLD."void_reason", OLD."voided_at", OLD."voided_by_id"); RETURN NULL;', hash='b0cc481c924d11033fe0a1bfc11b20e8b835c14d', operation='DELETE', pgid='pgtrigger_delete_delete_6efc3', table='inspections_inspection', when='AFTER')),
        ),
    ]
