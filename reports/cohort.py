"""The additive figures of the cases referred to a program in a period, read from one stored row a day.

How far the referrals got, where they came from, what offense, and the restitution agreed, collected,
forwarded and owed all add up across days, since each case is referred on one day. They are kept per
(program, referral day) in ``CohortDayFigures``, a read model (``vom.core.read_models``): a period reads one
row a day instead of every case, term and payment of the period, and a day whose records changed since its
row was computed (``CohortDay.revision``, raised by database triggers in the writing transaction) is
recomputed from the sources by the read itself. Medians and people counted once do not add up across days as
they are: the values of the medians are kept a day (``timing``), and the people keyed by their previous referral
(``offenders``).

The triggers exist on PostgreSQL only; elsewhere (the SQLite of a development machine) the figures are
computed directly on each read, by the same queries.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

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

from . import daily
from .daily import DayFigures
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


DAYS = DayFigures("cohort day figures", CohortDay, CohortDayFigures, compute_days, "referral_date")
READ_MODEL = daily.read_model(DAYS, "CohortDayFigures: the report's additive figures of the cases referred on one day")


def stored_days(program: Program, period: Period) -> list[dict]:
    """The figures of each day of the period, as stored, those stale or missing recomputed and stored first."""
    return daily.read(DAYS, program, period)


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


def direct_totals(program: Program, period: Period) -> dict:
    """The same, computed from the source tables alone, for comparison with the stored rows."""
    return add_up(list(compute_days(program, DAYS.between(period.start, period.end)).values()))
