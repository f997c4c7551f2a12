"""What mediation removes of a case's personal data: under the retention policy (``cases.retention`` drives
it through mediation's extension), and at once for a party who declined or was found not suitable."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases.models import Case, Party, Person, TimelineEvent, age_band
from cases.retention import REMOVED
from cases.rules import age_on
from cases.services import timeline_add
from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.core.errors import DomainError
from vom.notifications.models import Notification

from .models import ContactAttempt, Meeting, Screening, ShuttleRound, TimeLog
from .selectors import latest_screenings


def mediation_case_anonymise(*, case: Case) -> None:
    """Retention: the free text of screenings, contact attempts, meetings, exchanges and time logs."""
    Screening.objects.filter(party__case=case).update(reason="", safety_concerns="", safety_plan="")
    ContactAttempt.objects.filter(party__case=case).update(note="")
    Meeting.objects.filter(case=case).update(hopes="", restitution_ideas="", summary="", reason="", location="",
                                             video_link="")  # fmt: skip
    ShuttleRound.objects.filter(case=case).update(summary=REMOVED)
    TimeLog.objects.filter(case=case).update(note="")


MINIMISABLE = {Screening.Outcome.DECLINED, Screening.Outcome.NOT_SUITABLE}


def minimise_refusals(party: Party, *, latest: dict | None = None) -> list[str]:
    """Why this party's data cannot be minimised now (empty when it can). ``latest``: the latest screening of
    each party by id, when already read (the case page's facts)."""
    case = party.case
    problems = []
    if party.minimised_at:
        problems.append("This party's data was already removed.")
    if case.stage != Case.Stage.CLOSED or case.outcome not in {Case.Outcome.DECLINED, Case.Outcome.UNSUITABLE}:
        problems.append("Only a case closed because a party declined or was not suitable is minimised this way.")
    latest = (latest_screenings([party]) if latest is None else latest).get(party.pk)
    if latest is None or latest.outcome not in MINIMISABLE:
        problems.append("Only the party who declined or was screened not suitable is minimised.")
    return problems


@transaction.atomic
def party_minimise_data(*, party: Party, actor, reason: str, request=None) -> Party:
    """Leave little behind of a party who declined: contact details, names, birth date, free-text reasons and
    what was written about them go; an age band (from the incident date), gender and ethnicity stay for the
    program's statistics. The case keeps its outcome; the closure's reason goes too. With the ``request`` it
    came from, the removal is audited in the same transaction."""
    party = Party.objects.select_related("person", "case").get(pk=party.pk)
    problems = minimise_refusals(party)
    if not reason.strip():
        problems.append("Say why the data is removed now (for example, the victim asked).")
    if problems:
        raise DomainError("Nothing was removed.", problems)
    case, person = party.case, party.person
    reference = case.age_reference_date
    band = age_band(age_on(person.date_of_birth, reference)) if person.date_of_birth else ""
    stand_in = Person.objects.create(
        kind=person.kind, gender=person.gender, ethnicity=person.ethnicity,
        last_name="Removed" if person.kind == Person.Kind.INDIVIDUAL else "",
        organisation_name="Removed organisation" if person.kind == Person.Kind.ORGANISATION else "",
    )  # fmt: skip
    names = [name for name in {person.display_name, person.last_name, person.organisation_name} if len(name) > 2]
    Notification.objects.filter(case_id=case.pk, email=party.email).exclude(email="").delete()
    Party.objects.filter(pk=party.pk).update(
        person=stand_in, email="", phone="", address="", accessibility_needs="", contact_method="",
        consent_to_contact=False, victim_updates=False, age_band=band, minimised_at=timezone.now(),
        version=F("version") + 1,
    )  # fmt: skip
    if not Party.objects.filter(person=person).exists():
        person.delete()
    Screening.objects.filter(party=party).update(reason="", safety_concerns="", safety_plan="")
    ContactAttempt.objects.filter(party=party).update(note="", regarding="")
    Case.objects.filter(pk=case.pk).update(outcome_reason="")
    role = party.get_role_display().lower()
    for event in TimelineEvent.objects.filter(case=case):
        summary = event.summary
        for name in sorted(names, key=len, reverse=True):
            summary = summary.replace(name, f"[the {role}]")
        if summary != event.summary or event.kind == TimelineEvent.Kind.CLOSED:
            if event.kind == TimelineEvent.Kind.CLOSED:
                summary = f"Closed: {case.get_outcome_display()}."
            TimelineEvent.objects.filter(pk=event.pk).update(summary=summary[:300])
    timeline_add(case=case, kind=TimelineEvent.Kind.EDITED, actor=actor,
                 summary=f"Personal data of the {role} removed ({case.get_outcome_display().lower()})")  # fmt: skip
    if request is not None:
        audit_record(request=request, action=AuditEvent.Action.CHANGE, what=f"party {party.pk} minimised",
                     case_id=case.pk)  # fmt: skip
    party.refresh_from_db()
    return party
