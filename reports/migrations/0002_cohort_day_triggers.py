"""Raise ``CohortDay.revision`` in the transaction of every write to a record the cohort figures are computed
from: statement-level triggers (PostgreSQL), so a service, Django admin, a shell, a bulk ``COPY`` or plain SQL
alike mark the days they touch stale. Other databases get no triggers: there the reports compute their
figures directly (``reports.cohort.STORED``)."""

from django.db import migrations

# table: (the columns an update must change to matter, the joins from a row ``r`` to its case ``c``)
WATCHED = {
    "cases_case": (
        ["program_id", "referral_date", "juvenile", "stage", "closed_from_stage", "outcome", "referral_source_id",
         "offense_category"],
        None,
    ),
    "agreements_agreement": (["case_id", "status", "number"], ["cases_case c ON c.id = r.case_id"]),
    "agreements_term": (
        ["agreement_id", "kind", "amount", "hours", "carried_in"],
        ["agreements_agreement a ON a.id = r.agreement_id", "cases_case c ON c.id = a.case_id"],
    ),
}  # fmt: skip
for _table, _column in [("agreements_payment", "amount"), ("agreements_disbursement", "amount"),
                        ("agreements_servicelog", "hours")]:  # fmt: skip
    WATCHED[_table] = (
        ["term_id", _column],
        ["agreements_term t ON t.id = r.term_id", "agreements_agreement a ON a.id = t.agreement_id",
         "cases_case c ON c.id = a.case_id"],
    )  # fmt: skip


def _days(rows: str, joins) -> str:
    """(program_id, day) of each row of the transition table ``rows``."""
    # Every name written into this module's SQL is one of its own constants (WATCHED and the transition tables'
    # names), never input: bandit's B608 is a false positive on each of these strings.
    if joins is None:
        return f"SELECT r.program_id, r.referral_date FROM {rows} r"  # nosec B608
    return f"SELECT c.program_id, c.referral_date FROM {rows} r " + " ".join(f"JOIN {j}" for j in joins)  # nosec B608


def _statements(table: str) -> list[str]:
    columns, joins = WATCHED[table]
    changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in columns)
    moved = "(SELECT {side}.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE " + changed + ")"  # nosec B608
    sources = {
        "INSERT": ("REFERENCING NEW TABLE AS new_rows", _days("new_rows", joins)),
        "DELETE": ("REFERENCING OLD TABLE AS old_rows", _days("old_rows", joins)),
        "UPDATE": (
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            _days(moved.format(side="o"), joins) + " UNION " + _days(moved.format(side="n"), joins),
        ),
    }
    statements = []
    for operation, (referencing, days) in sources.items():
        name = f"reports_cohort_{table}_{operation.lower()}"
        statements += [
            f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_cohortday (program_id, day, revision)
    SELECT DISTINCT program_id, day, 1 FROM ({days}) AS touched (program_id, day)
    ORDER BY program_id, day
    ON CONFLICT (program_id, day) DO UPDATE SET revision = reports_cohortday.revision + 1;
    RETURN NULL;
END $$""",  # nosec B608
            f"CREATE TRIGGER {name} AFTER {operation} ON {table} {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in WATCHED:
            for statement in _statements(table):
                schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in WATCHED:
            for operation in ("insert", "update", "delete"):
                name = f"reports_cohort_{table}_{operation}"
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_cohort_day_figures"), ("cases", "0017_program_filters_version"),
                    ("agreements", "0007_versions_by_case")]  # fmt: skip

    operations = [migrations.RunPython(create, drop)]
