"""Bigram text search on PostgreSQL (units/search.py explains it); nothing on SQLite.

The function lives here, in the lower layer, so the inspections migration can build its
hazard index on it too.
"""

from django.db import migrations

# The distinct 2-character substrings of each run between whitespace/punctuation (ASCII, the
# ideographic space and CJK punctuation). A run of one character gives nothing: only a term of
# one character could look it up, and such a term never uses the index. No case folding: the
# searches it serves are case-sensitive LIKEs (an upper-cased code is looked up as such).
# IMMUTABLE (no locale-dependent classes, explicit characters) so it may index an expression.
CREATE_FUNCTION = r"""
CREATE FUNCTION anjian_bigrams(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(run, i, 2)), '{}')
    FROM regexp_split_to_table(
             doc, '[\s!-/:-@\[-`{-~\u3000，。、；：？！“”‘’（）《》〈〉【】「」『』…—·～]+') AS run,
         generate_series(1, length(run) - 1) AS i
$$
"""

# For the unit list's 关键词 (name, address, credit code) and the ledger's 关键词 on unit names
# (units/filters.py UnitFilter.filter_text, inspections/filters.py HazardFilter.filter_text).
# The expression must read exactly like units.search.BigramMatch(UNIT_DOCUMENT, …).
CREATE_INDEX = """
CREATE INDEX unit_text_bigram_idx ON units_unit USING gin (anjian_bigrams(
    COALESCE(name, '') || ' ' || COALESCE(address, '') || ' ' || COALESCE(credit_code, '')))
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_FUNCTION)
        schema_editor.execute(CREATE_INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS unit_text_bigram_idx")
        schema_editor.execute("DROP FUNCTION IF EXISTS anjian_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("units", "0003_unit_name_index"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
