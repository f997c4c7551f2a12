"""Indexes for the caseload's name search (``istartswith``: ``UPPER(name) LIKE 'TEXT%'``), PostgreSQL only.

text_pattern_ops lets a prefix LIKE use the index whatever the database's collation. Without them the search
read every person and every party of a 100,000-case program (issue 8). SQLite has no operator classes and
needs none at its sizes, so nothing happens there; the model state is unchanged.
"""

from django.db import migrations

COLUMNS = ["first_name", "last_name", "organisation_name"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "cases_person_{column}_upper_prefix" '
            f'ON "cases_person" (UPPER("{column}") text_pattern_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "cases_person_{column}_upper_prefix"')


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_party_version")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
