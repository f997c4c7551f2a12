"""``CaseRevision``: a number per case that PostgreSQL statement triggers change in the transaction of every write
to the case or to a record its next action is computed from, so that what was computed from them can be kept
under (case, revision) and is never read after they changed (``cases.selectors.my_next_actions``).

Each trigger finds the cases its statement touched through its transition tables, looked up by an array of their
ids (reports migration 0008 says why), and gives each a new random revision: one upsert per statement, whatever
the number of rows (a seeder's COPY of 10,000 parties is one). A case's own deletion removes its row. Rows are
created by the first write after this migration (until then a case reads as revision 0, and no process has kept
anything for it). Other databases get no triggers and no rows: nothing is kept there.
"""

from django.db import migrations, models

REVISE = """INSERT INTO cases_caserevision (case_id, revision)
    SELECT touched.id, (random() * 9.2e18)::bigint
    FROM (SELECT DISTINCT unnest(ARRAY({cases})) AS id) AS touched WHERE touched.id IS NOT NULL
    ON CONFLICT (case_id) DO UPDATE SET revision = EXCLUDED.revision"""  # nosec B608: constant SQL

# The cases of the rows of a transition table, written as {rows}: a table's own case_id, or through its party,
# person, meeting or agreement.
OWN = "SELECT case_id FROM {rows}"
BY_PARTY = "SELECT p.case_id FROM cases_party p WHERE p.id = ANY (ARRAY(SELECT party_id FROM {rows}))"
BY_PERSON = "SELECT p.case_id FROM cases_party p WHERE p.person_id = ANY (ARRAY(SELECT id FROM {rows}))"
BY_MEETING = "SELECT m.case_id FROM mediation_meeting m WHERE m.id = ANY (ARRAY(SELECT meeting_id FROM {rows}))"
BY_AGREEMENT = "SELECT a.case_id FROM agreements_agreement a WHERE a.id = ANY (ARRAY(SELECT agreement_id FROM {rows}))"
ALL = ("INSERT", "UPDATE", "DELETE")
# table: (its rows' cases, the operations that may change them). A person is inserted before their parts and
# deleted after them (PROTECT): only their updates matter, and inserts when a seeder defers the keys.
WATCHED = {
    "cases_case": ("SELECT id FROM {rows}", ("INSERT", "UPDATE")),
    "cases_party": (OWN, ALL),
    "cases_person": (BY_PERSON, ("INSERT", "UPDATE")),
    "mediation_contactattempt": (BY_PARTY, ALL),
    "mediation_screening": (BY_PARTY, ALL),
    "mediation_meeting": (OWN, ALL),
    "mediation_meeting_attendees": (BY_MEETING, ALL),
    "mediation_shuttleround": (OWN, ALL),
    "agreements_agreement": (OWN, ALL),
    "agreements_signature": (BY_AGREEMENT, ALL),
    "agreements_followupsummary": (BY_AGREEMENT, ALL),
}
REFERENCING = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def _cases(source: str, operation: str) -> str:
    if operation == "UPDATE":  # a row moved to another case (a party re-linked) touches both
        return f"{source.format(rows='new_rows')} UNION ALL {source.format(rows='old_rows')}"
    return source.format(rows="new_rows" if operation == "INSERT" else "old_rows")


def _name(table: str, operation: str) -> str:
    return f"{table}_revise_{operation.lower()}"


def _trigger(name: str, table: str, operation: str, body: str) -> list[str]:
    return [
        f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {body};
    RETURN NULL;
END $$""",
        f"CREATE TRIGGER {name} AFTER {operation} ON {table} {REFERENCING[operation]} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
    ]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = []
    for table, (source, operations) in WATCHED.items():
        for operation in operations:
            statements += _trigger(_name(table, operation), table, operation,
                                   REVISE.format(cases=_cases(source, operation)))  # fmt: skip
    removed = "DELETE FROM cases_caserevision WHERE case_id = ANY (ARRAY(SELECT id FROM old_rows))"
    statements += _trigger(_name("cases_case", "DELETE"), "cases_case", "DELETE", removed)
    for statement in statements:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    named = [(table, operation) for table, (_source, operations) in WATCHED.items() for operation in operations]
    for table, operation in [*named, ("cases_case", "DELETE")]:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {_name(table, operation)} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {_name(table, operation)}()")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0024_party_names_computed_once"),
        ("mediation", "0004_meeting_interpreter"),
        ("agreements", "0009_follow_up_summary_placement"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseRevision",
            fields=[
                ("case_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("revision", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
