"""The offenders of the cases referred in a period: whose follow-up ended (each offender on their own), and the
reoffending of the people referred (each person once, with their first case in the period), read from one stored
row a referral day.

Offenders whose follow-up ended add up across days. People counted once do not, but they can be made to: a
person's offender party is their first in a period exactly when the same person's previous offender party in the
program (in the order referral date, case, party) was referred before the period's start, or there is none. So
each referral day keeps its people's tallies keyed by that previous referral date (``None`` for most people), in
``OffenderDayFigures`` (``reports.daily``), and a period adds up the tallies of its days whose previous date is
``None`` or before its start. The triggers (migration 0005) mark a day stale on every write to its offenders, their
checks and returns and its cases' columns, and on every write that can move a person's previous referral (a party
added, removed or given to another person, a case moved to another day or program): then every day of that
person's offender parties.

The direct computation (``direct_people``: the period's offenders and their checks, tallied here) is what SQLite
reads, and what the stored days are compared with.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q

from agreements.models import OffenderReturn
from cases.models import Case, OutcomeCheck, Party, Program, juvenile_flag

from . import daily
from .checks import mediated_expression
from .daily import DayFigures
from .models import OffenderDay, OffenderDayFigures
from .periods import Period

GROUPS = ("juvenile", "adult")
RESULTS = ("yes", "no", "unknown")  # recorded; a window without one is still to come
OFFENDER = Party.Role.OFFENDER


@dataclass
class People:
    """What the report shows of the period's offenders."""

    # {"fulfilled" or "returned": {"juvenile", "adult", "all": offenders}}
    ended: dict
    # every window shown: the program's, and any a check of an offender of the period has
    windows: list[int]
    # {(months, "all", "juvenile" or "adult"): {mediated: {"yes", "no", "unknown", "to_come": people}}}
    tallies: dict


def _ended_outcome(outcome: str, returned_alone: bool) -> str | None:
    """An offender whose follow-up ended fulfilled their part (a completed case, or a mixed one they were not
    returned from) or was returned (a returned case, or their own return); None while it has not ended."""
    mixed = outcome == Case.Outcome.MIXED
    if outcome == Case.Outcome.COMPLETED or (mixed and not returned_alone):
        return "fulfilled"
    if outcome == Case.Outcome.RETURNED or (mixed and returned_alone):
        return "returned"
    return None


def _returned_alone():
    return Exists(OffenderReturn.objects.filter(party=OuterRef("pk")))


def _people(ended: dict, first: dict, results: dict, windows: set[int], program: Program) -> People:
    """``People`` from the offenders' ended counts ({(name, group): n}), the people counted ({(juvenile,
    mediated): n}), their recorded results ({(months, juvenile, mediated, result): n}) and the checks' windows."""
    out_ended = {name: {group: ended.get((name, group), 0) for group in GROUPS} for name in ("fulfilled", "returned")}
    for by_group in out_ended.values():
        by_group["all"] = by_group["juvenile"] + by_group["adult"]
    shown = sorted(set(program.check_windows) | windows)
    tallies = {
        (months, group): {mediated: {"yes": 0, "no": 0, "unknown": 0, "to_come": 0} for mediated in (True, False)}
        for months in shown for group in ("all", *GROUPS)
    }  # fmt: skip
    for (juvenile, mediated), n in first.items():
        for months in shown:
            recorded = {result: results.get((months, juvenile, mediated, result), 0) for result in RESULTS}
            counts = recorded | {"to_come": n - sum(recorded.values())}
            for group in ("all", "juvenile" if juvenile else "adult"):
                tally = tallies[(months, group)][mediated]
                for result, counted in counts.items():
                    tally[result] += counted
    return People(out_ended, shown, tallies)


# --- Directly from the period's offenders and their checks (SQLite, and the stored days' oracle) ---------------


def direct_people(program: Program, period: Period) -> People:
    """Two queries: the period's offenders in referral order, and their checks; counted here."""
    on_cases = {"case__program": program, "case__referral_date__range": (period.start, period.end)}
    offenders = (
        Party.objects.filter(role=OFFENDER, **on_cases)
        .annotate(juvenile=juvenile_flag("case"), mediated=mediated_expression(), returned_alone=_returned_alone())
        .order_by("case__referral_date", "case_id", "pk")
        .values_list("pk", "person_id", "juvenile", "mediated", "case__outcome", "returned_alone")
    )
    ended, first_party, offender_ids = Counter(), {}, set()
    for party_id, person_id, juvenile, mediated, outcome, returned_alone in offenders:
        offender_ids.add(party_id)
        if name := _ended_outcome(outcome, returned_alone):
            ended[(name, "juvenile" if juvenile else "adult")] += 1
        first_party.setdefault(person_id, (party_id, bool(juvenile), bool(mediated)))
    group_of = {party_id: (juvenile, mediated) for party_id, juvenile, mediated in first_party.values()}
    results, windows = Counter(), set()
    # Joined to the cases only (the cohort's index), not to the parties: which are offenders is known above.
    checks = OutcomeCheck.objects.filter(**on_cases, party__isnull=False)
    for party_id, months, result in checks.order_by().values_list("party_id", "months", "result"):
        if party_id in offender_ids:
            windows.add(months)
            if party_id in group_of and result:
                results[(months, *group_of[party_id], result)] += 1
    return _people(ended, Counter(group_of.values()), results, windows, program)


# --- One stored row a referral day --------------------------------------------------------------------------


def compute_days(program: Program, days: dict) -> dict[date, dict]:
    """The offenders of the cases of ``program`` referred on ``days`` (filter arguments on the case's referral
    date), two queries: {day: {"ended": {"juvenile" or "adult": [fulfilled, returned]}, "people": [[previous
    referral, juvenile, mediated, people], …], "results": [[previous referral, months, juvenile, mediated, result,
    people], …], "windows": [months, …]}} as stored, each list in order; a person is counted on the day of every
    offender party, under the referral date of the same person's offender party before it in the program, in the
    order (referral date, case, party): ISO, or None when it is their first."""
    on_days = Party.objects.filter(role=OFFENDER, case__program=program, **days)
    # Every offender party of the people of these days in the program: theirs, and the ones before them.
    parties = (
        Party.objects.filter(role=OFFENDER, case__program=program, person__in=on_days.values("person"))
        .annotate(on_day=ExpressionWrapper(Q(**days), output_field=BooleanField()), juvenile=juvenile_flag("case"),
                  mediated=mediated_expression(), returned_alone=_returned_alone())
        .order_by()
        .values_list("person_id", "case__referral_date", "case_id", "pk", "on_day", "juvenile", "mediated",
                     "case__outcome", "returned_alone")
    )  # fmt: skip
    ended = defaultdict(lambda: {group: [0, 0] for group in GROUPS})
    people, party_of, previous_day = defaultdict(Counter), {}, {}
    for person, day, case_id, party_id, on_day, juvenile, mediated, outcome, returned_alone in sorted(parties):
        previous, previous_day[person] = previous_day.get(person), day  # in (person, referral date, case, party) order
        if not on_day:
            continue
        group = "juvenile" if juvenile else "adult"
        counts = ended[day][group]
        if name := _ended_outcome(outcome, returned_alone):
            counts[0 if name == "fulfilled" else 1] += 1
        key = (previous.isoformat() if previous else None, bool(juvenile), bool(mediated))
        people[day][key] += 1
        party_of[party_id] = (case_id, day, key)
    results, windows = defaultdict(Counter), defaultdict(set)
    # Each offender's own checks, read from the days' cases alone (their covering index): a join to the parties
    # made PostgreSQL misjudge the rows and read every check.
    checks = OutcomeCheck.objects.filter(case__program=program, party__isnull=False, **days)
    for case_id, party_id, months, result in checks.order_by().values_list("case_id", "party_id", "months", "result"):
        case, day, (previous, juvenile, mediated) = party_of.get(party_id, (None, None, (None, None, None)))
        if case != case_id:
            continue  # not an offender of these days, or not on their own case
        windows[day].add(months)
        if result:
            results[day][(previous, months, juvenile, mediated, result)] += 1

    def ordered(counted: Counter) -> list:
        return [[*key, n] for key, n in sorted(counted.items(), key=lambda item: (item[0][0] or "", item[0][1:]))]

    return {
        day: {"ended": by_group, "people": ordered(people[day]), "results": ordered(results[day]),
              "windows": sorted(windows[day])}
        for day, by_group in ended.items()
    }  # fmt: skip


DAYS = DayFigures("offender day figures", OffenderDay, OffenderDayFigures, compute_days, "case__referral_date")
READ_MODEL = daily.read_model(
    DAYS, "OffenderDayFigures: the offenders of the cases referred on one day, by their previous referral"
)


def add_up(days: list[dict], program: Program, period: Period) -> People:
    """``People`` over the days' figures: every offender's ended follow-up, and the people whose previous referral
    is none or before the period's start, each counted once."""
    start = period.start.isoformat()
    ended, first, results, windows = Counter(), Counter(), Counter(), set()
    for figures in days:
        for group, (fulfilled, returned) in figures["ended"].items():
            ended[("fulfilled", group)] += fulfilled
            ended[("returned", group)] += returned
        for previous, juvenile, mediated, n in figures["people"]:
            if previous is None or previous < start:
                first[(juvenile, mediated)] += n
        for previous, months, juvenile, mediated, result, n in figures["results"]:
            if previous is None or previous < start:
                results[(months, juvenile, mediated, result)] += n
        windows.update(figures["windows"])
    return _people(ended, first, results, windows, program)


def cohort_people(program: Program, period: Period) -> People:
    """The offenders of the cases referred to ``program`` in ``period``: from the stored days on PostgreSQL (its
    triggers keep them), directly elsewhere."""
    if connection.vendor != "postgresql":
        return direct_people(program, period)
    return add_up(daily.read(DAYS, program, period), program, period)
