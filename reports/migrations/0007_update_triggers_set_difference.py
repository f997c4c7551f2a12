"""The read models' UPDATE triggers find the rows whose watched columns changed by a set difference of the
transition tables (``old EXCEPT new``) instead of joining ``old_rows`` to ``new_rows`` on the id.

PL/pgSQL plans each statement of a trigger function once per connection and keeps the plan, sized for the
transition tables of the first call. After an UPDATE of one row (a case saved), that plan pairs the two tables
by a nested loop, scanning one whole table for each row of the other: a later UPDATE of 1,700 cases in the same
connection (the seeder's party names, a bulk stage move, a sweep) then took 14.7 s in the three case triggers
instead of 0.45 s. A set difference is hashed or sorted whatever the estimate, and gives the same rows: the old
(or new) side of each row whose id or any watched column differs (NULLs compared as equal, as IS DISTINCT FROM
does); the statements downstream read only those columns.

Every trigger function of the schema written with that join is rewritten in place (``CREATE OR REPLACE``: the
triggers keep pointing at it): the read models' (reports 0002-0006) and the party names' (cases 0022). Their
bodies are otherwise unchanged, and reversing restores them.
"""

import re

from django.db import migrations

JOINED = re.compile(
    r"SELECT (?P<side>[on])\.(?P<column>\*|\w+) FROM old_rows o JOIN new_rows n ON n\.id = o\.id "
    r"WHERE (?P<changed>o\.\w+ IS DISTINCT FROM n\.\w+(?: OR o\.\w+ IS DISTINCT FROM n\.\w+)*)"
)
SUBTRACTED = re.compile(
    r"SELECT changed\.(?P<column>\*|\w+) FROM \(SELECT id, (?P<columns>[\w, ]+) FROM (?P<first>old_rows|new_rows) "
    r"EXCEPT SELECT id, (?P=columns) FROM (?:old_rows|new_rows)\) AS changed"
)
TABLES = {"o": ("old_rows", "new_rows"), "n": ("new_rows", "old_rows")}


def _subtracted(match: re.Match) -> str:
    pairs = re.findall(r"o\.(\w+) IS DISTINCT FROM n\.(\w+)", match["changed"])
    if any(old != new for old, new in pairs):
        raise ValueError(f"Unexpected comparison in {match[0]!r}")
    columns = ", ".join(old for old, _ in pairs)
    first, second = TABLES[match["side"]]
    # Names read from the schema's own trigger functions, never input.
    return (
        f"SELECT changed.{match['column']} FROM (SELECT id, {columns} FROM {first} "  # noqa: S608  # nosec B608
        f"EXCEPT SELECT id, {columns} FROM {second}) AS changed"
    )


def _joined(match: re.Match) -> str:
    side = "o" if match["first"] == "old_rows" else "n"
    changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in match["columns"].split(", "))
    return f"SELECT {side}.{match['column']} FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed}"  # noqa: S608  # nosec B608


def _rewrite(schema_editor, pattern: re.Pattern, replace) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text, p.prosrc FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
            "WHERE l.lanname = 'plpgsql' AND p.pronamespace = current_schema()::regnamespace "
            "AND p.prorettype = 'trigger'::regtype ORDER BY 1"
        )
        functions = cursor.fetchall()
    for signature, source in functions:
        rewritten = pattern.sub(replace, source)
        if rewritten != source:
            if "$body$" in rewritten:
                raise ValueError(f"{signature}: its body cannot be quoted")
            schema_editor.execute(
                f"CREATE OR REPLACE FUNCTION {signature} RETURNS trigger LANGUAGE plpgsql AS $body${rewritten}$body$"
            )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rewrite(schema_editor, JOINED, _subtracted)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rewrite(schema_editor, SUBTRACTED, _joined)


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_survey_day_figures"), ("cases", "0023_party_names_statistics")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
