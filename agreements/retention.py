"""Retention: closed cases past their program's retention period lose everything that names a person; and a
party who declined may have their data minimised at once, when the case closes.

Names, contact details, notes, free-text accounts, signatures and every uploaded or rendered file are
removed; what reports count (the case, its stage history, outcome, dates, amounts, hours, reoffending
checks) stays. It lives in agreements because it touches every record of the pipeline; apps above
it (surveys) plug in through the ``anonymise`` of their ``cases.extensions.CaseExtension``.
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cases.extensions import anonymisers
from cases.models import Case, Note, OutcomeCheck, Party, Person, Program, TimelineEvent, age_band
from cases.rules import age_on
from cases.services import timeline_add
from mediation.models import ContactAttempt, Meeting, Screening, ShuttleRound, TimeLog
from mediation.selectors import latest_screenings
from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.core.errors import DomainError
from vom.notifications.models import Notification

from .models import Agreement, Disbursement, Letter, Payment, Signature, Term

REMOVED = "[removed under the retention policy]"


def cases_past_retention(now=None):
    """Closed, not yet anonymised cases whose closure is older than their program's retention period."""
    now = now or timezone.now()
    condition = Q(pk__in=[])
    for program in Program.objects.all():
        cutoff = now - relativedelta(years=program.retention_years)
        condition |= Q(program=program, closed_at__lt=cutoff)
    return Case.objects.filter(condition, stage=Case.Stage.CLOSED, anonymised_at__isnull=True).order_by("closed_at")


def _delete_file(field) -> None:
    if field:
        field.storage.delete(field.name)


@transaction.atomic
def case_anonymise(*, case: Case, actor=None) -> Case:
    """Remove a closed case's personal data for good; refused for an open case."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.stage != Case.Stage.CLOSED or case.anonymised_at:
        return case
    parties = list(Party.objects.filter(case=case).select_related("person"))
    people = {p.person_id for p in parties}
    for party in parties:
        # A new, nameless person per party: the original may still belong to a newer case.
        born = party.person.date_of_birth
        stand_in = Person.objects.create(
            kind=party.person.kind,
            last_name="Anonymised" if party.person.kind == Person.Kind.INDIVIDUAL else "",
            organisation_name="Anonymised organisation" if party.person.kind == Person.Kind.ORGANISATION else "",
            date_of_birth=date(born.year, 1, 1) if born else None,  # the year keeps ages for reports
        )
        Party.objects.filter(pk=party.pk).update(
            person=stand_in, email="", phone="", address="", accessibility_needs="", contact_method=""
        )
    Person.objects.filter(pk__in=people, parties__isnull=True).delete()
    Case.objects.filter(pk=case.pk).update(offense_description="", outcome_reason="", anonymised_at=timezone.now())
    Note.objects.filter(case=case).update(body=REMOVED)
    for event in TimelineEvent.objects.filter(case=case):
        TimelineEvent.objects.filter(pk=event.pk).update(summary=event.get_kind_display())
    Screening.objects.filter(party__case=case).update(reason="", safety_concerns="", safety_plan="")
    ContactAttempt.objects.filter(party__case=case).update(note="")
    Meeting.objects.filter(case=case).update(hopes="", restitution_ideas="", summary="", reason="", location="",
                                             video_link="")  # fmt: skip
    ShuttleRound.objects.filter(case=case).update(summary=REMOVED)
    TimeLog.objects.filter(case=case).update(note="")
    for term in Term.objects.filter(agreement__case=case):
        Term.objects.filter(pk=term.pk).update(description=term.get_kind_display())
    for signature in Signature.objects.filter(agreement__case=case):
        _delete_file(signature.image)
        _delete_file(signature.scan)
    Signature.objects.filter(agreement__case=case).update(
        signer_name="Anonymised", typed_name="", image="", scan="", ip_address=None, user_agent=""
    )
    for agreement in Agreement.objects.filter(case=case):
        _delete_file(agreement.pdf)
    Agreement.objects.filter(case=case).update(pdf="", amendment_reason="")
    for letter in Letter.objects.filter(case=case):
        _delete_file(letter.pdf)
    Letter.objects.filter(case=case).update(pdf="")
    Payment.objects.filter(term__agreement__case=case).update(reference="")
    Disbursement.objects.filter(term__agreement__case=case).update(reference="")
    OutcomeCheck.objects.filter(case=case).update(source="")
    Notification.objects.filter(case_id=case.pk).delete()
    for anonymise in anonymisers():  # apps above this one (surveys) clear their own records
        anonymise(case=case)
    audit_record(user=actor, username="retention", action=AuditEvent.Action.CHANGE, what="anonymised (retention)",
                 case_id=case.pk)  # fmt: skip
    case.refresh_from_db()
    return case


def anonymise_expired(*, now=None, dry_run: bool = False) -> list[Case]:
    cases = list(cases_past_retention(now).select_related("program"))
    if not dry_run:
        for case in cases:
            case_anonymise(case=case)
    return cases


MINIMISABLE = {Screening.Outcome.DECLINED, Screening.Outcome.NOT_SUITABLE}


def minimise_refusals(party: Party) -> list[str]:
    """Why this party's data cannot be minimised now (empty when it can)."""
    case = party.case
    problems = []
    if party.minimised_at:
        problems.append("This party's data was already removed.")
    if case.stage != Case.Stage.CLOSED or case.outcome not in {Case.Outcome.DECLINED, Case.Outcome.UNSUITABLE}:
        problems.append("Only a case closed because a party declined or was not suitable is minimised this way.")
    latest = latest_screenings([party]).get(party.pk)
    if latest is None or latest.outcome not in MINIMISABLE:
        problems.append("Only the party who declined or was screened not suitable is minimised.")
    return problems


@transaction.atomic
def party_minimise_data(*, party: Party, actor, reason: str) -> Party:
    """Leave little behind of a party who declined: contact details, names, birth date, free-text reasons and
    what was written about them go; an age band (from the incident date), gender and ethnicity stay for the
    program's statistics. The case keeps its outcome; the closure's reason goes too."""
    party = Party.objects.select_related("person", "case").get(pk=party.pk)
    problems = minimise_refusals(party)
    if not reason.strip():
        problems.append("Say why the data is removed now (for example, the victim asked).")
    if problems:
        raise DomainError("Nothing was removed.", problems)
    case, person = party.case, party.person
    reference = case.incident_date or case.referral_date
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
    party.refresh_from_db()
    return party
