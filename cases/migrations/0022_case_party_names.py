"""``Case.party_names``: the parties' names on the case row, kept by PostgreSQL triggers, with a trigram index, so
that the caseload's name search reads case rows alone instead of joining every matching person to their parties
and cases before it can count or page (docs/benchmarks.md, "A million cases").

One function computes a case's names from its parties and their people (``cases_case_names``), and every write
goes through it: a BEFORE trigger on the case sets the column on insert and whenever an UPDATE names it (so a
Django ``save()`` of an instance read before a party changed cannot store stale names), and statement-level
triggers on ``cases_party`` (a party added, removed or moved to another person: minimising, anonymising) and
``cases_person`` (a name changed) touch the cases concerned in the same transaction, whoever writes: a
service, Django admin, ``update()``, plain SQL or the seeders' bulk inserts. Existing rows are filled by one
set-based UPDATE before the triggers exist. Other databases get no triggers and the search reads the parties
there (``CaseQuerySet.search``). pg_trgm is a trusted extension: the database's owner, who migrates, may create it.
"""

from django.db import migrations, models

# A case's names from rows ``p`` (its parties) joined to ``q`` (their people): each non-empty name upper-cased
# as the search upper-cases (PostgreSQL's UPPER), a '|' inside a name made a space so that '|' starts names
# only, distinct, in code-point order, each one started and the last one ended by '|'; '' without names.
NAMES = """COALESCE('|' || string_agg(DISTINCT replace(upper(n.name), '|', ' ') COLLATE "C", '|'
                          ORDER BY replace(upper(n.name), '|', ' ') COLLATE "C") || '|', '')"""
FROM_PARTIES = """FROM cases_party p JOIN cases_person q ON q.id = p.person_id
    CROSS JOIN LATERAL unnest(ARRAY[q.first_name, q.last_name, q.organisation_name]) AS n (name)
    WHERE n.name <> ''"""

FUNCTION = f"""CREATE FUNCTION cases_case_names(case_id bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT {NAMES} {FROM_PARTIES} AND p.case_id = $1
$$"""

BACKFILL = f"""UPDATE cases_case c SET party_names = names.names
FROM (SELECT p.case_id, {NAMES} AS names {FROM_PARTIES} GROUP BY p.case_id) AS names
WHERE names.case_id = c.id AND c.party_names IS DISTINCT FROM names.names"""  # nosec B608: constant SQL

# The cases whose names a statement may have changed, from its transition tables.
CHANGED_PARTIES = "(SELECT {side}.case_id FROM old_rows o JOIN new_rows n ON n.id = o.id " \
    "WHERE o.case_id IS DISTINCT FROM n.case_id OR o.person_id IS DISTINCT FROM n.person_id)"  # fmt: skip
RENAMED = "(SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.first_name IS DISTINCT FROM " \
    "n.first_name OR o.last_name IS DISTINCT FROM n.last_name OR o.organisation_name IS DISTINCT FROM " \
    "n.organisation_name)"  # fmt: skip
WATCHED = {
    ("cases_party", "INSERT"): ("NEW TABLE AS new_rows", "SELECT case_id FROM new_rows"),
    ("cases_party", "DELETE"): ("OLD TABLE AS old_rows", "SELECT case_id FROM old_rows"),
    ("cases_party", "UPDATE"): (
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        f"{CHANGED_PARTIES.format(side='o')} UNION {CHANGED_PARTIES.format(side='n')}",
    ),
    ("cases_person", "INSERT"): (
        "NEW TABLE AS new_rows",
        "SELECT p.case_id FROM cases_party p WHERE p.person_id IN (SELECT id FROM new_rows)",
    ),
    ("cases_person", "UPDATE"): (
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        f"SELECT p.case_id FROM cases_party p WHERE p.person_id IN {RENAMED}",  # nosec B608: constant SQL
    ),
}
# Setting the column to anything makes the case's BEFORE trigger recompute it; unchanged rows are not written.
REFRESH = "UPDATE cases_case SET party_names = '' WHERE id IN ({cases}) " \
    "AND party_names IS DISTINCT FROM cases_case_names(id)"  # fmt: skip


def _name(table: str, operation: str) -> str:
    return f"{table}_party_names_{operation.lower()}"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    execute(FUNCTION)
    # The backfill rewrites every case with parties: the user triggers on the case so far (the reports' read
    # models', whichever of their migrations ran before this one) would copy them all into their transition
    # tables to find that none of the columns they watch changed.
    execute("ALTER TABLE cases_case DISABLE TRIGGER USER")
    execute(BACKFILL)
    execute("ALTER TABLE cases_case ENABLE TRIGGER USER")
    execute("""CREATE FUNCTION cases_case_party_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.party_names := cases_case_names(NEW.id);
    RETURN NEW;
END $$""")
    execute(
        "CREATE TRIGGER cases_case_party_names BEFORE INSERT OR UPDATE OF party_names ON cases_case "
        "FOR EACH ROW EXECUTE FUNCTION cases_case_party_names()"
    )
    for (table, operation), (referencing, cases) in WATCHED.items():
        name = _name(table, operation)
        execute(f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {REFRESH.format(cases=cases)};
    RETURN NULL;
END $$""")
        execute(
            f"CREATE TRIGGER {name} AFTER {operation} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    # A '|' and the start of a name: "LIKE '%|OKAF%'" is answered from the trigrams, not by reading every case.
    execute("CREATE INDEX cases_case_party_names_trgm ON cases_case USING gin (party_names gin_trgm_ops)")
    execute("ANALYZE cases_case")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute("DROP INDEX IF EXISTS cases_case_party_names_trgm")
    for table, operation in WATCHED:
        execute(f"DROP TRIGGER IF EXISTS {_name(table, operation)} ON {table}")
        execute(f"DROP FUNCTION IF EXISTS {_name(table, operation)}()")
    execute("DROP TRIGGER IF EXISTS cases_case_party_names ON cases_case")
    execute("DROP FUNCTION IF EXISTS cases_case_party_names()")
    execute("DROP FUNCTION IF EXISTS cases_case_names(bigint)")


class Migration(migrations.Migration):
    dependencies = [("cases", "0021_open_cases_covering_index"), ("reports", "0003_checks_due_day_figures")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="party_names",
            field=models.TextField(
                db_default="",
                default="",
                editable=False,
                help_text="The parties' first, last and organisation names, upper-cased, each one started by '|' "
                "('|ACME LTD|ADA|OKAFOR|'): names only, never contact details. Kept by PostgreSQL triggers "
                "(cases migration 0022), so the caseload's name search reads case rows alone; empty elsewhere.",
            ),
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
