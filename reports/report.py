"""The outcome report: what happened to the cases referred to one program in a period.

Every figure is counted in SQL (a fixed number of queries, whatever the number of cases) and laid out
as plain sections of rows and cells, so the page, the CSV and the PDF print the same numbers.
Juveniles and adults are counted apart: a case is juvenile when an offender was under 18 on the
incident date (``cases.rules.is_juvenile``).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum
from django.urls import reverse

from agreements.documents import money
from agreements.follow_up import HOURS_TERMS
from agreements.models import Agreement, Payment, ServiceLog, Term
from cases.models import Case, OutcomeCheck, Program, ReferralSource, juvenile_flag, mediated_q, reached_q
from mediation.models import Meeting
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.questions import FIELDS, QUESTIONS

from .aggregates import Median, days_between
from .periods import Period

GROUPS = [("all", "All cases"), ("juvenile", "Juveniles"), ("adult", "Adults")]
COMPARISON_NOTE = (
    "Checks are made 6, 12 and 30 months (as the program sets) after a case closes; this counts the checks "
    "that fell due in the period, whenever the case was referred. The two groups select themselves: people "
    "who agree to mediation may differ from those who do not, so the difference is not proof that mediation "
    "caused it. Checks are counted only where someone recorded a result; checks not yet recorded are left "
    "out, so the figures may be incomplete."
)


@dataclass
class Cell:
    value: float | int | Decimal | None = None
    of: float | int | Decimal | None = None  # the base of a share, when the cell is one
    text: str = ""
    url: str = ""

    @property
    def share(self) -> float | None:
        if self.value is None or not self.of:
            return None
        return float(self.value) / float(self.of)

    def __str__(self) -> str:
        return self.text


@dataclass
class Row:
    label: str
    cells: list[Cell]


@dataclass
class Section:
    key: str
    title: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    note: str = ""


@dataclass
class OutcomeReport:
    program: Program
    period: Period
    referrals: int
    sections: list[Section]
    comments: list[dict]

    @property
    def is_empty(self) -> bool:
        return self.referrals == 0


def count_cell(value: int, of: int | None = None, url: str = "") -> Cell:
    if of is None:
        return Cell(value, None, f"{value:,}", url)
    share = f" ({100 * value / of:.0f}%)" if of else ""
    return Cell(value, of, f"{value:,}{share}", url)


def days_cell(value: float | None, n: int) -> Cell:
    if value is None:
        return Cell(None, None, "—")
    return Cell(round(value), None, f"{round(value)} days (n = {n:,})")


def caseload_url(program: Program, period: Period, **filters) -> str:
    query = {"program": program.pk, "referred_from": period.start.isoformat(), "referred_to": period.end.isoformat()}
    query |= {k: v for k, v in filters.items() if v not in ("", None)}
    return f"{reverse('cases:list')}?{urlencode(query)}"


def cohort_filter(program: Program, period: Period, case_path: str = "") -> dict:
    """The report's population (the cases referred to ``program`` in ``period``) as filter arguments,
    seen from a model that reaches the case through ``case_path``. A join on these columns lets
    PostgreSQL start from the (program, referral date) index; ``case__in=<cohort>`` read every case."""
    prefix = f"{case_path}__" if case_path else ""
    return {f"{prefix}program": program, f"{prefix}referral_date__range": (period.start, period.end)}


def cohort(program: Program, period: Period):
    """The cases referred to ``program`` in ``period``: the report's population."""
    return Case.objects.filter(**cohort_filter(program, period))


def count(filter: Q):
    return Count("pk", filter=filter)


@dataclass(frozen=True)
class Measure:
    """An additive aggregate (a count or a sum) over the rows that meet ``condition``."""

    make: Callable
    condition: Q

    def aggregate(self):
        return self.make(filter=self.condition)


def _split(measure, condition: Q) -> Measure:
    return Measure(measure, condition)


def _aggregate_split(queryset, measures: dict[str, Measure]) -> dict:
    """{name: {all, juvenile, adult}} from one query grouped by the ``juvenile`` annotation, so the
    subquery behind the flag runs once (a FILTER per group would run it once per aggregate)."""
    rows = queryset.order_by().values("juvenile").annotate(**{name: m.aggregate() for name, m in measures.items()})
    out = {name: {"juvenile": 0, "adult": 0} for name in measures}
    for row in rows:
        for name in measures:
            out[name]["juvenile" if row["juvenile"] else "adult"] = row[name] or 0
    for by_group in out.values():
        by_group["all"] = by_group["juvenile"] + by_group["adult"]
    return out


JUVENILE_FILTER = {"all": "", "juvenile": "yes", "adult": "no"}

PROGRESS = [
    ("screening", "Reached screening", reached_q("screening")),
    ("preparation", "Reached preparation", reached_q("preparation")),
    ("joint_session", "Reached the joint session", reached_q("joint_session")),
    ("agreement", "Reached a written agreement", reached_q("agreement")),
]


def outcome_report(program: Program, period: Period, today: date) -> OutcomeReport:
    cases = cohort(program, period)
    columns = [label for _, label in GROUPS]

    def link(group, **filters):
        return caseload_url(program, period, juvenile=JUVENILE_FILTER[group], **filters)

    # 1. How far the cohort got, in one query.
    measures = {"referred": _split(count, Q(pk__isnull=False))}
    measures |= {key: _split(count, condition) for key, _, condition in PROGRESS}
    measures |= {
        "completed": _split(count, Q(outcome=Case.Outcome.COMPLETED)),
        "returned": _split(count, Q(outcome=Case.Outcome.RETURNED)),
        "follow_up": _split(count, Q(stage=Case.Stage.FOLLOW_UP)),
        "open": _split(count, ~Q(stage=Case.Stage.CLOSED)),
        "mediated": _split(count, mediated_q()),
    }
    counts = _aggregate_split(cases, measures)
    referred = counts["referred"]

    sections = [_referrals_by(cases, program, period, referred, link)]
    progress = Section("progress", "How far the referrals got", columns)
    for key, label, _ in PROGRESS:
        cells = [count_cell(counts[key][g], referred[g], link(g, reached=key)) for g, _ in GROUPS]
        progress.rows.append(Row(f"{label} (share of referrals)", cells))
    progress.rows.append(
        Row("Mediated: the parties met or exchanged messages", [
            count_cell(counts["mediated"][g], referred[g], link(g, mediated="yes")) for g, _ in GROUPS
        ])
    )  # fmt: skip
    ended = {g: counts["completed"][g] + counts["returned"][g] for g, _ in GROUPS}
    progress.rows += [
        Row("Agreements fulfilled (share of agreements that ended)", [
            count_cell(counts["completed"][g], ended[g], link(g, outcome="completed")) for g, _ in GROUPS
        ]),
        Row("Agreements not fulfilled, returned to the referral source", [
            count_cell(counts["returned"][g], ended[g], link(g, outcome="returned")) for g, _ in GROUPS
        ]),
        Row("Agreements still being followed up", [
            count_cell(counts["follow_up"][g], None, link(g, stage="follow_up")) for g, _ in GROUPS
        ]),
        Row("Cases still open", [count_cell(counts["open"][g]) for g, _ in GROUPS]),
    ]  # fmt: skip
    sections += [progress, restitution_section(program, period, columns), _durations(cases, columns)]
    satisfaction, comments = _satisfaction(program, period)
    sections += [satisfaction, _reoffending(program, period, today, columns)]
    return OutcomeReport(program, period, referred["all"], sections, comments)


def _referrals_by(cases, program, period, referred, link) -> Section:
    section = Section("referrals", "Referrals", [label for _, label in GROUPS])
    section.rows.append(Row("Referrals received", [count_cell(referred[g], None, link(g)) for g, _ in GROUPS]))
    sources = dict(ReferralSource.objects.filter(program=program).values_list("pk", "name"))
    categories = dict(Case.OffenseCategory.choices)
    for field_name, names, prefix, param in [
        ("referral_source", sources, "From", "source"),
        ("offense_category", categories, "Offense:", "offense"),
    ]:
        counted = defaultdict(lambda: {"all": 0, "juvenile": 0, "adult": 0})
        for row in cases.order_by().values(field_name, "juvenile").annotate(n=Count("pk")):
            by_group = counted[row[field_name]]
            by_group["all"] += row["n"]
            by_group["juvenile" if row["juvenile"] else "adult"] += row["n"]
        for key, by_group in sorted(counted.items(), key=lambda item: (-item[1]["all"], str(item[0]))):
            cells = [count_cell(by_group[g], referred[g], link(g, **{param: key})) for g, _ in GROUPS]
            section.rows.append(Row(f"{prefix} {names.get(key, key)}", cells))
    return section


def restitution_section(program, period, columns) -> Section:
    """Agreed in the signed (current) versions of the cohort's agreements; collected and served on them.

    One pass over the cohort's terms: each money term's payments and each service term's hours are
    summed by a probe of their term index, rather than joining the cohort three times."""

    def per_term(model, field):
        sums = model.objects.filter(term=OuterRef("pk")).order_by().values("term").annotate(t=Sum(field))
        return Subquery(sums.values("t"), output_field=DecimalField(max_digits=14, decimal_places=2))

    terms = Term.objects.filter(
        agreement__status=Agreement.Status.SIGNED, **cohort_filter(program, period, "agreement__case")
    ).annotate(juvenile=juvenile_flag("agreement__case"))
    money_terms, hours_terms = Q(kind=Term.Kind.MONEY), Q(kind__in=HOURS_TERMS)
    totals = _aggregate_split(terms, {
        "money": _split(lambda filter: Sum("amount", filter=filter), money_terms),
        "paid": _split(lambda filter: Sum(per_term(Payment, "amount"), filter=filter), money_terms),
        "hours": _split(lambda filter: Sum("hours", filter=filter), hours_terms),
        "served": _split(lambda filter: Sum(per_term(ServiceLog, "hours"), filter=filter), hours_terms),
    })  # fmt: skip
    agreed = {"money": totals["money"], "hours": totals["hours"]}
    paid, served = totals["paid"], totals["served"]
    zero = Decimal("0")
    section = Section("restitution", f"Restitution ({program.currency})", columns)
    cur = program.currency

    def amount_cell(value, of=None):
        value = value or zero
        share = f" ({100 * value / of:.0f}%)" if of else ""
        return Cell(value, of or None, money(value, cur) + share)

    def hours_cell(value, of=None):
        value = value or zero
        share = f" ({100 * value / of:.0f}%)" if of else ""
        return Cell(value, of or None, f"{value:,.1f} h{share}")

    groups = [g for g, _ in GROUPS]
    section.rows = [
        Row("Money agreed", [amount_cell(agreed["money"][g]) for g in groups]),
        Row("Money collected (share of agreed)", [amount_cell(paid[g], agreed["money"][g]) for g in groups]),
        Row("Money outstanding", [
            amount_cell(max((agreed["money"][g] or zero) - (paid[g] or zero), zero)) for g in groups
        ]),
        Row("Service hours agreed", [hours_cell(agreed["hours"][g]) for g in groups]),
        Row("Service hours performed (share of agreed)", [hours_cell(served[g], agreed["hours"][g]) for g in groups]),
    ]  # fmt: skip
    return section


def _durations(cases, columns) -> Section:
    # The first held joint session, one probe of the partial index mediation_meeting_joint_held per case.
    first_session = (
        Meeting.objects.filter(case=OuterRef("pk"), kind=Meeting.Kind.JOINT, status=Meeting.Status.HELD)
        .order_by("scheduled_for")
        .values("scheduled_for")[:1]
    )
    timed = cases.annotate(session_at=Subquery(first_session))
    to_session = days_between("referral_date", "session_at")
    to_closure = days_between("referral_date", "closed_at")
    measures = {
        "session": Median(to_session, filter=Q(session_at__isnull=False)),
        "session_n": count(Q(session_at__isnull=False)),
        "closure": Median(to_closure, filter=Q(closed_at__isnull=False)),
        "closure_n": count(Q(closed_at__isnull=False)),
    }
    # Medians do not add up: one query per group of rows (all, then juveniles and adults together).
    result = {name: {"all": value} for name, value in timed.aggregate(**measures).items()}
    for row in timed.order_by().values("juvenile").annotate(**measures):
        for name in measures:
            result[name]["juvenile" if row["juvenile"] else "adult"] = row[name]
    for name, by_group in result.items():
        for group in ("juvenile", "adult"):
            by_group.setdefault(group, 0 if name.endswith("_n") else None)
    groups = [g for g, _ in GROUPS]
    return Section("time", "Time taken (median)", columns, [
        Row("From referral to the joint session", [days_cell(result["session"][g], result["session_n"][g])
                                                   for g in groups]),
        Row("From referral to closure", [days_cell(result["closure"][g], result["closure_n"][g]) for g in groups]),
    ])  # fmt: skip


SIDES = [
    ("all", "All who answered", None),
    ("victim", "Victim side", {"victim", "victim_rep"}),
    ("offender", "Offender side", {"offender", "guardian"}),
]
COMMENTS_SHOWN = 200


def _satisfaction(program, period) -> tuple[Section, list[dict]]:
    """Survey answers submitted in the period: the average agreement (1 to 5) per question and side.
    Comments go with their side and occasion only, ordered by their text, never by who or when."""
    start, end = period.moments()
    answers = SurveyResponse.objects.filter(case__program=program, submitted_at__gte=start, submitted_at__lt=end)
    totals = {f"{field}_sum": Sum(field) for field in FIELDS} | {f"{field}_n": Count(field) for field in FIELDS}
    by_role = list(answers.order_by().values("respondent_role").annotate(responses=Count("pk"), **totals))
    section = Section(
        "satisfaction", "Satisfaction (average agreement, 1 = strongly disagree, 5 = strongly agree)",
        [label for _, label, _ in SIDES],
        note="Answers to the survey sent after the joint session and at closure, submitted in the period. "
        "'Prefer not to say' is left out of the averages; n is the number of answers.",
    )  # fmt: skip

    def side_rows(roles):
        return [row for row in by_role if roles is None or row["respondent_role"] in roles]

    section.rows.append(Row("Responses received", [
        count_cell(sum(row["responses"] for row in side_rows(roles))) for _, _, roles in SIDES
    ]))  # fmt: skip
    for name, text in QUESTIONS:
        cells = []
        for _, _, roles in SIDES:
            rows = side_rows(roles)
            total, n = sum(row[f"{name}_sum"] or 0 for row in rows), sum(row[f"{name}_n"] for row in rows)
            if not n:
                cells.append(Cell(None, None, "—"))
                continue
            # Decimal halves round up, as a reader expects (the float 4.25 printed as 4.2).
            average = Decimal(total) / Decimal(n)
            shown = average.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            cells.append(
                Cell(float(average.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)), None, f"{shown} (n = {n})")
            )
        section.rows.append(Row(text, cells))
    side_of = {role: label for _, label, roles in SIDES[1:] for role in roles}
    occasions = dict(SurveyInvitation.Occasion.choices)
    comments = [
        {"side": side_of.get(role, "Other participant"), "occasion": occasions.get(occasion, occasion), "text": text}
        for role, occasion, text in answers.exclude(comment="")
        .order_by("comment").values_list("respondent_role", "occasion", "comment")[:COMMENTS_SHOWN]
    ]  # fmt: skip
    return section, comments


def _reoffending(program, period, today, columns) -> Section:
    """Reoffending checks that fell due in the period (whenever the case was referred), mediated cases
    against referred-but-not-mediated ones: recent referrals have no checks yet, so the cohort would
    always be empty for the last quarter."""
    due_in_period = {"case__program": program, "due_on__range": (period.start, min(period.end, today))}
    rows = (
        OutcomeCheck.objects.filter(**due_in_period)
        .annotate(juvenile=juvenile_flag("case"), mediated=_mediated_expression())
        .values("months", "mediated", "juvenile")
        .annotate(
            due=Count("pk"),
            recorded=Count("pk", filter=Q(result__in=[OutcomeCheck.Result.YES, OutcomeCheck.Result.NO])),
            reoffended=Count("pk", filter=Q(result=OutcomeCheck.Result.YES)),
        )
        .order_by()
    )
    table = defaultdict(lambda: {"due": 0, "recorded": 0, "reoffended": 0})
    for row in rows:
        for group in ("all", "juvenile" if row["juvenile"] else "adult"):
            cell = table[(row["months"], row["mediated"], group)]
            for key in ("due", "recorded", "reoffended"):
                cell[key] += row[key]
    section = Section(
        "reoffending", "Reoffending: checks that fell due in the period, and how many found a new offense",
        columns, note=COMPARISON_NOTE,
    )  # fmt: skip
    windows = sorted(set(program.check_windows) | {months for months, _, _ in table})
    for months in windows:
        for mediated, label in [(True, "mediated"), (False, "referred, not mediated")]:
            cells = []
            for group, _ in GROUPS:
                figures = table[(months, mediated, group)]
                cell = count_cell(figures["reoffended"], figures["recorded"])
                if figures["recorded"]:
                    reoffended, recorded = figures["reoffended"], figures["recorded"]
                    cell.text = f"{reoffended:,} of {recorded:,} reoffended ({100 * cell.share:.1f}%)"
                else:
                    cell = Cell(None, None, "none recorded")  # no figure, not a zero
                missing = figures["due"] - figures["recorded"]
                if missing > 0:
                    cell.text += f"; {missing:,} due, not recorded"
                cells.append(cell)
            section.rows.append(Row(f"{months} months after closure, {label}", cells))
    return section


def _mediated_expression():
    from django.db.models import BooleanField, ExpressionWrapper

    return ExpressionWrapper(_prefixed(mediated_q(), "case"), output_field=BooleanField())


def _prefixed(q: Q, prefix: str) -> Q:
    """The same condition, seen from a model that points at the case through ``prefix``."""
    clone = Q(_connector=q.connector, _negated=q.negated)
    for child in q.children:
        if isinstance(child, Q):
            clone.children.append(_prefixed(child, prefix))
        else:
            clone.children.append((f"{prefix}__{child[0]}", child[1]))
    return clone
