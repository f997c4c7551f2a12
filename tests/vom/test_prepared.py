"""The by-key reads that Precompiled keeps are prepared on their PostgreSQL connection; nothing else is."""

import pytest
from django.db import connection, connections

from cases.models import Case
from tests.conftest import require
from tests.factories import CaseFactory, PartyFactory
from vom.core.prepared import PreparingCursor, prepare_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres():
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's (DATABASE_URL)")


def _prepared_texts(on=connection) -> list[str]:
    with on.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql ORDER BY prepare_time")
        return [row[0] for row in cursor.fetchall()]


def test_the_case_page_prepares_its_case_read_once_and_reuses_it(postgres, client, program, coordinator):
    first, second = CaseFactory(program=program), CaseFactory(program=program)
    for case in (first, second):
        PartyFactory(case=case, role="offender")
    client.force_login(coordinator)
    before = _prepared_texts()
    assert client.get(f"/cases/{first.pk}/").status_code == 200
    prepared = _prepared_texts()
    added = prepared[len(before) :]
    # The case, its parties and its journal at least; with ``$n`` parameters, as the server binds them.
    assert any('FROM "cases_case"' in text and "$" in text for text in added)
    assert any('FROM "cases_party"' in text for text in added)
    # Another case of the same page: the same statements run again, none is prepared anew.
    page = client.get(f"/cases/{second.pk}/")
    assert page.status_code == 200 and second.number in page.content.decode()
    assert _prepared_texts() == prepared
    # Plain ORM reads are not prepared.
    assert Case.objects.filter(program=program).count() == 2
    assert _prepared_texts() == prepared


def test_a_registered_text_runs_server_side_and_the_next_one_client_side(postgres):
    sql = "SELECT %s::bigint * 2, %s::text"
    prepare_text(sql)
    with connection.cursor() as cursor:
        assert isinstance(cursor.cursor, PreparingCursor)
        cursor.execute(sql, [21, "twenty-one"])
        assert cursor.fetchall() == [(42, "twenty-one")]
        assert "SELECT $1::bigint * 2, $2::text" in _prepared_texts()
        # Not registered: bound on the client, so a text with several statements still runs as one.
        cursor.execute("SELECT %s::bigint + 1; SELECT 7", [1])
        assert cursor.fetchall() == [(2,)] and cursor.nextset() and cursor.fetchall() == [(7,)]


def test_a_failed_registered_read_leaves_the_cursor_binding_on_the_client(postgres):
    sql = "SELECT 10 / %s::int"
    prepare_text(sql)
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT before_failure")
        with pytest.raises(Exception, match="division by zero"):
            cursor.execute(sql, [0])
        cursor.execute("ROLLBACK TO SAVEPOINT before_failure")
        cursor.execute("SELECT %s::int + 1; SELECT 5", [1])  # two statements: client-side only
        assert cursor.fetchall() == [(2,)] and cursor.nextset() and cursor.fetchall() == [(5,)]
        cursor.execute(sql, [5])
        assert cursor.fetchall() == [(2,)]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_setting_turns_preparing_off_for_new_connections(postgres, settings, enabled):
    settings.DB_PREPARED_STATEMENTS = enabled
    sql = "SELECT %s::int AS answer"
    prepare_text(sql)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(sql, [42])
            assert cursor.fetchall() == [(42,)]
        assert _prepared_texts(other) == (["SELECT $1::int AS answer"] if enabled else [])
    finally:
        other.close()


def test_a_prepared_read_is_logged_with_its_values(postgres):
    from django.test.utils import CaptureQueriesContext

    sql = "SELECT %s::int + 1, %s::text"
    prepare_text(sql)
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        cursor.execute(sql, [41, "it's"])
        assert cursor.fetchall() == [(42, "it's")]
    assert "SELECT $1::int + 1, $2::text" in _prepared_texts()
    assert queries.captured_queries[-1]["sql"] == "SELECT 41::int + 1, 'it''s'::text"


def test_small_and_large_ids_share_one_statement(postgres):
    sql = "SELECT %s::bigint + 0 AS small_or_large"
    prepare_text(sql)
    with connection.cursor() as cursor:
        for value in (7, 40_000, 3_000_000_000):
            cursor.execute(sql, [value])
            assert cursor.fetchall() == [(value,)]
    assert _prepared_texts().count("SELECT $1::bigint + 0 AS small_or_large") == 1


def test_client_side_statements_and_their_values_are_not_kept_by_psycopg(postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text", ["12 Secret Lane"])
    kept = connection.connection._prepared._counts  # psycopg's memory of statements to prepare
    assert not any(b"Secret Lane" in key[0] for key in kept)


@pytest.mark.django_db(transaction=True)
def test_a_statement_prepared_before_a_migration_is_prepared_again(postgres):
    """Another connection (a deploy's migrate) changes a column the prepared read returns: the read is prepared
    again outside a transaction; inside one the error goes up and the rollback drops the statements."""
    from django.db import transaction

    sql = "SELECT id, label FROM vom_prepared_probe WHERE id = %s"
    prepare_text(sql)
    migrating = connections.create_connection("default")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE vom_prepared_probe (id bigint PRIMARY KEY, label varchar(10))")
        cursor.execute("INSERT INTO vom_prepared_probe VALUES (1, 'before')")
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, [1])
            assert cursor.fetchall() == [(1, "before")]
        with migrating.cursor() as other:
            other.execute("ALTER TABLE vom_prepared_probe ALTER label TYPE integer USING 42")
        with connection.cursor() as cursor:
            cursor.execute(sql, [1])
            assert cursor.fetchall() == [(1, 42)]
        with migrating.cursor() as other:
            other.execute("ALTER TABLE vom_prepared_probe ALTER label TYPE text USING 'after'")
        refused = pytest.raises(Exception, match="cached plan must not change result type")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [1])
        with connection.cursor() as cursor:
            cursor.execute(sql, [1])
            assert cursor.fetchall() == [(1, "after")]
    finally:
        migrating.close()
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE vom_prepared_probe")
