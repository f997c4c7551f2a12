"""Medians and day counts in SQL, the same on PostgreSQL and SQLite.

PostgreSQL has ``percentile_cont``; SQLite gets a small median aggregate registered on each new
connection, so reports never pull every row into Python to find a middle value.
"""

import statistics

from django.db.models import Aggregate, FloatField, Func


class Median(Aggregate):
    function = "vom_median"
    name = "Median"
    output_field = FloatField()
    allow_distinct = False

    def as_postgresql(self, compiler, connection, **extra_context):
        # Aggregate.as_sql reads the template from the instance when it adds FILTER (WHERE …).
        clone = self.copy()
        clone.template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
        return super(Median, clone).as_sql(compiler, connection, **extra_context)


class Epoch(Func):
    """Seconds since 1970 of a date or a datetime (UTC)."""

    output_field = FloatField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra_context):
        extra_context["template"] = "EXTRACT(EPOCH FROM %(expressions)s)::float"
        return self.as_sql(compiler, connection, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        extra_context["template"] = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, **extra_context)


def days_between(start, end) -> Func:
    """Whole or fractional days from ``start`` to ``end`` (dates or datetimes)."""
    return (Epoch(end) - Epoch(start)) / 86400.0


class _SQLiteMedian:
    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


def register_sqlite_median(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("vom_median", 1, _SQLiteMedian)
