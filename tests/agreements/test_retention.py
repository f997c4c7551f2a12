"""Retention: old closed cases lose every name, contact, note and file; the counts stay."""

import datetime
import os
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from agreements import follow_up
from agreements.models import Letter, Signature
from cases.models import Case, Note, Person, TimelineEvent
from cases.services import note_add
from tests.agreements.helpers import case_in_agreement, draft_with_money, send, sign_all
from tests.mediation.helpers import TODAY, new_case
from vom.audit.models import AuditEvent


@pytest.fixture
def completed(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    note_add(case=case, actor=mediator, body="Ana lives at 17 Hidden Orchard Road", confidential=True)
    agreement = sign_all(send(draft_with_money(case, mediator, total="90.00", count=1), mediator), mediator)
    follow_up.payment_record(term=agreement.terms.get(kind="money"), actor=mediator, amount=Decimal("90.00"),
                             received_on=TODAY, method="cash")  # fmt: skip
    follow_up.term_check_record(term=agreement.terms.get(kind="apology"), actor=mediator, on=TODAY, fulfilled=True)
    case = Case.objects.get(pk=case.pk)
    assert case.outcome == "completed"
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - datetime.timedelta(days=8 * 365))
    return case


def files_of(case):
    signatures = [s.image for s in Signature.objects.filter(agreement__case=case)]
    documents = [a.pdf for a in case.agreements.all()] + [letter.pdf for letter in Letter.objects.filter(case=case)]
    return signatures + documents


@pytest.mark.django_db
def test_dry_run_lists_and_changes_nothing(completed):
    out = StringIO()
    call_command("anonymise_expired_cases", "--dry-run", stdout=out)
    assert f"{completed.number}" in out.getvalue() and "1 case(s) would be anonymised." in out.getvalue()
    assert Case.objects.get(pk=completed.pk).anonymised_at is None
    assert Person.objects.filter(last_name="Price").exists()


@pytest.mark.django_db
def test_anonymising_removes_names_contacts_notes_and_files_but_keeps_the_counts(completed, program, coordinator):
    paths = [f.path for f in files_of(completed)]
    assert len(paths) == 5  # three drawn signatures, the signed PDF, the completion letter
    later = new_case(program, coordinator)  # Kai Lopez is referred again, within retention
    call_command("anonymise_expired_cases", stdout=StringIO())
    case = Case.objects.get(pk=completed.pk)
    assert case.anonymised_at is not None and case.outcome == "completed" and case.stage == "closed"
    names = {str(p.person) for p in case.parties.all()}
    assert names == {"Anonymised"}
    assert not case.parties.exclude(email="", phone="", address="").exists()
    assert Note.objects.get(case=case).body.startswith("[removed")
    assert not any(
        "Price" in s or "Lopez" in s for s in TimelineEvent.objects.filter(case=case).values_list("summary", flat=True)
    )
    assert set(Signature.objects.filter(agreement__case=case).values_list("signer_name", flat=True)) == {"Anonymised"}
    assert not any(os.path.exists(path) for path in paths)
    money = case.agreements.get().terms.get(kind="money")
    assert money.payments.get().amount == Decimal("90.00")  # what reports count stays
    assert AuditEvent.objects.filter(case_id=case.pk, what="anonymised (retention)").exists()
    # The newer case of the same person keeps its names.
    assert str(later.parties.get(role="offender").person) == "Kai Lopez"
    assert not Person.objects.filter(last_name="Price", parties__case=case).exists()


@pytest.mark.django_db
def test_cases_within_retention_or_open_are_left_alone(completed, program, coordinator):
    program.retention_years = 10
    program.save()
    open_case = new_case(program, coordinator)
    call_command("anonymise_expired_cases", stdout=StringIO())
    assert Case.objects.get(pk=completed.pk).anonymised_at is None
    assert Case.objects.get(pk=open_case.pk).anonymised_at is None
