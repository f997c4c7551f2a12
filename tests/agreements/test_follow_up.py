"""Payments, hours and checks; compliance on fixed dates; completion and non-compliance letters."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db.models import Q
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from agreements import follow_up
from agreements.compliance import TermRecords, agreement_status, allocate, status_on, summarise, term_state
from agreements.ledger import case_ledger
from agreements.models import Agreement, FollowUpSummary, Installment, Letter, Term, TermCheck
from cases.models import Case
from tests.agreements.helpers import case_in_agreement, draft_with_money, send, sign_all
from tests.mediation.helpers import TODAY
from vom.core.errors import DomainError

D = Decimal


@pytest.fixture
def signed(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    victim = case.parties.get(role="victim")
    victim.address, victim.phone = "17 Hidden Orchard Road", "(555) 0199-4242"
    victim.save()
    return sign_all(send(draft_with_money(case, mediator, total="300.00", count=3), mediator), mediator)


def money_term(agreement):
    return agreement.terms.get(kind="money")


def text_of(letter):
    with letter.pdf.open("rb") as handle:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)


def test_payments_go_to_the_oldest_open_installment_first():
    from types import SimpleNamespace

    plan = [
        SimpleNamespace(number=n, due_date=datetime.date(2027, n, 1), amount=D("100.00")) for n in (3, 1, 2)
    ]  # given out of order: the allocator sorts by due date
    states = allocate(plan, D("150.00"))
    assert [(s.paid, s.open) for s in states] == [
        (D("100.00"), D("0.00")),
        (D("50.00"), D("50.00")),
        (D("0"), D("100.00")),
    ]


@pytest.mark.django_db
def test_compliance_on_fixed_dates(signed, mediator):
    term = follow_up.terms_with_records(signed)[0]
    first_due = term.installments.all()[0].due_date
    assert term_state(term, first_due - datetime.timedelta(days=30)).status == "on_track"
    assert term_state(term, first_due - datetime.timedelta(days=3)).status == "due_soon"
    assert term_state(term, first_due + datetime.timedelta(days=1)).status == "overdue"
    assert term_state(term, first_due + datetime.timedelta(days=31)).status == "defaulted"
    follow_up.payment_record(
        term=money_term(signed), actor=mediator, amount=D("100.00"), received_on=TODAY, method="cash"
    )
    term = follow_up.terms_with_records(signed)[0]
    # The first installment is paid early: the next one decides.
    assert term_state(term, first_due + datetime.timedelta(days=1)).next_due > first_due


@pytest.mark.parametrize(
    ("amount", "received_on", "message"),
    [
        (D("0"), TODAY, "The amount must be more than zero."),
        (D("300.01"), TODAY, "That is more than the balance of $300.00"),
        (D("10"), TODAY + datetime.timedelta(days=1), "A payment cannot be dated in the future."),
    ],
)
@pytest.mark.django_db
def test_bad_payments_are_refused(signed, mediator, amount, received_on, message):
    with pytest.raises(DomainError) as error:
        follow_up.payment_record(
            term=money_term(signed), actor=mediator, amount=amount, received_on=received_on, method="cash"
        )
    assert any(p.startswith(message) for p in error.value.problems)
    assert not money_term(signed).payments.exists()


@pytest.mark.django_db
def test_the_ledger_tracks_owed_received_forwarded_outstanding(signed, mediator):
    term = money_term(signed)
    follow_up.payment_record(
        term=term, actor=mediator, amount=D("120.00"), received_on=TODAY, method="check", reference="#104"
    )
    with pytest.raises(DomainError, match=r"Only \$120.00 has been received and not yet forwarded."):
        follow_up.disbursement_record(term=term, actor=mediator, amount=D("150.00"), paid_on=TODAY, method="transfer")
    follow_up.disbursement_record(term=term, actor=mediator, amount=D("100.00"), paid_on=TODAY, method="transfer")
    ledger = case_ledger(signed.case)
    assert (ledger.agreed, ledger.received, ledger.forwarded, ledger.outstanding, ledger.held) == (
        D("300.00"), D("120.00"), D("100.00"), D("180.00"), D("20.00"),
    )  # fmt: skip


@pytest.mark.django_db
def test_fulfilling_every_term_closes_the_case_with_a_completion_letter(signed, mediator):
    term = money_term(signed)
    for _ in range(3):
        follow_up.payment_record(term=term, actor=mediator, amount=D("100.00"), received_on=TODAY, method="cash")
    assert Case.objects.get(pk=signed.case_id).stage == "follow_up"  # the apology is still owed
    apology = signed.terms.get(kind="apology")
    follow_up.term_check_record(term=apology, actor=mediator, on=TODAY, fulfilled=True, note="Letter received")
    case = Case.objects.get(pk=signed.case_id)
    assert (case.stage, case.outcome) == ("closed", "completed")
    letter = Letter.objects.get()
    text = text_of(letter)
    assert "Restitution agreement fulfilled" in text and case.number in text and "Kai Lopez" in text
    assert "Pay for the broken window." not in text  # no consent to share the terms
    for secret in ("Hidden Orchard", "0199-4242", "ana@example.org"):
        assert secret not in text


def fulfil(agreement, mediator):
    term = money_term(agreement)
    follow_up.payment_record(term=term, actor=mediator, amount=D("300.00"), received_on=TODAY, method="cash")
    apology = agreement.terms.get(kind="apology")
    follow_up.term_check_record(term=apology, actor=mediator, on=TODAY, fulfilled=True)
    return Case.objects.get(pk=agreement.case_id)


@pytest.mark.django_db
def test_money_still_held_when_the_case_completes_can_be_forwarded(signed, mediator):
    # The last payment (or check) closes the case, so the program forwards that money afterwards.
    assert fulfil(signed, mediator).stage == "closed"
    term = Term.objects.select_related("agreement__case").get(pk=money_term(signed).pk)  # as a request sees it
    follow_up.disbursement_record(term=term, actor=mediator, amount=D("250.00"), paid_on=TODAY, method="transfer")
    with pytest.raises(DomainError, match=r"Only \$50.00 has been received and not yet forwarded."):
        follow_up.disbursement_record(term=term, actor=mediator, amount=D("60.00"), paid_on=TODAY, method="transfer")
    follow_up.disbursement_record(term=term, actor=mediator, amount=D("50.00"), paid_on=TODAY, method="transfer")
    assert case_ledger(signed.case).held == D("0.00")
    with pytest.raises(DomainError, match="The case is not in follow-up."):
        follow_up.payment_record(term=term, actor=mediator, amount=D("1.00"), received_on=TODAY, method="cash")


@pytest.mark.django_db
def test_money_is_not_forwarded_before_the_agreement_is_signed(program, coordinator, mediator):
    draft = draft_with_money(case_in_agreement(program, coordinator, mediator), mediator)
    with pytest.raises(DomainError, match="once the agreement is signed"):
        follow_up.disbursement_record(
            term=money_term(draft), actor=mediator, amount=D("1.00"), paid_on=TODAY, method="transfer"
        )


@pytest.mark.django_db
def test_terms_are_shared_only_with_recorded_consent(signed, mediator, coordinator):
    follow_up.agreement_record_sharing_consent(agreement=signed, actor=coordinator, on=TODAY)
    Installment.objects.filter(term=money_term(signed)).update(due_date=TODAY - datetime.timedelta(days=40))
    case = Case.objects.get(pk=signed.case_id)
    case = follow_up.case_return_to_source(
        case=case, expected_version=case.version, actor=coordinator, reason="No payment in six weeks despite reminders."
    )
    assert (case.stage, case.outcome) == ("closed", "returned")
    text = text_of(Letter.objects.get(kind="non_compliance"))
    assert "Restitution agreement not fulfilled" in text and "$300.00" in text
    assert "Pay for the broken window." in text  # shared, with consent


@pytest.mark.django_db
def test_return_is_refused_when_nothing_is_overdue(signed, coordinator):
    case = Case.objects.get(pk=signed.case_id)
    with pytest.raises(DomainError, match="Nothing in the agreement is overdue"):
        follow_up.case_return_to_source(case=case, expected_version=case.version, actor=coordinator, reason="x")
    assert not Letter.objects.exists()


@pytest.mark.django_db
def test_service_hours_are_bounded_by_a_day(program, coordinator, mediator):
    from agreements import services

    case = case_in_agreement(program, coordinator, mediator)
    agreement = services.agreement_create(case=case, actor=mediator)
    services.term_add(
        agreement=agreement, expected_version=agreement.version, actor=mediator, kind="community",
        responsible=case.parties.get(role="offender"), description="Parks", hours=D("10"), due_date=TODAY,
    )  # fmt: skip
    agreement = sign_all(send(agreement, mediator), mediator)
    term = agreement.terms.get()
    with pytest.raises(DomainError, match="at most 24 in a day"):
        follow_up.service_log_record(
            term=term, actor=mediator, on=TODAY, hours=D("25"), place="Park", verified_by="Sam"
        )
    follow_up.service_log_record(term=term, actor=mediator, on=TODAY, hours=D("10"), place="Park", verified_by="Sam")
    assert Case.objects.get(pk=case.pk).outcome == "completed"


# --- The stored follow-up summary (FollowUpSummary): what the Follow-up list sorts and pages on -------------

_days = st.integers(min_value=-90, max_value=90).map(lambda n: TODAY + datetime.timedelta(days=n))
_cents = st.integers(min_value=1, max_value=50_000).map(lambda n: D(n) / 100)


@st.composite
def _term_with_records(draw):
    """A term of any followed kind with arbitrary records, as plain objects (term_state reads only fields)."""
    from types import SimpleNamespace

    kind = draw(st.sampled_from(["money", "community", "apology"]))
    if kind == "money":
        shares = draw(st.lists(_cents, min_size=1, max_size=4))
        dues = sorted(draw(st.lists(_days, min_size=len(shares), max_size=len(shares))))
        installments = [
            SimpleNamespace(number=n, due_date=d, amount=a) for n, (d, a) in enumerate(zip(dues, shares, strict=True))
        ]
        paid = draw(st.integers(min_value=0, max_value=int(sum(shares) * 100))) / D(100)
        carried = draw(st.integers(min_value=0, max_value=int(paid * 100))) / D(100)  # paid under a former version
        term = SimpleNamespace(kind=kind, amount=sum(shares), hours=None, due_date=dues[-1], carried_in=carried)
        payments = [SimpleNamespace(amount=paid - carried)] if paid - carried else []
        return term, TermRecords(installments, payments, [], [])
    due = draw(_days)
    if kind == "community":
        hours = D(draw(st.integers(min_value=1, max_value=40)))
        logs = [SimpleNamespace(hours=D(h)) for h in draw(st.lists(st.integers(1, 12), max_size=4))]
        term = SimpleNamespace(kind=kind, amount=None, hours=hours, due_date=due, carried_in=D("0"))
        return term, TermRecords([], [], logs, [])
    checks = [SimpleNamespace(fulfilled=f) for f in draw(st.lists(st.booleans(), max_size=3))]
    term = SimpleNamespace(kind=kind, amount=None, hours=None, due_date=due, carried_in=D("0"))
    return term, TermRecords([], [], [], checks)


@given(terms=st.lists(_term_with_records(), max_size=5), today=_days)
def test_a_summary_gives_the_same_status_as_the_terms_on_any_day(terms, today):
    """What is stored (fulfilled, earliest open due date, outstanding) decides the status on every day."""
    computed_on = TODAY - datetime.timedelta(days=400)  # the summary does not depend on the day it is made
    summary = summarise([term_state(term, computed_on, records) for term, records in terms])
    states = [term_state(term, today, records) for term, records in terms]
    assert status_on(summary.fulfilled, summary.next_due, today) == agreement_status(states)
    assert summary.next_due == min((s.next_due for s in states if s.next_due), default=None)
    assert summary.outstanding == sum((s.outstanding for s in states if s.term.kind == "money"), D("0"))


def _overview(cases):
    rows = follow_up.follow_up_overview(cases)
    by_ids = follow_up.follow_up_overview_of(list(cases.values_list("pk", flat=True)))
    assert [(r.agreement.pk, r.status, r.next_due, r.outstanding) for r in by_ids] == [
        (r.agreement.pk, r.status, r.next_due, r.outstanding) for r in rows
    ]
    return rows


@pytest.mark.django_db
def test_the_follow_up_list_follows_every_change_to_the_records(signed, mediator, coordinator):
    """The summary is stored once, then made stale by each change, by a service or a plain save or delete; the
    mediator home's read of the same cases by id (compiled once) agrees at every step."""
    cases = Case.objects.filter(pk=signed.case_id)
    (row,) = _overview(cases)
    assert (row.outstanding, row.next_due) == (D("300.00"), TODAY + datetime.timedelta(days=14))
    assert follow_up.refresh_follow_up_summaries(Agreement.objects.filter(pk=signed.pk)) == 0  # stored, current

    payment = follow_up.payment_record(
        term=money_term(signed), actor=mediator, amount=D("100.00"), received_on=TODAY, method="cash"
    )
    (row,) = _overview(cases)
    second = Installment.objects.get(term__agreement=signed, number=2).due_date
    assert (row.outstanding, row.next_due) == (D("200.00"), min(second, signed.terms.get(kind="apology").due_date))

    apology = signed.terms.get(kind="apology")
    apology.due_date = TODAY - datetime.timedelta(days=2)  # corrected in Django admin, say
    apology.save()
    (row,) = _overview(cases)
    assert (row.status, row.next_due) == ("overdue", TODAY - datetime.timedelta(days=2))

    payment.delete()
    (row,) = _overview(cases)
    assert row.outstanding == D("300.00")

    first = Installment.objects.get(term__agreement=signed, number=1)
    first.due_date = TODAY - datetime.timedelta(days=40)
    first.save()
    (row,) = _overview(cases)
    assert (row.status, row.next_due) == ("defaulted", TODAY - datetime.timedelta(days=40))

    TermCheck.objects.create(term=apology, on=TODAY, fulfilled=True, recorded_by=coordinator)
    first.due_date = TODAY + datetime.timedelta(days=14)
    first.save()
    (row,) = _overview(cases)
    assert (row.status, row.next_due) == ("on_track", TODAY + datetime.timedelta(days=14))


@pytest.mark.django_db
def test_a_stored_summary_moves_with_the_calendar_without_being_recomputed(signed):
    cases = Case.objects.filter(pk=signed.case_id)
    first_due = TODAY + datetime.timedelta(days=14)
    follow_up.follow_up_overview(cases)
    stored = FollowUpSummary.objects.get(agreement=signed)
    statuses = [
        follow_up.follow_up_overview(cases, today=first_due + datetime.timedelta(days=days))[0].status
        for days in (-30, -3, 1, 31)
    ]
    assert statuses == ["on_track", "due_soon", "overdue", "defaulted"]
    assert FollowUpSummary.objects.get(agreement=signed).revision == stored.revision


@pytest.mark.django_db
def test_a_summary_computed_while_a_record_changes_is_stored_as_stale(signed, mediator):
    """Its revision is read before its records: a change in between leaves it behind its source revision."""
    agreements = Agreement.objects.filter(pk=signed.pk)
    follow_up.refresh_follow_up_summaries(agreements)
    revision = FollowUpSummary.objects.get(agreement=signed).source_revision  # read, then the records
    follow_up.payment_record(
        term=money_term(signed), actor=mediator, amount=D("50.00"), received_on=TODAY, method="cash"
    )  # committed between reading the revision and the records
    FollowUpSummary.objects.filter(agreement=signed).update(revision=revision, outstanding=D("300.00"))
    assert follow_up.refresh_follow_up_summaries(agreements) == 1
    assert FollowUpSummary.objects.get(agreement=signed).outstanding == D("250.00")


@pytest.mark.django_db
def test_an_agreement_loaded_without_its_summary_gets_one_when_its_case_is_read(signed):
    """Bulk-inserted records have no summary (the seeders place theirs): the case's own reads place it."""
    FollowUpSummary.objects.all().delete()
    (row,) = follow_up.follow_up_overview(Case.objects.filter(pk=signed.case_id))
    assert (row.status, row.outstanding) == ("on_track", D("300.00"))
    assert FollowUpSummary.objects.get(agreement=signed).followed


@pytest.mark.django_db
def test_a_summary_changed_while_the_list_is_read_is_computed_for_its_row(signed, mediator):
    page = follow_up.followed_summaries(Q(), program=signed.case.program_id)
    values = follow_up.follow_up_list_values(page)
    follow_up.payment_record(term=money_term(signed), actor=mediator, amount=D("50.00"), received_on=TODAY,
                             method="cash")  # fmt: skip
    (listed,) = follow_up.follow_up_list_rows(values)  # the Follow-up list's rows
    assert (listed["status"], listed["outstanding"]) == ("on_track", "$250.00")


def test_every_compliance_record_is_listened_to_with_production_settings():
    """With DEBUG off nothing else holds the receivers: a weakly referenced one would be gone (and every
    payment would leave the Follow-up list's summaries as they were)."""
    from tests.vom.test_settings import PRODUCTION, run_manage

    code = (
        "from django.db.models.signals import post_delete, post_save\n"
        "from agreements.receivers import COMPLIANCE_RECORDS\n"
        "import gc; gc.collect()\n"
        "print(*[f'{m.__name__}:{post_save.has_listeners(m)}:{post_delete.has_listeners(m)}'\n"
        "        for m in COMPLIANCE_RECORDS])"
    )
    result = run_manage("shell", "--verbosity", "0", "-c", code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [f"{name}:True:True" for name in ("Term", "Installment", "Payment", "ServiceLog",
                                                                        "TermCheck", "OffenderReturn")]  # fmt: skip
