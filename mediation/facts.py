"""What mediation knows of one case, read once per request for the case page (and for a service checking a
guard): the latest screening and contact attempts of each party, the meetings with who attends them, the
exchanges of indirect mediation and the time logged. Guards, panels and next actions read these, nothing else.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.db import DEFAULT_DB_ALIAS
from django.db.models import CharField, Exists, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce

from cases.extensions import CaseFacts
from cases.models import Case, Party
from cases.selectors import count_of
from vom.core.precompiled import Precompiled

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


def latest_screenings_read(parties: list[Party]) -> dict[int, Screening]:
    """The latest screening of each party, as read with it (``party_annotations``): no query."""
    latest = {}
    for party in parties:
        if party.screening_id is not None:
            values = {name: getattr(party, f"screening_{name}") for name in SCREENING_FIELDS}
            latest[party.pk] = Screening(party=party, **values)
    return latest


def _arm(model, kind: str, attendee):
    """One side of the union of meetings and exchanges: every column of both models, the other's as typed NULLs."""
    columns = {"row_kind": Value(kind, output_field=CharField()), "attendee": attendee}
    for of in (Meeting, ShuttleRound):
        for column in of._meta.concrete_fields:
            typed = column.target_field if column.is_relation else column
            name = f"{of._meta.model_name}_{column.attname}"
            columns[name] = F(column.attname) if of is model else Cast(Value(None), typed)
    return model.objects.order_by().values(**columns)


def _meetings(*case_ids: int):
    return (
        Meeting.objects.filter(case_id__in=case_ids)
        .annotate(attendee_id=F("attendees"))
        .order_by("scheduled_for", "pk")
    )


def _rounds(*case_ids: int):
    return ShuttleRound.objects.filter(case_id__in=case_ids).order_by("held_on", "pk")


def _both(*case_ids: int, split: int):
    meetings = _arm(Meeting, "meeting", F("attendees")).filter(case_id__in=case_ids[:split])
    rounds = _arm(ShuttleRound, "round", Cast(Value(None), IntegerField())).filter(case_id__in=case_ids[split:])
    order = ("row_kind", "meeting_scheduled_for", "meeting_id", "shuttleround_held_on", "shuttleround_id")
    return meetings.union(rounds, all=True).order_by(*order)


# Compiled once per process and number of cases: building and compiling these cost more than running them.
_MEETINGS, _ROUNDS, _BOTH = Precompiled(_meetings), Precompiled(_rounds), Precompiled(_both)


def _instance(model, row: dict):
    names = [column.attname for column in model._meta.concrete_fields]
    return model.from_db(DEFAULT_DB_ALIAS, names, [row[f"{model._meta.model_name}_{name}"] for name in names])


def _attend(meeting: Meeting, attendee_id, by_pk: dict, attendees: dict) -> None:
    if meeting.status == Meeting.Status.SCHEDULED:
        listed = attendees.setdefault(meeting.pk, [])
        if attendee_id in by_pk:
            listed.append(by_pk[attendee_id])


def meetings_and_rounds(meeting_cases: list[int], round_cases: list[int], parties: list[Party]):
    """The meetings of ``meeting_cases`` (by time) with the attendees of the scheduled ones among ``parties``,
    and the exchanges of ``round_cases`` (by date): one query for both (a row per attendee), a union only when
    both are asked for."""
    by_pk = {party.pk: party for party in parties}
    found: dict[int, Meeting] = {}
    attendees: dict[int, list[Party]] = {}
    if not round_cases:
        for meeting in _MEETINGS.rows(*meeting_cases) if meeting_cases else []:
            _attend(found.setdefault(meeting.pk, meeting), meeting.attendee_id, by_pk, attendees)
        return list(found.values()), attendees, []
    if not meeting_cases:
        return [], {}, _ROUNDS.rows(*round_cases)
    split = len(meeting_cases)
    exchanges = []
    for row in _BOTH.rows(*meeting_cases, *round_cases, key=split, split=split):
        if row["row_kind"] == "round":
            exchanges.append(_instance(ShuttleRound, row))
            continue
        if row["meeting_id"] not in found:
            found[row["meeting_id"]] = _instance(Meeting, row)
        _attend(found[row["meeting_id"]], row["attendee"], by_pk, attendees)
    return list(found.values()), attendees, exchanges


def load_mediation_facts(*, case: Case, parties: list[Party], user=None) -> MediationFacts:
    """In at most one query besides the case's and the parties' (meetings and exchanges), only when there are any."""
    indirect = case.mode == Case.Mode.INDIRECT and getattr(case, "has_rounds", True)
    meetings, attendees, rounds = meetings_and_rounds(
        [case.pk] if getattr(case, "has_meetings", True) else [], [case.pk] if indirect else [], parties
    )
    attempts = {party.pk: party.contact_attempt_count for party in parties}
    return MediationFacts(case, latest_screenings_read(parties), attempts, meetings, attendees, rounds)


def mediation_facts(facts: CaseFacts) -> MediationFacts:
    return facts.of("mediation")
