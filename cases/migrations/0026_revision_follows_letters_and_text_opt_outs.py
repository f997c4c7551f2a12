"""The case page keeps its parts per case revision (``cases.case_page``): besides what migration 0025 watches
for the next actions, they show the letters to the referral source and whether a party's number replied STOP.
A letter's case is its own; an opt-out's are the cases of the parties with that number (found by a partial index
on the parties' phone, added here first)."""

import importlib

from django.db import migrations, models
from django.db.models import Q

revisions = importlib.import_module("cases.migrations.0025_case_revision")

# ``phone <> ''`` as in the index's condition, so that PostgreSQL may use the partial index.
BY_PHONE = (
    "SELECT p.case_id FROM cases_party p WHERE p.phone = ANY (ARRAY(SELECT number FROM {rows})) AND p.phone <> ''"
)
WATCHED = {
    "agreements_letter": (revisions.OWN, revisions.ALL),
    "notifications_textoptout": (BY_PHONE, revisions.ALL),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (source, operations) in WATCHED.items():
        for operation in operations:
            body = revisions.REVISE.format(cases=revisions._cases(source, operation))
            name = revisions._name(table, operation)
            for statement in revisions._trigger(name, table, operation, body):
                schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (_source, operations) in WATCHED.items():
        for operation in operations:
            name = revisions._name(table, operation)
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0025_case_revision"),
        ("agreements", "0009_follow_up_summary_placement"),
        ("notifications", "0004_planning_sweeps"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="party",
            index=models.Index(condition=~Q(phone=""), fields=["phone"], name="cases_party_by_phone"),
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
