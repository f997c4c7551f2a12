"""Server-side prepared statements for the by-key reads that ``Precompiled`` keeps, and for nothing else.

PostgreSQL plans every statement it receives anew. For the case page's read of one case with some fifteen
annotations, planning took 1.3 ms and running 0.3 ms. A statement prepared once per connection is planned on
its first runs and then by a plan kept for the connection (PostgreSQL's own choice between a custom and a
generic plan).

Preparing everything (psycopg's ``prepare_threshold`` with server-side binding) was measured and not kept: a
range read with a generic plan (the caseload's "overdue only") ran 2.5 times slower, and the load test fell
(docs/benchmarks.md). So the connection's cursor stays Django's client-side binding cursor, and only the SQL
texts registered here, each the same text run with different ids, are sent with server-side binding and
prepared. psycopg keeps at most ``prepared_max`` (100) of them per connection, dropping the least used.

A statement prepared before a migration changed the columns it reads fails once ("cached plan must not change
result type"): outside a transaction the read is prepared again and run, inside one the error goes up (the
transaction is lost anyway) and the connection's rollback drops its statements.

Set ``DB_PREPARED_STATEMENTS=false`` behind a pooler that does not keep prepared statements: PgBouncer in
transaction mode needs 1.22 or later with ``max_prepared_statements`` above 0 (the default from 1.24).

This overrides three private methods of psycopg's cursors (pinned in requirements.txt): check them on an
upgrade; tests/vom/test_prepared.py runs each path on PostgreSQL.
"""

from django.conf import settings
from django.db.backends.postgresql.base import Cursor
from psycopg import errors
from psycopg._cursor_base import BaseCursor
from psycopg._queries import PostgresClientQuery, PostgresQuery
from psycopg.adapt import Transformer
from psycopg.pq import TransactionStatus
from psycopg.types.numeric import Int8

_registered: set[str] = set()
PREPARE_NEVER_BY_COUNT = 2**31 - 1  # a threshold no count reaches: only ``prepare=True`` prepares
REGISTERED_MAX = 2000  # distinct texts (Precompiled keeps 256 per query and number of ids)


def prepare_text(sql: str) -> None:
    """Prepare ``sql`` wherever it runs on PostgreSQL from now on."""
    if len(_registered) < REGISTERED_MAX:
        _registered.add(sql)


class PreparingCursor(Cursor):
    """Django's client-side binding cursor, except for the registered texts: those are bound on the server
    and prepared on their connection (``prepare=True``)."""

    _server_side = False

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and type(query) is str and query in _registered:
            # Every int as a bigint: psycopg types an int by its size (int2, int4, int8), and keys its statements
            # by text and types, so an id below 32,768 and one above would make two statements of one text.
            if isinstance(params, (list, tuple)):
                params = [Int8(value) if type(value) is int else value for value in params]
            try:
                return self._execute_prepared(query, params, binary)
            except (errors.FeatureNotSupported, errors.InvalidSqlStatementName):
                # Prepared before a migration changed what it reads (0A000), or dropped by the server (26000).
                manager = self._conn._prepared
                manager.clear()
                if self._conn.info.transaction_status != TransactionStatus.IDLE:
                    raise
                self._conn.wait(manager.maintain_gen(self._conn))  # DEALLOCATE ALL, then prepare it again
                return self._execute_prepared(query, params, binary)
        return super().execute(query, params, prepare=prepare, binary=binary)

    def _execute_prepared(self, query, params, binary):
        manager = self._conn._prepared
        # psycopg's bookkeeping on for this statement only: with Django's None left on the connection the
        # client-side statements, their values merged in, are not remembered.
        kept, manager.prepare_threshold, self._server_side = manager.prepare_threshold, PREPARE_NEVER_BY_COUNT, True
        try:
            super().execute(query, params, prepare=True, binary=binary)
        finally:
            manager.prepare_threshold, self._server_side = kept, False
            self._query = _ForTheLog(self.connection, query, params)
        return self

    # psycopg's three steps that differ between client- and server-side binding: the base class's for a
    # registered text (its ``$n`` placeholders and a named statement), the client cursor's otherwise.
    def _convert_query(self, query, params=None):
        if self._server_side:
            converted = PostgresQuery(self._tx)
            converted.convert(query, params)
            return converted
        return super()._convert_query(query, params)

    def _get_prepared(self, pgq, prepare=None):
        if self._server_side:
            return BaseCursor._get_prepared(self, pgq, prepare)
        return super()._get_prepared(pgq, prepare)

    def _execute_send(self, query, *, force_extended=False, binary=None):
        if self._server_side:
            return BaseCursor._execute_send(self, query, force_extended=force_extended, binary=binary)
        return super()._execute_send(query, force_extended=force_extended, binary=binary)


class _ForTheLog:
    """What Django logs of a prepared read (``last_executed_query`` reads ``cursor._query.query``, which psycopg
    leaves empty for a prepared statement): the text with its parameters merged, as a client-side cursor
    sends it, made only if it is read (DEBUG, a test's captured queries)."""

    __slots__ = ("_merged", "connection", "params", "sql")

    def __init__(self, connection, sql: str, params):
        self.connection, self.sql, self.params, self._merged = connection, sql, params, None

    @property
    def query(self) -> bytes:
        if self._merged is None:
            merged = PostgresClientQuery(Transformer(self.connection))
            merged.convert(self.sql, self.params)
            self._merged = merged.query
        return self._merged


def use_preparing_cursor(sender, connection, **kwargs) -> None:
    """``connection_created``: PostgreSQL connections make ``PreparingCursor``s (unless turned off, or the
    database settings ask psycopg for server-side binding of everything)."""
    options = connection.settings_dict.get("OPTIONS", {})
    if connection.vendor != "postgresql" or not getattr(settings, "DB_PREPARED_STATEMENTS", True):
        return
    if options.get("server_side_binding") or "cursor_factory" in options:
        return
    connection.connection.cursor_factory = PreparingCursor
