"""The statement triggers look rows up by an array of the transition table's ids (``x = ANY (ARRAY(SELECT …))``)
instead of a semi-join (``x IN (SELECT …)``).

PL/pgSQL keeps each statement's plan for the connection, sized when it was first run. On a database whose
tables were still small then (a fresh seed), the offenders' trigger planned ``p.person_id IN (SELECT … FROM
new_rows)`` as a semi-join that reads the transition table again for every party row, and kept that plan as the
parties grew: at 4,000 cases one COPY of a batch's parties ran for more than 11 minutes. An array subquery is
computed once, before the lookup, which then reads the index (or hashes the array) whatever the estimates; in a
WHERE clause it gives the same rows as IN (a NULL in it matches nothing either way).

Every trigger function of the schema is rewritten in place (``CREATE OR REPLACE``), its body otherwise unchanged;
reversing restores the semi-joins.
"""

from django.db import migrations

SEMI_JOIN = " IN ("
ARRAY = " = ANY (ARRAY("


def _closing(source: str, opening: int) -> int:
    """The index of the parenthesis that closes the one at ``opening``."""
    depth = 0
    for index in range(opening, len(source)):
        if source[index] == "(":
            depth += 1
        elif source[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"Unbalanced parentheses in {source!r}")


def to_arrays(source: str) -> str:
    out, position = [], 0
    while (found := source.find(SEMI_JOIN, position)) >= 0:
        opening = found + len(SEMI_JOIN) - 1
        if not source[opening + 1 :].lstrip("(").startswith("SELECT "):
            out.append(source[position : opening + 1])
            position = opening + 1
            continue
        closing = _closing(source, opening)
        out += [source[position:found], ARRAY, to_arrays(source[opening + 1 : closing]), "))"]
        position = closing + 1
    return "".join(out) + source[position:]


def to_semi_joins(source: str) -> str:
    out, position = [], 0
    while (found := source.find(ARRAY, position)) >= 0:
        opening = found + len(ARRAY) - 1
        closing = _closing(source, opening)
        out += [source[position:found], SEMI_JOIN, to_semi_joins(source[opening + 1 : closing]), ")"]
        position = closing + 2  # the ARRAY's parenthesis, then ANY's
    return "".join(out) + source[position:]


def _rewrite(schema_editor, change) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text, p.prosrc FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
            "WHERE l.lanname = 'plpgsql' AND p.pronamespace = current_schema()::regnamespace "
            "AND p.prorettype = 'trigger'::regtype ORDER BY 1"
        )
        functions = cursor.fetchall()
    for signature, source in functions:
        rewritten = change(source)
        if rewritten != source:
            if "$body$" in rewritten:
                raise ValueError(f"{signature}: its body cannot be quoted")
            schema_editor.execute(
                f"CREATE OR REPLACE FUNCTION {signature} RETURNS trigger LANGUAGE plpgsql AS $body${rewritten}$body$"
            )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rewrite(schema_editor, to_arrays)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rewrite(schema_editor, to_semi_joins)


class Migration(migrations.Migration):
    dependencies = [("reports", "0007_update_triggers_set_difference")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
