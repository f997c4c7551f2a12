"""Querysets compiled to SQL once per process and run with each request's id.

A page's read with many annotations (the case page's parties with their latest screenings, its journal of
notes, events and accesses) cost Django more to compile than PostgreSQL to run: the expressions are resolved
and written out as SQL on every request although only one value, the case's id, changes. ``Precompiled`` keeps
the compiler of the query built for a placeholder id and runs its SQL with the real one; the rows become model
instances (``select_related`` and annotations included) or values exactly as the queryset would make them.
"""

import copy
from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.db import connections

from .prepared import prepare_text

PLACEHOLDER = -7_319_000_000_001  # no row has a negative id: the parameters to replace, and only they


class Precompiled:
    """``build(*ids, **context)`` returns the queryset for some ids; ``rows(*ids, key=, **context)`` evaluates it (a
    list) without compiling it again.

    Each id must appear among the compiled query's parameters (the shape must not depend on them). Whatever
    else the query depends on (the user's roles, how many ids there are) is ``key``: one compiled query is kept
    per key and process (the latest ``KEPT``). It must not depend on the time.
    """

    KEPT = 256

    def __init__(self, build: Callable):
        self.build = build
        self.compiled: dict = {}

    def _template(self, key, placeholders: tuple, context: dict):
        if key not in self.compiled:
            if len(self.compiled) >= self.KEPT:
                self.compiled.pop(next(iter(self.compiled)))
            queryset = self.build(*placeholders, **context)
            compiler = queryset.query.get_compiler(using=queryset.db)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:  # nothing can match (a user who sees no case): no query at all
                self.compiled[key] = None
                return None
            if not all(placeholder in params for placeholder in placeholders):
                raise ValueError("an id is not a parameter of the compiled query")
            if compiler.connection.vendor == "postgresql":
                prepare_text(sql)  # planned once per connection too, not only compiled once per process
            self.compiled[key] = (queryset, compiler, sql, tuple(params))
        return self.compiled[key]

    def rows(self, *ids: int, key=(), **context) -> list:
        placeholders = tuple(PLACEHOLDER - n for n in range(len(ids)))
        template = self._template((len(ids), key), placeholders, context)
        if template is None:
            return []
        queryset, compiler, sql, params = template
        bound = copy.copy(compiler)
        bound.connection = connections[queryset.db]  # this thread's connection
        bind = dict(zip(placeholders, ids, strict=True))
        values = tuple(bind.get(param, param) if isinstance(param, int) else param for param in params)
        bound.as_sql = lambda *args, **kwargs: (sql, values)
        run = queryset.all()  # a fresh result cache; its query answers with the bound compiler only
        run.query.get_compiler = lambda *args, **kwargs: bound
        return list(run)
