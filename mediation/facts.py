"""What mediation knows of one case, read once per request for the case page (and for a service checking a
guard): the latest screening and contact attempts of each party, the meetings with who attends them, the
exchanges of indirect mediation and the time logged. Guards, panels and next actions read these, nothing else.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import CharField, Exists, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce

from cases.extensions import CaseFacts
from cases.models import Case, Party
from cases.selectors import count_of

from .models import ContactAttempt, Meeting, Screening, ShuttleRound, TimeLog

SCREENING_FIELDS = ("id", "outcome", "screened_on", "reason", "willing_to_meet")


def case_annotations() -> dict:
    """Read with the case: the time logged, and whether it has meetings or exchanges at all."""
    logged = TimeLog.objects.filter(case=OuterRef("pk")).order_by().values("case_id").annotate(total=Sum("minutes"))
    return {
        "minutes_logged": Coalesce(Subquery(logged.values("total"), output_field=IntegerField()), 0),
        "has_meetings": Exists(Meeting.objects.filter(case=OuterRef("pk"))),
        "has_rounds": Exists(ShuttleRound.objects.filter(case=OuterRef("pk"))),
    }


def party_annotations() -> dict:
    """Read with each party: its latest screening (what guards and the page show of it) and its contact attempts."""
    latest = Screening.objects.filter(party=OuterRef("pk")).order_by("-screened_on", "-pk")
    return {
        **{f"screening_{name}": Subquery(latest.values(name)[:1]) for name in SCREENING_FIELDS},
        "contact_attempt_count": count_of(ContactAttempt.objects.filter(party=OuterRef("pk")), "party_id"),
    }


@dataclass
class MediationFacts:
    case: Case
    latest: dict[int, Screening]  # the latest screening of each screened party, by party id
    attempts: dict[int, int]  # contact attempts by party id
    meetings: list[Meeting]  # by time
    attendees: dict[int, list[Party]]  # of each scheduled meeting, by meeting id
    rounds: list[ShuttleRound] = field(default_factory=list)  # indirect mediation's exchanges, by date

    @cached_property
    def minutes(self) -> int:
        if hasattr(self.case, "minutes_logged"):
            return self.case.minutes_logged
        return TimeLog.objects.filter(case=self.case).aggregate(total=Sum("minutes"))["total"] or 0


def _latest_screenings(parties: list[Party]) -> dict[int, Screening]:
    latest = {}
    for party in parties:
        if party.screening_id is not None:
            values = {name: getattr(party, f"screening_{name}") for name in SCREENING_FIELDS}
            latest[party.pk] = Screening(party=party, **values)
    return latest


def _arm(queryset, kind: str, attendee):
    """One side of the union of meetings and exchanges: every column of both models, the other's as typed NULLs."""
    columns = {"row_kind": Value(kind, output_field=CharField()), "attendee": attendee}
    for model in (Meeting, ShuttleRound):
        for column in model._meta.concrete_fields:
            typed = column.target_field if column.is_relation else column
            name = f"{model._meta.model_name}_{column.attname}"
            columns[name] = F(column.attname) if model is queryset.model else Cast(Value(None), typed)
    return queryset.order_by().values(**columns)


def _instance(model, db: str, row: dict):
    names = [column.attname for column in model._meta.concrete_fields]
    return model.from_db(db, names, [row[f"{model._meta.model_name}_{name}"] for name in names])


def _meetings_and_rounds(case: Case, parties: list[Party], *, meetings: bool, rounds: bool):
    """The case's meetings with the attendees of the scheduled ones (a row per attendee) and, in indirect mode,
    its exchanges: one query for both."""
    arms = []
    if meetings:
        arms.append(_arm(Meeting.objects.filter(case=case), "meeting", F("attendees")))
    if rounds:
        arms.append(_arm(ShuttleRound.objects.filter(case=case), "round", Cast(Value(None), IntegerField())))
    if not arms:
        return [], {}, []
    query = arms[0].union(*arms[1:], all=True) if len(arms) > 1 else arms[0]
    order = ("row_kind", "meeting_scheduled_for", "meeting_id", "shuttleround_held_on", "shuttleround_id")
    by_pk = {party.pk: party for party in parties}
    found: dict[int, Meeting] = {}
    attendees: dict[int, list[Party]] = {}
    exchanges = []
    for row in query.order_by(*order):
        if row["row_kind"] == "round":
            exchanges.append(_instance(ShuttleRound, query.db, row))
            continue
        if row["meeting_id"] not in found:
            found[row["meeting_id"]] = _instance(Meeting, query.db, row)
        meeting = found[row["meeting_id"]]
        if meeting.status == Meeting.Status.SCHEDULED:
            listed = attendees.setdefault(meeting.pk, [])
            if row["attendee"] in by_pk:
                listed.append(by_pk[row["attendee"]])
    return list(found.values()), attendees, exchanges


def load_mediation_facts(*, case: Case, parties: list[Party], user=None) -> MediationFacts:
    """In at most one query besides the case's and the parties' (meetings and exchanges), only when there are any."""
    meetings, attendees, rounds = _meetings_and_rounds(
        case, parties, meetings=getattr(case, "has_meetings", True),
        rounds=case.mode == Case.Mode.INDIRECT and getattr(case, "has_rounds", True),
    )  # fmt: skip
    attempts = {party.pk: party.contact_attempt_count for party in parties}
    return MediationFacts(case, _latest_screenings(parties), attempts, meetings, attendees, rounds)


def mediation_facts(facts: CaseFacts) -> MediationFacts:
    return facts.of("mediation")
