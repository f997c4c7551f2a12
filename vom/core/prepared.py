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

Set ``DB_PREPARED_STATEMENTS=false`` behind a pooler that does not carry prepared statements across
transactions (PgBouncer in transaction mode before 1.21).
"""

from django.conf import settings
from django.db.backends.postgresql.base import Cursor
from psycopg._cursor_base import BaseCursor
from psycopg._queries import PostgresClientQuery, PostgresQuery
from psycopg.adapt import Transformer

_registered: set[str] = set()
PREPARE_NEVER_BY_COUNT = 2**31 - 1
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
            self._server_side = True
            try:
                super().execute(query, params, prepare=True, binary=binary)
            finally:
                self._server_side = False
            self._query = _ForTheLog(self, query, params)
            return self
        return super().execute(query, params, prepare=prepare, binary=binary)

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

    __slots__ = ("cursor", "params", "sql")

    def __init__(self, cursor, sql: str, params):
        self.cursor, self.sql, self.params = cursor, sql, params

    @property
    def query(self) -> bytes:
        merged = PostgresClientQuery(Transformer(self.cursor))
        merged.convert(self.sql, self.params)
        return merged.query


def use_preparing_cursor(sender, connection, **kwargs) -> None:
    """``connection_created``: PostgreSQL connections make ``PreparingCursor``s (unless turned off)."""
    if connection.vendor == "postgresql" and settings.DB_PREPARED_STATEMENTS:
        connection.connection.cursor_factory = PreparingCursor
        # Django turns psycopg's preparing off (None); a client-side cursor never prepares whatever the
        # threshold, so the registered texts are the only statements prepared.
        connection.connection.prepare_threshold = PREPARE_NEVER_BY_COUNT
