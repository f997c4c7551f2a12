"""What mediation knows of one case, read once per request for the case page (and for a service checking a
guard): the latest screening and contact attempts of each party, the meetings with who attends them, the
exchanges of indirect mediation and the time logged. Guards, panels and next actions read these, nothing else.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Exists, F, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

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


def _meetings(case: Case, parties: list[Party]) -> tuple[list[Meeting], dict[int, list[Party]]]:
    """The case's meetings and the attendees of the scheduled ones, in one query (a row per attendee)."""
    by_pk = {party.pk: party for party in parties}
    meetings: dict[int, Meeting] = {}
    attendees: dict[int, list[Party]] = {}
    rows = Meeting.objects.filter(case=case).annotate(attendee_id=F("attendees")).order_by("scheduled_for", "pk")
    for meeting in rows:
        meetings.setdefault(meeting.pk, meeting)
        if meeting.status == Meeting.Status.SCHEDULED:
            found = attendees.setdefault(meeting.pk, [])
            if meeting.attendee_id in by_pk:
                found.append(by_pk[meeting.attendee_id])
    return list(meetings.values()), attendees


def load_mediation_facts(*, case: Case, parties: list[Party], user=None) -> MediationFacts:
    """In at most two queries besides the case's and the parties' (meetings, exchanges), only when there are any."""
    meetings, attendees = _meetings(case, parties) if getattr(case, "has_meetings", True) else ([], {})
    indirect = case.mode == Case.Mode.INDIRECT and getattr(case, "has_rounds", True)
    rounds = list(ShuttleRound.objects.filter(case=case).order_by("held_on", "pk")) if indirect else []
    attempts = {party.pk: party.contact_attempt_count for party in parties}
    return MediationFacts(case, _latest_screenings(parties), attempts, meetings, attendees, rounds)


def mediation_facts(facts: CaseFacts) -> MediationFacts:
    return facts.of("mediation")
