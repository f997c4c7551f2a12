"""A case's ``party_names`` computed once per write instead of up to three times (cases migration 0022).

Before: the case's BEFORE trigger computed the names of every inserted case, although a new case has no parties
yet; then the parties' statement trigger computed them again to find the cases whose names changed, and set
the column to '' so that the BEFORE trigger would compute them a third time, each call of the SQL function
planned anew. Seeding 100,000 cases paid that 300,000 times.

Now the BEFORE trigger computes the names of an inserted case only when it has parties (they can be written
first while the foreign keys are deferred), and the statement triggers compute the names of all the cases
concerned in one grouped query and write them; the BEFORE trigger trusts an UPDATE made from inside a trigger
(``pg_trigger_depth() > 1``), which only these triggers make on the column
(``tests/vom/test_trigger_functions.py`` holds every other trigger function to leaving it alone). An UPDATE from
outside a trigger that names the column (a Django ``save()`` of a stale instance, plain SQL) is still
recomputed, as before.
"""

import importlib

from django.db import migrations

names = importlib.import_module("cases.migrations.0022_case_party_names")
closing_of = importlib.import_module("reports.migrations.0008_trigger_lookups_by_array")._closing

STATEMENTS = [names._name(table, operation) for table, operation in names.WATCHED]
# The statement each trigger function runs, around the cases concerned (an array subquery, reports 0008).
OLD = ("UPDATE cases_case SET party_names = '' WHERE id = ANY (ARRAY(",
       ")) AND party_names IS DISTINCT FROM cases_case_names(id);")  # fmt: skip
NEW = (
    "WITH touched (id) AS (SELECT DISTINCT unnest(ARRAY(",
    f""")))
    UPDATE cases_case c SET party_names = COALESCE(g.names, '') FROM touched t LEFT JOIN (
        SELECT p.case_id, {names.NAMES} AS names {names.FROM_PARTIES}
        AND p.case_id = ANY (ARRAY(SELECT id FROM touched)) GROUP BY p.case_id
    ) g ON g.case_id = t.id
    WHERE c.id = t.id AND c.party_names IS DISTINCT FROM COALESCE(g.names, '');""",  # nosec B608: constant SQL
)

ROW_BEFORE = """
BEGIN
    NEW.party_names := cases_case_names(NEW.id);
    RETURN NEW;
END """
ROW_AFTER = """
BEGIN
    IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
        RETURN NEW;  -- a party-name trigger's UPDATE: it wrote the names it computed
    END IF;
    IF TG_OP = 'INSERT' AND NOT EXISTS (SELECT FROM cases_party WHERE case_id = NEW.id) THEN
        NEW.party_names := '';
    ELSE
        NEW.party_names := cases_case_names(NEW.id);
    END IF;
    RETURN NEW;
END """


def _swap(source: str, old: tuple[str, str], new: tuple[str, str]) -> str:
    """``source`` with its statement ``old`` around the cases concerned made ``new`` around the same cases."""
    start = source.index(old[0])
    opening = start + len(old[0]) - 1
    closing = closing_of(source, opening)
    if not source.startswith(old[1], closing):
        raise ValueError(f"Unexpected trigger function body: {source!r}")
    return source[:start] + new[0] + source[opening + 1 : closing] + new[1] + source[closing + len(old[1]) :]


def _replace(schema_editor, statements: tuple, row: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname = ANY (%s) "
            "AND pronamespace = current_schema()::regnamespace",
            [STATEMENTS],
        )
        sources = dict(cursor.fetchall())
    for name in STATEMENTS:
        body = _swap(sources[name], *statements)
        schema_editor.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body${body}$body$")
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION cases_case_party_names() RETURNS trigger LANGUAGE plpgsql AS $body${row}$body$"
    )


def forwards(apps, schema_editor):
    _replace(schema_editor, (OLD, NEW), ROW_AFTER)


def backwards(apps, schema_editor):
    _replace(schema_editor, (NEW, OLD), ROW_BEFORE)


class Migration(migrations.Migration):
    dependencies = [("cases", "0023_party_names_statistics"), ("reports", "0008_trigger_lookups_by_array")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
