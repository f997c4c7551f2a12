"""Drafting, signer rules, locking, amendments and integrity of agreements."""

import base64
import datetime
import hashlib
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from agreements import services
from agreements.models import Agreement, Installment, Signature
from agreements.selectors import required_signers
from agreements.verification import copy_is_identical
from cases.models import Case
from cases.selectors import case_facts
from cases.services import PartyInput, party_add_supporter
from tests.agreements.helpers import PNG_URL, case_in_agreement, draft_with_money, plain_pdf, send, sign_all
from tests.factories import CaseFactory, PartyFactory
from tests.mediation.helpers import TODAY
from vom.core.errors import DomainError, StaleObjectError


@pytest.fixture
def agreement_case(program, coordinator, mediator):
    return case_in_agreement(program, coordinator, mediator, juvenile=True)


@pytest.mark.django_db
def test_required_signers_follow_the_case(agreement_case, mediator):
    roles = [(s.role, s.name) for s in required_signers(agreement_case)]
    assert roles == [
        ("Offender", "Kai Lopez"),
        ("Parent / guardian of Kai Lopez", "Rita Lopez"),
        ("Victim", "Ana Price"),
        ("Mediator", mediator.get_full_name()),
    ]


@pytest.mark.django_db
def test_an_organisation_signs_through_its_representative(program, coordinator):
    from cases.services import case_intake
    from tests.factories import ReferralSourceFactory

    case = case_intake(
        program=program,
        actor=coordinator,
        referral={"referral_source": ReferralSourceFactory(program=program), "referral_date": TODAY,
                  "referral_type": "diversion", "offense_category": "property", "incident_date": TODAY},
        parties=[PartyInput(role="offender", first_name="A", last_name="B", date_of_birth=datetime.date(1990, 1, 1)),
                 PartyInput(role="victim", kind="organisation", organisation_name="Corner Market"),
                 PartyInput(role="victim_rep", first_name="Lee", last_name="Manager", related_index=1)],
    )  # fmt: skip
    assert [(s.role, s.name) for s in required_signers(case)] == [
        ("Offender", "A B"),
        ("For the victim, Corner Market", "Lee Manager"),
    ]


@pytest.mark.django_db
def test_the_schedule_adds_up_and_is_stored(agreement_case, mediator):
    agreement = draft_with_money(agreement_case, mediator, total="100.00", count=3)
    money = agreement.terms.get(kind="money")
    amounts = list(money.installments.values_list("amount", flat=True))
    assert amounts == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert money.due_date == money.installments.last().due_date


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": Decimal("0")}, "The amount must be more than zero."),
        ({"amount": Decimal("-20")}, "The amount must be more than zero."),
        ({"amount": Decimal("0.02"), "installment_count": 3}, "Each installment must be at least one cent."),
        ({"first_due_date": TODAY - datetime.timedelta(days=60)}, "Due dates cannot be before the session"),
        ({"installment_count": 0}, "The number of installments must be between 1 and 120."),
    ],
)
@pytest.mark.django_db
def test_bad_money_terms_are_refused(agreement_case, mediator, changes, message):
    agreement = services.agreement_create(case=agreement_case, actor=mediator)
    values = {
        "kind": "money", "responsible": agreement_case.parties.get(role="offender"), "description": "Pay",
        "amount": Decimal("50"), "installment_count": 2, "frequency": "weekly", "first_due_date": TODAY,
    } | changes  # fmt: skip
    with pytest.raises(DomainError) as error:
        services.term_add(agreement=agreement, expected_version=agreement.version, actor=mediator, **values)
    assert any(p.startswith(message) for p in error.value.problems)
    assert not agreement.terms.exists() and not Installment.objects.exists()


@pytest.mark.django_db
def test_only_an_offender_of_the_case_can_be_responsible(agreement_case, mediator, program):
    agreement = services.agreement_create(case=agreement_case, actor=mediator)
    foreign = PartyFactory(case=CaseFactory(program=program), role="offender")
    for responsible in (foreign, agreement_case.parties.get(role="victim")):
        with pytest.raises(DomainError, match="must be an offender of this case"):
            services.term_add(
                agreement=agreement, expected_version=agreement.version, actor=mediator, kind="apology",
                responsible=responsible, description="x", due_date=TODAY,
            )  # fmt: skip


@pytest.mark.django_db
def test_signing_needs_terms_and_the_awaiting_state(agreement_case, mediator):
    agreement = services.agreement_create(case=agreement_case, actor=mediator)
    with pytest.raises(DomainError, match="Add at least one term"):
        send(agreement, mediator)
    with pytest.raises(DomainError, match="cannot be signed"):
        services.signature_add(agreement=agreement, signer_key="x", actor=mediator, method="typed")


@pytest.mark.django_db
def test_signatures_are_checked(agreement_case, mediator):
    agreement = send(draft_with_money(agreement_case, mediator), mediator)
    victim_key = f"p{agreement_case.parties.get(role='victim').pk}"
    with pytest.raises(DomainError, match="not a required signer"):
        services.signature_add(agreement=agreement, signer_key="p999999", actor=mediator, method="typed")
    with pytest.raises(DomainError, match="Type the signer's full name exactly: Ana Price."):
        services.signature_add(
            agreement=agreement, signer_key=victim_key, actor=mediator, method="typed", typed_name="Ana"
        )
    with pytest.raises(DomainError, match="tick the box"):
        services.signature_add(
            agreement=agreement, signer_key=victim_key, actor=mediator, method="typed", typed_name="ana  price"
        )
    with pytest.raises(DomainError, match="Draw the signature"):
        services.signature_add(agreement=agreement, signer_key=victim_key, actor=mediator, method="drawn", drawn="")
    with pytest.raises(DomainError, match="not a PNG"):
        services.signature_add(
            agreement=agreement, signer_key=victim_key, actor=mediator, method="drawn",
            drawn="data:image/png;base64,R0lGODlhAQABAAAAACw=",
        )  # fmt: skip
    blank = io.BytesIO()
    Image.new("RGBA", (300, 100), (0, 0, 0, 0)).save(blank, format="PNG")
    with pytest.raises(DomainError, match="empty"):
        services.signature_add(
            agreement=agreement, signer_key=victim_key, actor=mediator, method="drawn",
            drawn="data:image/png;base64," + base64.b64encode(blank.getvalue()).decode(),
        )  # fmt: skip
    assert not Signature.objects.exists()
    services.signature_add(
        agreement=agreement, signer_key=victim_key, actor=mediator, method="typed", typed_name="ana  price",
        consent=True, ip_address="192.0.2.5", user_agent="Tablet",
    )  # fmt: skip
    signature = Signature.objects.get()
    assert (signature.typed_name, signature.ip_address, signature.recorded_by) == ("ana price", "192.0.2.5", mediator)
    with pytest.raises(DomainError, match="already signed"):
        services.signature_add(
            agreement=agreement, signer_key=victim_key, actor=mediator, method="drawn", drawn=PNG_URL
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MZ\x90\x00 this is an executable renamed to .pdf", "must be a PDF, PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n but not really a png", "damaged or not an image"),
        (b"%PDF-1.4 truncated", "incomplete or damaged"),
        (b"%PDF-1.4" + b"0" * (10 * 1024 * 1024) + b"%%EOF", "at most 10 MB"),
        (b"", "empty"),
    ],
)
@pytest.mark.django_db
def test_scans_are_checked_by_content(agreement_case, mediator, data, message):
    agreement = send(draft_with_money(agreement_case, mediator), mediator)
    key = f"p{agreement_case.parties.get(role='offender').pk}"
    with pytest.raises(DomainError, match=message):
        services.signature_add(agreement=agreement, signer_key=key, actor=mediator, method="scanned", scan=data)
    assert not Signature.objects.exists()


@pytest.mark.django_db
def test_a_real_scan_is_accepted(agreement_case, mediator):
    agreement = send(draft_with_money(agreement_case, mediator), mediator)
    key = f"p{agreement_case.parties.get(role='offender').pk}"
    pdf = plain_pdf()
    signature = services.signature_add(agreement=agreement, signer_key=key, actor=mediator, method="scanned", scan=pdf)
    assert signature.scan_content_type == "application/pdf"
    assert signature.scan.name.endswith(".pdf")


@pytest.mark.django_db
def test_the_last_signature_locks_the_version_stores_the_pdf_and_starts_follow_up(agreement_case, mediator):
    agreement = sign_all(send(draft_with_money(agreement_case, mediator), mediator), mediator)
    assert agreement.status == Agreement.Status.SIGNED
    with agreement.pdf.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == agreement.pdf_sha256
    assert agreement.weasyprint_version
    assert len(agreement.verification_code) == 24
    assert Case.objects.get(pk=agreement_case.pk).stage == Case.Stage.FOLLOW_UP
    with pytest.raises(DomainError, match="signed; it cannot be changed"):
        services.term_add(
            agreement=agreement, expected_version=agreement.version, actor=mediator, kind="apology",
            responsible=agreement_case.parties.get(role="offender"), description="x", due_date=TODAY,
        )  # fmt: skip


@pytest.mark.django_db
def test_an_amendment_needs_new_signatures_and_supersedes_the_old_version(agreement_case, mediator):
    first = sign_all(send(draft_with_money(agreement_case, mediator), mediator), mediator)
    stored = first.pdf.name
    with pytest.raises(DomainError, match="Give the reason"):
        services.agreement_amend(agreement=first, actor=mediator, reason=" ")
    second = services.agreement_amend(agreement=first, actor=mediator, reason="Lost his job; smaller payments")
    assert (second.number, second.status, second.amends) == (2, "draft", first)
    assert second.terms.count() == 2 and second.terms.get(kind="money").installments.count() == 3
    first.refresh_from_db()
    assert first.status == "signed"  # still in force until the amendment is signed
    second = sign_all(send(second, mediator), mediator)
    first.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "signed")
    assert first.pdf.name == stored  # the old PDF is kept, never re-rendered
    with pytest.raises(DomainError, match="superseded; it cannot be signed"):
        services.signature_add(agreement=first, signer_key="p1", actor=mediator, method="typed")
    with pytest.raises(DomainError, match="Only the signed, current version"):
        services.agreement_amend(agreement=first, actor=mediator, reason="x")


@pytest.mark.django_db
def test_back_to_draft_only_before_anyone_signs(agreement_case, mediator):
    agreement = send(draft_with_money(agreement_case, mediator), mediator)
    services.agreement_back_to_draft(agreement=agreement, expected_version=agreement.version, actor=mediator)
    send(agreement, mediator)
    key = f"p{agreement_case.parties.get(role='offender').pk}"
    services.signature_add(agreement=agreement, signer_key=key, actor=mediator, method="drawn", drawn=PNG_URL)
    with pytest.raises(DomainError, match="Someone has signed already"):
        services.agreement_back_to_draft(agreement=agreement, expected_version=agreement.version, actor=mediator)


@pytest.mark.django_db
def test_a_stale_draft_edit_is_refused(agreement_case, mediator):
    agreement = draft_with_money(agreement_case, mediator)
    seen = agreement.version
    services.term_remove(term=agreement.terms.first(), expected_version=seen, actor=mediator)
    with pytest.raises(StaleObjectError):
        services.term_remove(term=agreement.terms.first(), expected_version=seen, actor=mediator)


@pytest.mark.django_db
def test_follow_up_guard_names_missing_signers(agreement_case, mediator):
    send(draft_with_money(agreement_case, mediator), mediator)
    missing = services.guard_begin_follow_up(case_facts(agreement_case))
    assert "Kai Lopez (Offender) has not signed yet." in missing
    with pytest.raises(DomainError):
        services.case_begin_follow_up(case=agreement_case, expected_version=agreement_case.version, actor=mediator)


@pytest.mark.django_db
def test_a_tampered_pdf_fails_verification(agreement_case, mediator):
    agreement = sign_all(send(draft_with_money(agreement_case, mediator), mediator), mediator)
    out = StringIO()
    call_command("verify_agreement_pdfs", stdout=out)
    assert "1 PDF(s) checked, 0 problem(s)" in out.getvalue()
    with agreement.pdf.open("rb") as handle:
        original = handle.read()
    assert copy_is_identical(agreement, hashlib.sha256(original).hexdigest()) is True
    tampered = original.replace(b"300.00", b"30.00")
    assert copy_is_identical(agreement, hashlib.sha256(tampered + b" ").hexdigest()) is False
    with open(agreement.pdf.path, "wb") as handle:
        handle.write(original + b"%tampered")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_agreement_pdfs", stdout=out)
    assert f"MISMATCH case {agreement_case.number} version 1" in out.getvalue()


@pytest.mark.django_db
def test_supporters_never_become_signers(agreement_case, coordinator):
    party_add_supporter(
        case=agreement_case, actor=coordinator, supporter=PartyInput(role="support", last_name="Friend"),
        for_party=agreement_case.parties.get(role="victim"),
    )  # fmt: skip
    assert "Friend" not in [s.name for s in required_signers(agreement_case)]
