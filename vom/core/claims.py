"""Optimistic locking: write a row only if it is still as the writer read it."""

from django.db.models import QuerySet

from .errors import StaleObjectError


def claim(rows: QuerySet, *, stale: str, **fields) -> None:
    """Update the one row ``rows`` selects with ``fields``, or raise ``StaleObjectError(stale)`` and write nothing.

    ``rows`` names the row and what the writer read of it (``version=``, ``stage=``, ``status=``…), so the
    conditional UPDATE changes it only if nobody else did since: the same on SQLite and PostgreSQL, unlike
    ``select_for_update``.
    """
    if rows.update(**fields) != 1:
        raise StaleObjectError(stale)
