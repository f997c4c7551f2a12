"""The outcome report: what happened to the cases referred to one program in a period.

Every figure is counted in SQL (a fixed number of queries, whatever the number of cases) and laid out
as plain sections of rows and cells, so the page, the CSV and the PDF print the same numbers.
Juveniles and adults are counted apart: a case is juvenile when an offender was under 18 on the
incident date (``cases.rules.is_juvenile``).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse

from agreements.documents import money
from agreements.schedule import CENT
from cases.models import Case, Program, ReferralSource
from surveys.questions import QUESTIONS

from .checks import checks_due
from .cohort import AMOUNTS, cohort_totals
from .offenders import People, cohort_people
from .periods import Period
from .satisfaction import answers_by_role, survey_comments
from .suppression import AddsUp, Rules, suppress
from .timing import times_taken

GROUPS = [("all", "All cases"), ("juvenile", "Juveniles"), ("adult", "Adults")]
SELF_SELECTION = (
    "The two groups select themselves: people who agree to mediation may differ from those who do not, so a "
    "difference between them is not proof that mediation caused it."
)
COMPARISON_NOTE = (
    "Each offender referred in the period is one person (counted once, at their first referral in the period), "
    "checked 6, 12 and 30 months (as the program sets) after their case closed, whenever the check is recorded. "
    "The rate is of the people whose check found an answer; 'could not be determined' is left out of it and "
    "counted on its own, as are the checks still to come (not yet due, or due and not yet recorded). " + SELF_SELECTION
)
DUE_NOTE = (
    "A second view: the checks that fell due in the period, whoever was referred when. Checks not yet recorded "
    "are left out of the rates. " + SELF_SELECTION
)
COHORT_COLUMNS = ["Mediated: reoffended", "Not mediated: reoffended", "Ratio, mediated to not mediated",
                  "Could not be determined (left out)", "Still to come"]  # fmt: skip


@dataclass
class Cell:
    value: float | int | Decimal | None = None
    of: float | int | Decimal | None = None  # the base of a share, when the cell is one
    text: str = ""
    url: str = ""
    people: int | None = None  # how many people (or cases) the figure is about: small ones are hidden
    hidden: bool = False

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
        return Cell(value, None, f"{value:,}", url, people=value)
    share = f" ({100 * value / of:.0f}%)" if of else ""
    return Cell(value, of, f"{value:,}{share}", url, people=value)


def days_cell(value: float | None, n: int) -> Cell:
    if value is None:
        return Cell(None, None, "—")
    return Cell(round(value), None, f"{round(value)} days (n = {n:,})", people=n)


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


def count(filter: Q):
    return Count("pk", filter=filter)


JUVENILE_FILTER = {"all": "", "juvenile": "yes", "adult": "no"}

PROGRESS = [
    ("screening", "Reached screening"),
    ("preparation", "Reached preparation"),
    ("joint_session", "Reached the joint session"),
    ("agreement", "Reached a written agreement"),
]


ENDED_ROWS = [
    "Agreements fulfilled (share of agreements that ended)",
    "Agreements fulfilled in part: some offenders completed, others returned",
    "Agreements not fulfilled, returned to the referral source",
]
OFFENDERS_ENDED_ROWS = [
    "Offenders who fulfilled their part (share of offenders whose follow-up ended)",
    "Offenders returned to the referral source",
]
RESPONSES = "Responses received"


def outcome_report(program: Program, period: Period, today: date) -> OutcomeReport:
    columns = [label for _, label in GROUPS]

    def link(group, **filters):
        return caseload_url(program, period, juvenile=JUVENILE_FILTER[group], **filters)

    # How far the cohort got, where it came from and its restitution: one stored row a day (``cohort``).
    counts = cohort_totals(program, period)
    referred = counts["referred"]

    sections = [_referrals_by(counts, program, referred, link)]
    progress = Section("progress", "How far the referrals got", columns)
    for key, label in PROGRESS:
        cells = [count_cell(counts[key][g], referred[g], link(g, reached=key)) for g, _ in GROUPS]
        progress.rows.append(Row(f"{label} (share of referrals)", cells))
    progress.rows.append(
        Row("Mediated: the parties met or exchanged messages", [
            count_cell(counts["mediated"][g], referred[g], link(g, mediated="yes")) for g, _ in GROUPS
        ])
    )  # fmt: skip
    ended = {g: counts["completed"][g] + counts["returned"][g] + counts["mixed"][g] for g, _ in GROUPS}
    people = cohort_people(program, period)  # one stored row a day (``offenders``)
    offenders = people.ended
    offenders_ended = {g: offenders["fulfilled"][g] + offenders["returned"][g] for g, _ in GROUPS}
    progress.rows += [
        Row(ENDED_ROWS[0], [
            count_cell(counts["completed"][g], ended[g], link(g, outcome="completed")) for g, _ in GROUPS
        ]),
        Row(ENDED_ROWS[1], [
            count_cell(counts["mixed"][g], ended[g], link(g, outcome="mixed")) for g, _ in GROUPS
        ]),
        Row(ENDED_ROWS[2], [
            count_cell(counts["returned"][g], ended[g], link(g, outcome="returned")) for g, _ in GROUPS
        ]),
        Row(OFFENDERS_ENDED_ROWS[0], [
            count_cell(offenders["fulfilled"][g], offenders_ended[g]) for g, _ in GROUPS
        ]),
        Row(OFFENDERS_ENDED_ROWS[1], [
            count_cell(offenders["returned"][g], offenders_ended[g]) for g, _ in GROUPS
        ]),
        Row("Agreements still being followed up", [
            count_cell(counts["follow_up"][g], None, link(g, stage="follow_up")) for g, _ in GROUPS
        ]),
        Row("Cases still open", [count_cell(counts["open"][g]) for g, _ in GROUPS]),
    ]  # fmt: skip
    sections += [progress, restitution_section(program, counts, columns), _durations(program, period, columns)]
    satisfaction, comments = _satisfaction(program, period)
    sections += [
        satisfaction,
        _reoffending_cohort(people),
        _reoffending(program, period, today, columns),
    ]
    threshold = program.report_threshold
    for section in sections:
        suppress(section, threshold, _rules(section))
    # Free text only once enough people answered that no comment points at one of them.
    answered = next(row for row in satisfaction.rows if row.label == RESPONSES).cells[0]
    if answered.hidden or (answered.value or 0) < threshold:
        comments = []
    return OutcomeReport(program, period, referred["all"], sections, comments)


def _rules(section: Section) -> Rules:
    """What adds up in each section, for complementary suppression (``suppression``)."""
    labels = [row.label for row in section.rows]
    groups = {
        "referrals": [
            AddsUp([label for label in labels if label.startswith("From ")], "Referrals received"),
            AddsUp([label for label in labels if label.startswith("Offense:")], "Referrals received"),
        ],
        "progress": [AddsUp(ENDED_ROWS), AddsUp(OFFENDERS_ENDED_ROWS)],
    }.get(section.key, [])
    # The first column is all cases (or all who answered), the others its parts; the cohort's columns are not.
    return Rules(split_columns=section.key != "reoffending", groups=groups)


def _referrals_by(counts, program, referred, link) -> Section:
    section = Section("referrals", "Referrals", [label for _, label in GROUPS])
    section.rows.append(Row("Referrals received", [count_cell(referred[g], None, link(g)) for g, _ in GROUPS]))
    sources = dict(ReferralSource.objects.filter(program=program).values_list("pk", "name"))
    categories = dict(Case.OffenseCategory.choices)
    for name, names, prefix, param in [
        ("sources", sources, "From", "source"),
        ("offenses", categories, "Offense:", "offense"),
    ]:
        for key, by_group in sorted(counts[name].items(), key=lambda item: (-item[1]["all"], str(item[0]))):
            cells = [count_cell(by_group[g], referred[g], link(g, **{param: key})) for g, _ in GROUPS]
            section.rows.append(Row(f"{prefix} {names.get(key, key)}", cells))
    return section


def restitution_section(program, totals: dict, columns) -> Section:
    """Restitution of the cohort (``cohort_totals``) across every signed version of each agreement
    (``agreements.ledger``): agreed is the first signed version, what amendments changed is shown as a change,
    collected counts every payment on any version, forwarded and held what went on to the victims, and
    outstanding what the current version still asks for. Hours likewise."""
    cases = {kind: totals[f"{kind}_cases"] for kind in ("money", "hours")}
    zero = Decimal("0")
    section = Section("restitution", f"Restitution ({program.currency})", columns, note=RESTITUTION_NOTE)
    cur = program.currency

    def amount_cell(value, group, of=None, signed=False):
        value = value or zero
        share = f" ({100 * value / of:.0f}%)" if of else ""
        text = money(abs(value), cur)
        if value < 0:
            text = "-" + text
        elif signed and value > 0:
            text = "+" + text
        return Cell(value, of or None, text + share, people=cases["money"][group])

    def hours_cell(value, group, of=None):
        value = value or zero
        share = f" ({100 * value / of:.0f}%)" if of else ""
        return Cell(value, of or None, f"{value:,.1f} h{share}", people=cases["hours"][group])

    groups = [g for g, _ in GROUPS[: len(columns)]]
    # To the cent: SQLite sums computed decimals as floats (a balance of zero came back as -1E-13).
    t = {name: {g: Decimal(totals[name][g] or zero).quantize(CENT) for g in groups} for name in AMOUNTS}
    now = {g: t["collected"][g] + t["outstanding"][g] for g in groups}  # agreed, as amended
    section.rows = [
        Row("Money agreed (first signed version)", [amount_cell(t["agreed"][g], g) for g in groups]),
        Row("Changed by amendments", [amount_cell(now[g] - t["agreed"][g], g, signed=True) for g in groups]),
        Row("Money collected (share of agreed, as amended)", [
            amount_cell(t["collected"][g], g, now[g]) for g in groups
        ]),
        Row("Forwarded to victims", [amount_cell(t["forwarded"][g], g) for g in groups]),
        Row("Held by the program, not yet forwarded", [
            amount_cell(t["collected"][g] - t["forwarded"][g], g) for g in groups
        ]),
        Row("Money outstanding (current versions)", [amount_cell(t["outstanding"][g], g) for g in groups]),
        Row("Service hours agreed", [hours_cell(t["agreed_hours"][g], g) for g in groups]),
        Row("Service hours performed (share of agreed, as amended)", [
            hours_cell(t["served"][g], g, t["served"][g] + t["hours_left"][g]) for g in groups
        ]),
        Row("Service hours outstanding", [hours_cell(t["hours_left"][g], g) for g in groups]),
    ]  # fmt: skip
    return section


RESTITUTION_NOTE = (
    "Agreed is the first signed version of each agreement; when a plan was renegotiated (an amendment), the "
    "change is shown on its own line and the shares are of the amended amount. Collected counts every payment "
    "under any version; outstanding is what the current version still asks for."
)


def _durations(program, period, columns) -> Section:
    # The values of each referral day, stored (``timing``): medians do not add up across days, the values do.
    result = times_taken(program, period)
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
    by_role = answers_by_role(program, period)  # one stored row a day
    section = Section(
        "satisfaction", "Satisfaction (average agreement, 1 = strongly disagree, 5 = strongly agree)",
        [label for _, label, _ in SIDES],
        note="Answers to the survey sent after the joint session and at closure, submitted in the period. "
        "'Prefer not to say' is left out of the averages; n is the number of answers.",
    )  # fmt: skip

    def side_rows(roles):
        return [row for role, row in by_role.items() if roles is None or role in roles]

    section.rows.append(Row(RESPONSES, [
        count_cell(sum(row["responses"] for row in side_rows(roles))) for _, _, roles in SIDES
    ]))  # fmt: skip
    for name, text in QUESTIONS:
        cells = []
        for _, _, roles in SIDES:
            rows = side_rows(roles)
            total, n = sum(row[f"{name}_sum"] for row in rows), sum(row[f"{name}_n"] for row in rows)
            if not n:
                cells.append(Cell(None, None, "—"))
                continue
            # Decimal halves round up, as a reader expects (the float 4.25 printed as 4.2).
            average = Decimal(total) / Decimal(n)
            shown = average.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            cells.append(
                Cell(
                    float(average.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
                    None,
                    f"{shown} (n = {n})",
                    people=n,
                )
            )
        section.rows.append(Row(text, cells))
    # The words only: never the side, the occasion, the day or the case, which could point at who wrote them.
    comments = [{"text": text} for text in survey_comments(program, period, COMMENTS_SHOWN)]
    return section, comments


def _reoffending(program, period, today, columns) -> Section:
    """Reoffending checks that fell due in the period (whenever the case was referred), mediated cases
    against referred-but-not-mediated ones: recent referrals have no checks yet, so the cohort would
    always be empty for the last quarter."""
    table = checks_due(program, Period(period.start, min(period.end, today)))  # one stored row a day
    section = Section(
        "reoffending_due", "Reoffending checks that fell due in the period, whenever the person was referred",
        columns, note=DUE_NOTE,
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


def _reoffending_cohort(people: People) -> Section:
    """The people referred in the period and their reoffending checks at each window, mediated against not: one
    offender is one person, counted once with their first case in the period (``reports.offenders``)."""
    section = Section("reoffending", "Reoffending of the people referred in the period", COHORT_COLUMNS,
                      note=COMPARISON_NOTE)  # fmt: skip
    for months in people.windows:
        for group, label in GROUPS:
            section.rows.append(
                Row(f"{months} months after closure, {label.lower()}", _cohort_cells(people.tallies[(months, group)]))
            )
    return section


def _cohort_cells(tally) -> list[Cell]:
    def rate(t):
        known = t["yes"] + t["no"]
        if not known:
            return Cell(None, None, "none recorded")
        return Cell(t["yes"], known, f"{t['yes']:,} of {known:,} ({100 * t['yes'] / known:.1f}%)", people=t["yes"])

    mediated, other = rate(tally[True]), rate(tally[False])
    if mediated.share is not None and other.share:
        ratio = mediated.share / other.share
        # As identifying as the smaller of the two rates it is made of.
        ratio_cell = Cell(round(ratio, 2), None, f"{ratio:.2f} : 1", people=_smallest(mediated, other))
    else:
        ratio_cell = Cell(None, None, "—")
    unknown = tally[True]["unknown"] + tally[False]["unknown"]
    to_come = tally[True]["to_come"] + tally[False]["to_come"]
    return [
        mediated, other, ratio_cell,
        Cell(unknown, None, f"{unknown:,} ({tally[True]['unknown']:,} mediated, {tally[False]['unknown']:,} not)",
             people=_smallest_count(tally[True]["unknown"], tally[False]["unknown"])),
        Cell(to_come, None, f"{to_come:,} ({tally[True]['to_come']:,} mediated, {tally[False]['to_come']:,} not)",
             people=_smallest_count(tally[True]["to_come"], tally[False]["to_come"])),
    ]  # fmt: skip


def _smallest(*cells: Cell) -> int:
    return _smallest_count(*(cell.people or 0 for cell in cells))


def _smallest_count(*counts: int) -> int:
    """The smallest count above zero (zero when none is): a figure made of parts is as identifying as its
    smallest part."""
    return min((n for n in counts if n), default=0)
