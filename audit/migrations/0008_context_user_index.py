from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_history_of_void_deactivation_links")]

    operations = [
        # The change list's 操作人 filter: the contexts (requests, tasks) of one user.
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS audit_context_user_idx"
            " ON pghistory_context ((metadata->>'user'))",
            "DROP INDEX IF EXISTS audit_context_user_idx",
        ),
    ]
