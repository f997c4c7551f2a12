"""Figures stored one row per program and day, current at the revision of that day (``vom.core.read_models``).

A ``DayFigures`` pairs a table of revisions (program, day, revision), raised by database triggers in the
transaction of every write to a record the day's figures are computed from, with a table of stored figures
(program, day, revision, figures as JSON text). A period reads one stored row a day; a day whose revision moved
past its stored row's (or that has none) is recomputed from the sources by the read itself and stored. The
reports keep four: the cases referred on a day (``cohort``), the reoffending checks due on a day (``checks``), the
times the cases referred on a day took (``timing``) and the survey answers submitted on a day (``satisfaction``).

The triggers exist on PostgreSQL only; elsewhere (the SQLite of a development machine) the figures are
computed directly on each read, by the same queries.
"""

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.db import connection, models

from cases.models import Program
from vom.core.read_models import ReadModel

from .periods import Period


@dataclass(frozen=True)
class DayFigures:
    name: str  # the read model's (rebuild_read_models --only), and a row's: "<name> of program 1 on 2026-01-05"
    revisions: type[models.Model]  # (program, day, revision), written by triggers only
    stored: type[models.Model]  # (program, day, revision, figures)
    # (program, filter arguments on the day) -> {day: figures} for the days with any; an empty day's are {}.
    compute: Callable[[Program, dict], dict]
    day_field: str  # the sources' day, for the filter arguments ``compute`` receives

    def between(self, start: date, end: date) -> dict:
        return {f"{self.day_field}__range": (start, end)}

    def among(self, days) -> dict:
        return {f"{self.day_field}__in": sorted(days)}


def _text(figures) -> str:
    return json.dumps(figures, separators=(",", ":"), sort_keys=True)


def stored(kind: DayFigures, program: Program, period: Period) -> list[tuple[date, int, int | None, object]]:
    """Every day of the period with its current revision, and the revision and figures stored for it."""
    revisions, figures = kind.revisions._meta.db_table, kind.stored._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            # The two table names are the models' own (never input): a false positive of S608 and bandit's B608.
            # Each join bounded by the period too: PostgreSQL guesses 1,000 days for generate_series and would
            # otherwise read all of the program's stored rows to hash them.
            f"""SELECT g.day::date, COALESCE(d.revision, 0), f.revision, f.figures
            FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS g (day)
            LEFT JOIN {revisions} d ON d.program_id = %(program)s AND d.day = g.day
                AND d.day BETWEEN %(start)s AND %(end)s
            LEFT JOIN {figures} f ON f.program_id = %(program)s AND f.day = g.day
                AND f.day BETWEEN %(start)s AND %(end)s
            ORDER BY g.day""",  # noqa: S608  # nosec B608
            {"start": period.start, "end": period.end, "program": program.pk},
        )
        rows = cursor.fetchall()
    # One parse for the whole period (a call a day cost more than the query over ten years).
    parsed = iter(json.loads(f"[{','.join(text for *_, text in rows if text is not None)}]"))
    return [(day, current, revision, None if text is None else next(parsed)) for day, current, revision, text in rows]


def read(kind: DayFigures, program: Program, period: Period) -> list:
    """The figures of each day of the period that has any, as stored, those stale or missing recomputed and
    stored first; computed directly where there are no triggers (not PostgreSQL)."""
    if connection.vendor != "postgresql":
        return list(kind.compute(program, kind.between(period.start, period.end)).values())
    days = stored(kind, program, period)
    stale = {day: current for day, current, revision, _ in days if revision != current}
    if not stale:
        return [figures for *_, figures in days if figures]
    computed = kind.compute(program, kind.among(stale))
    # Stored at the revision read *before* the sources: a write committed in between leaves the row stale.
    kind.stored.objects.bulk_create(
        [kind.stored(program=program, day=day, revision=current, figures=_text(computed.get(day, {})))
         for day, current in sorted(stale.items())],
        update_conflicts=True, unique_fields=["program", "day"], update_fields=["revision", "figures"],
    )  # fmt: skip
    every = [computed.get(day, {}) if day in stale else figures for day, _, _, figures in days]
    return [figures for figures in every if figures]


# --- As a read model (vom.core.read_models): rebuilt and checked by manage.py rebuild_read_models --------------


def keys(kind: DayFigures):
    return kind.stored.objects.order_by("pk").values_list("pk", flat=True)


def _revisions(kind: DayFigures, rows: list) -> dict[tuple[int, date], int]:
    """The current revision of each stored row's day (0: no write has touched it)."""
    days = kind.revisions.objects.filter(program__in={r.program_id for r in rows}, day__in={r.day for r in rows})
    found = {(program, day): revision for program, day, revision in days.values_list("program", "day", "revision")}
    return {(r.program_id, r.day): found.get((r.program_id, r.day), 0) for r in rows}


def _recompute(kind: DayFigures, batch: list[int]):
    """The stored rows of ``batch``, each day's current revision (read first) and its recomputed figures."""
    rows = list(kind.stored.objects.filter(pk__in=batch).order_by("program", "day"))
    revisions = _revisions(kind, rows)
    computed = {}
    by_program = defaultdict(list)
    for row in rows:
        by_program[row.program_id].append(row.day)
    for program_id, days in by_program.items():
        for day, figures in kind.compute(Program(pk=program_id), kind.among(days)).items():
            computed[(program_id, day)] = figures
    return rows, revisions, computed


def differences(kind: DayFigures, batch: list[int]) -> list[str]:
    """Stored rows that claim to be current but differ from a recomputation, or claim a revision ahead of the
    day's. A row behind its day's revision is not a difference: the next read recomputes it."""
    rows, revisions, computed = _recompute(kind, batch)
    after = _revisions(kind, rows)  # a day written while this batch was read is stale by that write: not a difference
    problems = []
    for row in rows:
        key = (row.program_id, row.day)
        current = revisions[key]
        if after[key] != current:
            continue
        name = f"{kind.name} of program {row.program_id} on {row.day}"
        if row.revision > current:
            problems.append(f"{name}: revision {row.revision} is ahead of the day's {current}")
        elif row.revision == current and json.loads(row.figures) != computed.get(key, {}):
            problems.append(f"{name}: stored {row.figures}, recomputed {_text(computed.get(key, {}))}")
    return problems


def rebuild(kind: DayFigures, batch: list[int]) -> int:
    """Recompute every stored row of ``batch`` at its day's current revision; returns how many changed."""
    rows, revisions, computed = _recompute(kind, batch)
    changed = []
    for row in rows:
        key = (row.program_id, row.day)
        fresh = (revisions[key], _text(computed.get(key, {})))
        if (row.revision, row.figures) != fresh:
            row.revision, row.figures = fresh
            changed.append(row)
    kind.stored.objects.bulk_update(changed, ["revision", "figures"])
    return len(changed)


def read_model(kind: DayFigures, description: str) -> ReadModel:
    return ReadModel(kind.name, description, keys=partial(keys, kind), differences=partial(differences, kind),
                     rebuild=partial(rebuild, kind))  # fmt: skip
