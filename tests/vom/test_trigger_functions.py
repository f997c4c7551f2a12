"""The statement-level triggers' functions (PostgreSQL): none pairs its transition tables by a join, whose plan,
kept for the connection, would be sized for the first call (reports migration 0007), and each one plans. The
cases' revisions (cases migration 0025) take every updated row, old and new, without pairing them."""

import importlib

import pytest
from django.db import connection

from tests.conftest import require

rewrite = importlib.import_module("reports.migrations.0007_update_triggers_set_difference")
arrays = importlib.import_module("reports.migrations.0008_trigger_lookups_by_array")
names_computed_once = importlib.import_module("cases.migrations.0024_party_names_computed_once")

pytestmark = pytest.mark.django_db

TRIGGER_FUNCTIONS = """
    SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
    WHERE l.lanname = 'plpgsql' AND p.pronamespace = current_schema()::regnamespace
      AND p.prorettype = 'trigger'::regtype ORDER BY 1"""


def trigger_functions() -> list[tuple[str, str]]:
    require(connection.vendor == "postgresql", "the read models' triggers exist only on PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute(TRIGGER_FUNCTIONS)
        return cursor.fetchall()


def test_no_trigger_function_joins_its_transition_tables():
    functions = dict(trigger_functions())
    comparing = [name for name, source in functions.items() if "old_rows" in source and "new_rows" in source]
    assert len(comparing) >= 12  # the read models' UPDATE triggers and the party names'
    joined = [name for name, source in functions.items() if "JOIN new_rows" in source or "JOIN old_rows" in source]
    assert joined == []
    for name in comparing:
        if name.endswith("_revise_update"):  # a case's revision (cases 0025): every updated row, either side, unpaired
            assert " UNION ALL " in functions[name], name
        else:  # the rows whose watched columns changed, by a set difference
            assert " EXCEPT SELECT id, " in functions[name], name


def test_the_rewrite_reverses_to_the_join_and_back():
    # The functions the migration rewrote (later ones are written with a set difference of their own).
    rewritten = [(name, source) for name, source in trigger_functions() if rewrite.SUBTRACTED.search(source)]
    assert len(rewritten) >= 12
    for name, source in rewritten:
        joined = rewrite.SUBTRACTED.sub(rewrite._joined, source)
        assert "FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o." in joined, name
        assert " EXCEPT " not in joined, name
        assert rewrite.JOINED.sub(rewrite._subtracted, joined) == source, name


def test_every_update_trigger_with_transition_tables_plans():
    """A statement trigger fires for an UPDATE of no rows: PL/pgSQL plans its statements then, so a column the
    rewrite left out of the set difference but a statement reads would fail here."""
    require(connection.vendor == "postgresql", "the read models' triggers exist only on PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgnewtable IS NOT NULL AND t.tgoldtable IS NOT NULL AND NOT t.tgisinternal ORDER BY 1"
        )
        tables = [table for (table,) in cursor.fetchall()]
    assert {"cases_case", "cases_party", "cases_person", "agreements_term"} <= set(tables)
    for table in tables:
        with connection.cursor() as cursor:
            key = connection.ops.quote_name(connection.introspection.get_primary_key_column(cursor, table))
            cursor.execute(f"UPDATE {connection.ops.quote_name(table)} SET {key} = {key} WHERE false")  # noqa: S608


def test_no_trigger_function_looks_rows_up_by_a_semi_join():
    """Each lookup by a transition table's ids reads an array computed once (reports migration 0008): a kept
    semi-join plan, sized when the tables were small, read the transition table again for every row."""
    functions = dict(trigger_functions())
    assert [name for name, source in functions.items() if " IN (SELECT" in source or " IN ((SELECT" in source] == []
    by_array = {name: source for name, source in functions.items() if arrays.ARRAY in source}
    assert {"reports_offender_cases_party_insert", "cases_party_party_names_insert"} <= set(by_array)
    for name, source in by_array.items():
        semi_joins = arrays.to_semi_joins(source)
        assert " IN (" in semi_joins and arrays.ARRAY not in semi_joins, name
        assert arrays.to_arrays(semi_joins) == source, name


def test_only_the_party_name_triggers_write_the_party_names():
    """The case's BEFORE trigger trusts the names an UPDATE made from inside a trigger brings (cases migration
    0024): only the party-name triggers may make one."""
    writing = sorted(name for name, source in trigger_functions() if "party_names" in source)
    assert writing == sorted(["cases_case_party_names", *names_computed_once.STATEMENTS])
