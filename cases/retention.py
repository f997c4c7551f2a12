"""Retention: closed cases past their program's retention period lose everything that names a person.

Names, contact details, notes, free-text accounts, signatures and every uploaded or rendered file are
removed; what reports count (the case, its stage history, outcome, dates, amounts, hours, reoffending
checks) stays. ``cases`` drives the policy and clears its own rows; each app above clears its own, through
the ``anonymise`` of its ``cases.extensions.CaseExtension``, in the same transaction.
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.notifications.models import Notification

from .extensions import anonymisers
from .models import Case, Note, OutcomeCheck, Party, Person, Program, TimelineEvent

REMOVED = "[removed under the retention policy]"


def cases_past_retention(now=None):
    """Closed, not yet anonymised cases whose closure is older than their program's retention period."""
    now = now or timezone.now()
    condition = Q(pk__in=[])
    for program in Program.objects.all():
        cutoff = now - relativedelta(years=program.retention_years)
        condition |= Q(program=program, closed_at__lt=cutoff)
    return Case.objects.filter(condition, stage=Case.Stage.CLOSED, anonymised_at__isnull=True).order_by("closed_at")


def delete_file(field) -> None:
    """Remove a stored file for good (the field is emptied by its app's own update)."""
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
    OutcomeCheck.objects.filter(case=case).update(source="")
    Notification.objects.filter(case_id=case.pk).delete()
    for anonymise in anonymisers():  # each app above clears its own records
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
