# History triggers regenerated for the new columns (generated: the coordinator regenerates
# these after merging; see audit/tracking.py).

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("units", "0008_user_deactivation_reason"),
        ("audit", "0005_history_of_user_deactivation"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='user',
            name='insert_insert',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='user',
            name='update_update',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='user',
            name='delete_delete',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='user',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_userhistory" ("deactivated_at", "deactivated_by_id", "deactivation_reason", "department_id", "email", "is_active", "is_staff", "is_superuser", "must_change_password", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "role", "username") VALUES (NEW."deactivated_at", NEW."deactivated_by_id", NEW."deactivation_reason", NEW."department_id", NEW."email", NEW."is_active", NEW."is_staff", NEW."is_superuser", NEW."must_change_password", NEW."name", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."phone", NEW."role", NEW."username"); RETURN NULL;', hash='dcf2b74c9b818ede59df4f95e7c759d34350da7c', operation='INSERT', pgid='pgtrigger_insert_insert_f0b08', table='units_user', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='user',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."deactivated_at" IS DISTINCT FROM (NEW."deactivated_at") OR OLD."deactivated_by_id" IS DISTINCT FROM (NEW."deactivated_by_id") OR OLD."deactivation_reason" IS DISTINCT FROM (NEW."deactivation_reason") OR OLD."department_id" IS DISTINCT FROM (NEW."department_id") OR OLD."email" IS DISTINCT FROM (NEW."email") OR OLD."is_active" IS DISTINCT FROM (NEW."is_active") OR OLD."is_staff" IS DISTINCT FROM (NEW."is_staff") OR OLD."is_superuser" IS DISTINCT FROM (NEW."is_superuser") OR OLD."must_change_password" IS DISTINCT FROM (NEW."must_change_password") OR OLD."name" IS DISTINCT FROM (NEW."name") OR OLD."phone" IS DISTINCT FROM (NEW."phone") OR OLD."role" IS DISTINCT FROM (NEW."role") OR OLD."username" IS DISTINCT FROM (NEW."username"))', func='INSERT INTO "audit_userhistory" ("deactivated_at", "deactivated_by_id", "deactivation_reason", "department_id", "email", "is_active", "is_staff", "is_superuser", "must_change_password", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "role", "username") VALUES (NEW."deactivated_at", NEW."deactivated_by_id", NEW."deactivation_reason", NEW."department_id", NEW."email", NEW."is_active", NEW."is_staff", NEW."is_superuser", NEW."must_change_password", NEW."name", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."phone", NEW."role", NEW."username"); RETURN NULL;', hash='5c8c4f249e6f6e6ad339b81362790043a230b259', operation='UPDATE', pgid='pgtrigger_update_update_0de8a', table='units_user', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='user',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_userhistory" ("deactivated_at", "deactivated_by_id", "deactivation_reason", "department_id", "email", "is_active", "is_staff", "is_superuser", "must_change_password", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "role", "username") VALUES (OLD."deactivated_at", OLD."deactivated_by_id", OLD."deactivation_reason", OLD."department_id", OLD."email", OLD."is_active", OLD."is_staff", OLD."is_superuser", OLD."must_change_password", OLD."name", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."phone", OLD."role", OLD."username"); RETURN NULL;', hash='e536ff4269717994ea980feebd8e37bf5425f0bb', operation='DELETE', pgid='pgtrigger_delete_delete_19537', table='units_user', when='AFTER')),
        ),
    ]
