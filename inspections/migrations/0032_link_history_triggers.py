# History triggers regenerated for the new columns (generated: the coordinator regenerates
# these after merging; see audit/tracking.py).

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("inspections", "0031_explicit_m2m_through"),
        ("audit", "0006_history_of_links"),
    ]

    operations = [
        pgtrigger.migrations.AddTrigger(
            model_name='campaignarea',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_campaignareashistory" ("area_id", "campaign_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label") VALUES (NEW."area_id", NEW."campaign_id", NEW."id", _pgh_attach_context(), NOW(), \'insert\'); RETURN NULL;', hash='be35f75c75145cf4522be582e31528d7d682f667', operation='INSERT', pgid='pgtrigger_insert_insert_8aa3c', table='inspections_campaign_areas', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='campaignarea',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_campaignareashistory" ("area_id", "campaign_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label") VALUES (OLD."area_id", OLD."campaign_id", OLD."id", _pgh_attach_context(), NOW(), \'delete\'); RETURN NULL;', hash='f31efddd05891e977c0d3ec65c7114b66fc1de82', operation='DELETE', pgid='pgtrigger_delete_delete_11152', table='inspections_campaign_areas', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='campaigncategory',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_campaigncategorieshistory" ("campaign_id", "category_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label") VALUES (NEW."campaign_id", NEW."category_id", NEW."id", _pgh_attach_context(), NOW(), \'insert\'); RETURN NULL;', hash='0bbe2d2931896a3ae75c3b27aa188ab1072757f6', operation='INSERT', pgid='pgtrigger_insert_insert_36e75', table='inspections_campaign_categories', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='campaigncategory',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_campaigncategorieshistory" ("campaign_id", "category_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label") VALUES (OLD."campaign_id", OLD."category_id", OLD."id", _pgh_attach_context(), NOW(), \'delete\'); RETURN NULL;', hash='d2b63f254dee58048679ff4ee5d84545d6444afc', operation='DELETE', pgid='pgtrigger_delete_delete_d7944', table='inspections_campaign_categories', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='enforcementactionhazard',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_enforcementactionhazardshistory" ("enforcementaction_id", "hazard_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label") VALUES (NEW."enforcementaction_id", NEW."hazard_id", NEW."id", _pgh_attach_context(), NOW(), \'insert\'); RETURN NULL;', hash='c2bef39857d688a6dd6ea2fca30ca8defaf7012d', operation='INSERT', pgid='pgtrigger_insert_insert_335d1', table='inspections_enforcementaction_hazards', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='enforcementactionhazard',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_enforcementactionhazardshistory" ("enforcementaction_id", "hazard_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label") VALUES (OLD."enforcementaction_id", OLD."hazard_id", OLD."id", _pgh_attach_context(), NOW(), \'delete\'); RETURN NULL;', hash='423156fd966f33d32fb3d24f444680efbc492c4a', operation='DELETE', pgid='pgtrigger_delete_delete_cf9fb', table='inspections_enforcementaction_hazards', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='inspectioninspector',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_inspectioninspectorshistory" ("id", "inspection_id", "pgh_context_id", "pgh_created_at", "pgh_label", "user_id") VALUES (NEW."id", NEW."inspection_id", _pgh_attach_context(), NOW(), \'insert\', NEW."user_id"); RETURN NULL;', hash='7d61dbdd48332e63a3f7c1da03ebf88a94c5e49c', operation='INSERT', pgid='pgtrigger_insert_insert_fdda3', table='inspections_inspection_inspectors', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='inspectioninspector',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_inspectioninspectorshistory" ("id", "inspection_id", "pgh_context_id", "pgh_created_at", "pgh_label", "user_id") VALUES (OLD."id", OLD."inspection_id", _pgh_attach_context(), NOW(), \'delete\', OLD."user_id"); RETURN NULL;', hash='0f8a645cc02b53a0df34c60d3ef2dbc71ee270e1', operation='DELETE', pgid='pgtrigger_delete_delete_f1d6d', table='inspections_inspection_inspectors', when='AFTER')),
        ),
    ]
