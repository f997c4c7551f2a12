"""The additive figures of the cases referred to a program in a period, read from one stored row a day.

How far the referrals got, where they came from, what offense, and the restitution agreed, collected,
forwarded and owed all add up across days, since each case is referred on one day. They are kept per
(program, referral day) in ``CohortDayFigures``, a read model (``vom.core.read_models``): a period reads one
row a day instead of every case, term and payment of the period, and a day whose records changed since its
row was computed (``CohortDay.revision``, raised by database triggers in the writing transaction) is
recomputed from the sources by the read itself. Medians and people counted once do not add up across days:
the report computes those from the cases (``report``).

The triggers exist on PostgreSQL only; elsewhere (the SQLite of a development machine) the figures are
computed directly on each read, by the same queries.
"""

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest

from agreements.models import HOURS_TERMS, Agreement, Disbursement, Payment, ServiceLog, Term
from cases.models import Case, Program, mediated_q, reached_q

from .models import CohortDay, CohortDayFigures
from .periods import Period

GROUPS = ("juvenile", "adult")
REACHED = ("screening", "preparation", "joint_session", "agreement")
CASE_COUNTS = {
    "referred": Q(pk__isnull=False),
    **{stage: reached_q(stage) for stage in REACHED},
    "completed": Q(outcome=Case.Outcome.COMPLETED),
    "returned": Q(outcome=Case.Outcome.RETURNED),
    "mixed": Q(outcome=Case.Outcome.MIXED),
    "follow_up": Q(stage=Case.Stage.FOLLOW_UP),
    "open": ~Q(stage=Case.Stage.CLOSED),
    "mediated": mediated_q(),
}
AMOUNTS = ("agreed", "collected", "forwarded", "outstanding", "agreed_hours", "served", "hours_left")
CASES_WITH = ("money_cases", "hours_cases")  # how many cases each kind of restitution adds up (suppression)
KEYED = ("sources", "offenses")  # {referral source id or offense category: cases}
FIELDS = (*CASE_COUNTS, *CASES_WITH, *AMOUNTS, *KEYED)  # a group's stored list, in this order
MONEY = DecimalField(max_digits=16, decimal_places=2)


def _per_term(model, field: str):
    """Each term's total of ``field`` over its ``model`` records: one probe of their term index per term."""
    sums = model.objects.filter(term=OuterRef("pk")).order_by().values("term").annotate(t=Sum(field))
    return Coalesce(Subquery(sums.values("t"), output_field=MONEY), Value(Decimal("0")), output_field=MONEY)


def _left(total, done):
    """What the current version still asks for, never below zero."""
    return Greatest(ExpressionWrapper(total - done - F("carried_in"), output_field=MONEY), Value(Decimal("0")),
                    output_field=MONEY)  # fmt: skip


def _restitution_measures() -> dict:
    """Restitution across every signed version of each agreement (``agreements.ledger``): agreed is the first
    signed version, collected every payment on any version, forwarded what went on to the victims, outstanding
    what the current version still asks for; hours likewise."""
    is_money, is_hours = Q(kind=Term.Kind.MONEY), Q(kind__in=HOURS_TERMS)
    first, current = Q(agreement__number=1), Q(agreement__status=Agreement.Status.SIGNED)
    paid, served = _per_term(Payment, "amount"), _per_term(ServiceLog, "hours")
    return {
        "agreed": Sum("amount", filter=is_money & first),
        "collected": Sum(paid, filter=is_money),
        "forwarded": Sum(_per_term(Disbursement, "amount"), filter=is_money),
        "outstanding": Sum(_left(F("amount"), paid), filter=is_money & current),
        "agreed_hours": Sum("hours", filter=is_hours & first),
        "served": Sum(served, filter=is_hours),
        "hours_left": Sum(_left(F("hours"), served), filter=is_hours & current & Q(hours__gt=0)),
        "money_cases": Count("agreement__case", distinct=True, filter=is_money),
        "hours_cases": Count("agreement__case", distinct=True, filter=is_hours),
    }


def _padding(names, field) -> dict:
    return {name: Value(None, output_field=field) for name in names}


COLUMNS = ("row", "day", "juvenile", "source", "offense", *CASE_COUNTS, *AMOUNTS, *CASES_WITH)


def _source_rows(program: Program, days: dict):
    """One query: the cases of ``days`` counted by (day, juvenile, source, offense), and their signed and
    superseded terms' restitution by (day, juvenile), as rows of ``COLUMNS``."""
    counted = [f"n_{name}" for name in CASE_COUNTS]  # "agreement" is also a term's field
    counts = {f"n_{name}": Count("pk", filter=condition) for name, condition in CASE_COUNTS.items()}
    cases = (
        Case.objects.filter(program=program, **days).order_by()
        .values(day=F("referral_date"), source=F("referral_source"), offense=F("offense_category"), young=F("juvenile"))
        .annotate(row=Value("cases", output_field=CharField()), **counts, **_padding(AMOUNTS, MONEY),
                  **_padding(CASES_WITH, IntegerField()))
        .values_list("row", "day", "young", "source", "offense", *counted, *AMOUNTS, *CASES_WITH)
    )  # fmt: skip
    on_cases = {f"agreement__case__{name}": value for name, value in days.items()}
    terms = (
        Term.objects.filter(agreement__status__in=[Agreement.Status.SIGNED, Agreement.Status.SUPERSEDED],
                            agreement__case__program=program, **on_cases).order_by()
        .values(day=F("agreement__case__referral_date"), young=F("agreement__case__juvenile"))
        .annotate(row=Value("terms", output_field=CharField()), source=Value(None, output_field=IntegerField()),
                  offense=Value(None, output_field=CharField()), **_padding(counted, IntegerField()),
                  **_restitution_measures())
        .values_list("row", "day", "young", "source", "offense", *counted, *AMOUNTS, *CASES_WITH)
    )  # fmt: skip
    return cases.union(terms, all=True)


def _empty() -> dict:
    return (
        {name: 0 for name in (*CASE_COUNTS, *CASES_WITH)} | {name: 0 for name in AMOUNTS} | {name: [] for name in KEYED}
    )


def compute_days(program: Program, days: dict) -> dict[date, dict]:
    """The figures of each day of ``days`` (filter arguments on the referral date) that has a referral, from the
    source tables: {day: {"juvenile" or "adult": [figure, …]}} as stored: in ``FIELDS`` order, amounts in
    cents (money and hours have two decimal places), keyed counts as [key, cases] pairs."""
    out: dict[date, dict] = defaultdict(dict)
    keyed: dict = defaultdict(lambda: defaultdict(int))
    for values in _source_rows(program, days):
        row = dict(zip(COLUMNS, values, strict=True))
        group = "juvenile" if row["juvenile"] else "adult"
        figures = out[row["day"]].setdefault(group, _empty())
        if row["row"] == "cases":
            for name in CASE_COUNTS:
                figures[name] += row[name]
            keyed[(row["day"], group, "sources")][row["source"]] += row["referred"]
            keyed[(row["day"], group, "offenses")][row["offense"]] += row["referred"]
        else:
            figures |= {name: _cents(row[name]) for name in AMOUNTS}
            figures |= {name: row[name] for name in CASES_WITH}
    for (day, group, name), counted in keyed.items():
        out[day][group][name] = [[key, n] for key, n in sorted(counted.items())]  # as JSON gives them back
    return {day: {group: [figures[name] for name in FIELDS] for group, figures in groups.items()}
            for day, groups in out.items()}  # fmt: skip


# SQLite adds decimals up as binary floats (2.27e-13 for 0.10 + 0.20 - 0.30): noise far below a cent is
# rounded away; anything larger means a column with more than two decimal places, which is a defect.
FLOAT_NOISE = Decimal("0.000001")


def _cents(amount: Decimal | None) -> int:
    cents = Decimal(amount or 0).scaleb(2)
    whole = cents.to_integral_value()
    if abs(cents - whole) > FLOAT_NOISE:
        raise ValueError(f"{amount} has more than two decimal places")  # the columns summed have two
    return int(whole)


def _text(figures: dict) -> str:
    return json.dumps(figures, separators=(",", ":"), sort_keys=True)


def _stored(program: Program, period: Period) -> list[tuple[date, int, int | None, dict | None]]:
    """Every day of the period with its current revision, and the revision and figures stored for it."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT g.day::date, COALESCE(d.revision, 0), f.revision, f.figures
            FROM generate_series(%s::date, %s::date, interval '1 day') AS g (day)
            LEFT JOIN reports_cohortday d ON d.program_id = %s AND d.day = g.day
            LEFT JOIN reports_cohortdayfigures f ON f.program_id = %s AND f.day = g.day
            ORDER BY g.day""",
            [period.start, period.end, program.pk, program.pk],
        )
        rows = cursor.fetchall()
    # One parse for the whole period (a call a day cost more than the query over ten years).
    stored = iter(json.loads(f"[{','.join(figures for *_, figures in rows if figures is not None)}]"))
    return [
        (day, current, revision, None if figures is None else next(stored)) for day, current, revision, figures in rows
    ]


def stored_days(program: Program, period: Period) -> list[dict]:
    """The figures of each day of the period, as stored, those stale or missing recomputed and stored first."""
    if connection.vendor != "postgresql":
        return _direct_days(program, period)
    days = _stored(program, period)
    stale = {day: current for day, current, revision, _ in days if revision != current}
    if not stale:
        return [figures for *_, figures in days]
    computed = compute_days(program, {"referral_date__in": sorted(stale)})
    # Stored at the revision read *before* the sources: a write committed in between leaves the row stale.
    CohortDayFigures.objects.bulk_create(
        [CohortDayFigures(program=program, day=day, revision=current, figures=_text(computed.get(day, {})))
         for day, current in sorted(stale.items())],
        update_conflicts=True, unique_fields=["program", "day"], update_fields=["revision", "figures"],
    )  # fmt: skip
    return [computed.get(day, {}) if day in stale else figures for day, _, _, figures in days]


def add_up(days: list[dict]) -> dict:
    """{name: {"juvenile", "adult", "all": total}} over the days' figures; amounts as Decimal, and the keyed
    counts as {name: {key: {group: cases}}}."""
    sums = {group: [0] * len(FIELDS) for group in GROUPS}
    keyed = {name: defaultdict(lambda: {group: 0 for group in GROUPS}) for name in KEYED}
    amounts = len(CASE_COUNTS) + len(CASES_WITH) + len(AMOUNTS)
    for day in days:
        for group, figures in day.items():
            total = sums[group]
            for index in range(amounts):
                total[index] += figures[index]
            for name, pairs in zip(KEYED, figures[amounts:], strict=True):
                for key, n in pairs:
                    keyed[name][key][group] += n
    totals = {name: {group: sums[group][index] for group in GROUPS} for index, name in enumerate(FIELDS[:amounts])}
    for name in AMOUNTS:
        totals[name] = {group: Decimal(cents).scaleb(-2) for group, cents in totals[name].items()}
    for by_group in [*totals.values(), *(by for name in KEYED for by in keyed[name].values())]:
        by_group["all"] = by_group["juvenile"] + by_group["adult"]
    return totals | {name: dict(keyed[name]) for name in KEYED}


def cohort_totals(program: Program, period: Period) -> dict:
    """The additive figures of the cases referred to ``program`` in ``period`` (``add_up``)."""
    return add_up(stored_days(program, period))


def _direct_days(program: Program, period: Period) -> list[dict]:
    return list(compute_days(program, {"referral_date__range": (period.start, period.end)}).values())


def direct_totals(program: Program, period: Period) -> dict:
    """The same, computed from the source tables alone, for comparison with the stored rows."""
    return add_up(_direct_days(program, period))


# --- The figures as a read model (vom.core.read_models): rebuilt and checked by manage.py rebuild_read_models --


def cohort_day_keys():
    return CohortDayFigures.objects.order_by("pk").values_list("pk", flat=True)


def _revisions(rows: list[CohortDayFigures]) -> dict[tuple[int, date], int]:
    """The current revision of each stored row's day (0: no write has touched it)."""
    days = CohortDay.objects.filter(program__in={r.program_id for r in rows}, day__in={r.day for r in rows})
    found = {(program, day): revision for program, day, revision in days.values_list("program", "day", "revision")}
    return {(r.program_id, r.day): found.get((r.program_id, r.day), 0) for r in rows}


def _recompute(keys: list[int]):
    """The stored rows of ``keys``, each day's current revision (read first) and its recomputed figures."""
    rows = list(CohortDayFigures.objects.filter(pk__in=keys).order_by("program", "day"))
    revisions = _revisions(rows)
    computed = {}
    by_program = defaultdict(list)
    for row in rows:
        by_program[row.program_id].append(row.day)
    for program_id, days in by_program.items():
        for day, figures in compute_days(Program(pk=program_id), {"referral_date__in": days}).items():
            computed[(program_id, day)] = figures
    return rows, revisions, computed


def cohort_day_differences(keys: list[int]) -> list[str]:
    """Stored rows that claim to be current but differ from a recomputation, or claim a revision ahead of the
    day's. A row behind its day's revision is not a difference: the next read recomputes it."""
    rows, revisions, computed = _recompute(keys)
    after = _revisions(rows)  # a day written while this batch was read is stale by that write: not a difference
    problems = []
    for row in rows:
        key = (row.program_id, row.day)
        current = revisions[key]
        if after[key] != current:
            continue
        name = f"cohort figures of program {row.program_id} on {row.day}"
        if row.revision > current:
            problems.append(f"{name}: revision {row.revision} is ahead of the day's {current}")
        elif row.revision == current and json.loads(row.figures) != computed.get(key, {}):
            problems.append(f"{name}: stored {row.figures}, recomputed {_text(computed.get(key, {}))}")
    return problems


def cohort_day_rebuild(keys: list[int]) -> int:
    """Recompute every stored row of ``keys`` at its day's current revision; returns how many changed."""
    rows, revisions, computed = _recompute(keys)
    changed = []
    for row in rows:
        key = (row.program_id, row.day)
        fresh = (revisions[key], _text(computed.get(key, {})))
        if (row.revision, row.figures) != fresh:
            row.revision, row.figures = fresh
            changed.append(row)
    CohortDayFigures.objects.bulk_update(changed, ["revision", "figures"])
    return len(changed)
