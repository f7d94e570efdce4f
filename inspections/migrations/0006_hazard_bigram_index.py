"""GIN index for the ledger's 关键词 on PostgreSQL (units/search.py explains it); nothing on
SQLite."""

from django.db import migrations

# For inspections/filters.py HazardFilter.filter_text: `?q=消防` on /hazards/ and its export.
# The expression must read exactly like units.search.BigramMatch(HAZARD_DOCUMENT, …).
# Built inside the migration's transaction (not CONCURRENTLY): about 20 s at 1M hazards.
CREATE_INDEX = """
CREATE INDEX hazard_text_bigram_idx ON inspections_hazard USING gin (anjian_bigrams(
    COALESCE(number, '') || ' ' || COALESCE(description, '')))
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS hazard_text_bigram_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0005_bulletins_requirements"),
        ("units", "0004_bigram_search"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
