"""One ledger across versions: amendments after payments lose nothing, and the report counts the same."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements import follow_up, services
from agreements.ledger import case_ledger
from agreements.models import Agreement, Disbursement, Payment, Term
from reports.cohort import cohort_totals
from reports.periods import Period
from reports.report import GROUPS, restitution_section
from tests.agreements.helpers import amend, case_in_agreement, draft_with_money, pay, send, sign_all
from tests.factories import ProgramFactory
from tests.mediation.helpers import TODAY
from vom.core.errors import DomainError

D = Decimal


@pytest.fixture
def signed(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    return sign_all(send(draft_with_money(case, mediator, total="300.00", count=3), mediator), mediator)


def money_term(agreement):
    return agreement.terms.get(kind="money")


def report_figures(program, case) -> dict:
    """The outcome report's restitution figures (all cases) for the period around the case's referral."""
    period = Period(case.referral_date, case.referral_date)
    section = restitution_section(program, cohort_totals(program, period), [label for _, label in GROUPS])
    return {row.label: row.cells[0].value for row in section.rows}


@pytest.mark.django_db
def test_an_amendment_after_payments_is_drafted_for_the_balance(signed, mediator):
    pay(money_term(signed), "120.00", mediator)
    draft = amend(signed, mediator)
    carried = money_term(draft)
    assert carried.amount == D("180.00") and carried.continues_id == money_term(signed).pk
    assert carried.carried_base == D("120.00")
    assert sum(i.amount for i in carried.installments.all()) == D("180.00")
    assert carried.installments.count() == 2  # the two installments still open
    # The apology is still owed: carried as it was.
    assert draft.terms.get(kind="apology").continues_id == signed.terms.get(kind="apology").pk


@pytest.mark.django_db
def test_a_fulfilled_term_is_not_carried_into_the_amendment(signed, mediator):
    apology = signed.terms.get(kind="apology")
    follow_up.term_check_record(term=apology, actor=mediator, on=TODAY, fulfilled=True)
    draft = amend(signed, mediator)
    assert list(draft.terms.values_list("kind", flat=True)) == ["money"]


@pytest.mark.django_db
def test_the_ledger_keeps_every_payment_across_versions(signed, mediator, program):
    pay(money_term(signed), "120.00", mediator)
    draft = amend(signed, mediator)
    send(draft, mediator)
    pay(money_term(signed), "30.00", mediator)  # received while the amendment was being signed
    new = sign_all(draft, mediator)
    signed.refresh_from_db()
    assert (signed.status, new.status) == (Agreement.Status.SUPERSEDED, Agreement.Status.SIGNED)
    assert money_term(new).carried_in == D("30.00")  # counted toward the new version, not asked for twice
    pay(money_term(new), "50.00", mediator)
    ledger = case_ledger(new.case)
    assert (ledger.agreed, ledger.received, ledger.outstanding, ledger.agreed_now, ledger.change) == (
        D("300.00"), D("200.00"), D("100.00"), D("300.00"), D("0.00"),
    )  # fmt: skip
    assert ledger.amended and [v.agreement.number for v in ledger.versions] == [1, 2]
    _status, states = follow_up.compliance(new)
    money = next(s for s in states if s.term.kind == "money")
    assert (money.owed, money.received, money.outstanding) == (D("180.00"), D("80.00"), D("100.00"))
    figures = report_figures(program, new.case)
    assert figures["Money agreed (first signed version)"] == D("300.00")
    assert figures["Money collected (share of agreed, as amended)"] == D("200.00")
    assert figures["Money outstanding (current versions)"] == D("100.00")
    assert figures["Changed by amendments"] == D("0.00")


@pytest.mark.django_db
def test_a_renegotiated_total_shows_as_a_change(signed, mediator, program):
    pay(money_term(signed), "100.00", mediator)
    draft = amend(signed, mediator, reason="The victim agreed to take less.")
    carried = money_term(draft)
    services.term_update(
        term=carried, expected_version=draft.version, actor=mediator, responsible=carried.responsible,
        description=carried.description, amount=D("150.00"), schedule="fixed", period_amount=D("40.00"),
        frequency="monthly", first_due_date=TODAY + datetime.timedelta(days=7),
    )  # fmt: skip
    carried.refresh_from_db()
    assert carried.continues_id == money_term(signed).pk  # still the same obligation
    assert [i.amount for i in carried.installments.all()] == [D("40.00"), D("40.00"), D("40.00"), D("30.00")]
    draft.refresh_from_db()
    new = sign_all(send(draft, mediator), mediator)
    ledger = case_ledger(new.case)
    assert (ledger.agreed_now, ledger.change, ledger.outstanding) == (D("250.00"), D("-50.00"), D("150.00"))
    assert report_figures(program, new.case)["Changed by amendments"] == D("-50.00")


@pytest.mark.django_db
def test_money_held_on_a_superseded_version_can_still_be_forwarded(signed, mediator):
    pay(money_term(signed), "120.00", mediator)
    new = sign_all(send(amend(signed, mediator), mediator), mediator)
    old_term = Term.objects.select_related("agreement__case").get(pk=money_term(signed).pk)
    follow_up.disbursement_record(term=old_term, actor=mediator, amount=D("100.00"), paid_on=TODAY, method="check")
    # Recorded against the obligation's current term; the ledger's held money follows the whole chain.
    assert Disbursement.objects.get().term_id == money_term(new).pk
    ledger = case_ledger(new.case)
    assert (ledger.forwarded, ledger.held) == (D("100.00"), D("20.00"))
    with pytest.raises(DomainError, match=r"Only \$20.00 has been received and not yet forwarded."):
        follow_up.disbursement_record(term=money_term(new), actor=mediator, amount=D("21.00"), paid_on=TODAY,
                                      method="check")  # fmt: skip


# --- Property: random payments, amendments and forwarding, checked against the ledger and the report ------


step = st.one_of(
    st.tuples(st.just("pay"), st.integers(min_value=1, max_value=100)),  # percent of what is outstanding
    st.tuples(st.just("forward"), st.integers(min_value=1, max_value=100)),  # percent of what is held
    st.tuples(
        st.just("amend"),
        st.integers(min_value=-50, max_value=50),  # renegotiated: percent more or less than the balance
        st.integers(min_value=0, max_value=100),  # percent of the old balance paid while signatures are collected
    ),
)


@pytest.mark.django_db
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(total=st.integers(min_value=100, max_value=2000), count=st.integers(min_value=1, max_value=6),
       steps=st.lists(step, min_size=1, max_size=5))  # fmt: skip
def test_the_ledger_and_the_report_agree_through_any_history(coordinator, mediator, total, count, steps):
    from cases.models import Membership

    program = ProgramFactory()  # a program of its own: the report counts only this example's case
    Membership.objects.create(user=coordinator, program=program, role="coordinator")
    Membership.objects.create(user=mediator, program=program, role="mediator")
    case = case_in_agreement(program, coordinator, mediator)
    current = sign_all(send(draft_with_money(case, mediator, total=f"{total}.00", count=count), mediator), mediator)
    collected = D("0")

    def check():
        nonlocal collected
        ledger = case_ledger(case)
        payments = sum((p.amount for p in Payment.objects.filter(term__agreement__case=case)), D("0"))
        assert ledger.received >= collected, "collected went down"
        collected = ledger.received
        assert ledger.received == payments
        term = money_term(current)
        own = sum((p.amount for p in term.payments.all()), D("0"))
        assert ledger.outstanding == max(term.amount - own - term.carried_in, D("0"))
        assert ledger.agreed == D(total) and ledger.agreed_now == ledger.received + ledger.outstanding
        figures = report_figures(program, case)
        assert figures["Money agreed (first signed version)"] == ledger.agreed
        assert figures["Changed by amendments"] == ledger.change
        assert figures["Money collected (share of agreed, as amended)"] == ledger.received
        assert figures["Forwarded to victims"] == ledger.forwarded
        assert figures["Held by the program, not yet forwarded"] == ledger.held
        assert figures["Money outstanding (current versions)"] == ledger.outstanding
        return ledger

    ledger = check()
    for action, *amounts in steps:
        if action == "pay" and ledger.outstanding > 0:
            part = max(D("0.01"), (ledger.outstanding * amounts[0] / 100).quantize(D("0.01")))
            pay(money_term(current), min(part, ledger.outstanding), mediator)
        elif action == "forward" and ledger.held > 0:
            part = max(D("0.01"), (ledger.held * amounts[0] / 100).quantize(D("0.01")))
            follow_up.disbursement_record(term=money_term(current), actor=mediator, amount=min(part, ledger.held),
                                          paid_on=TODAY, method="check")  # fmt: skip
        elif action == "amend" and ledger.outstanding > 0:
            draft = amend(current, mediator)
            carried = money_term(draft)
            renegotiated = max(D("1.00"), (carried.amount * (100 + amounts[0]) / 100).quantize(D("0.01")))
            services.term_update(
                term=carried, expected_version=draft.version, actor=mediator, responsible=carried.responsible,
                description=carried.description, amount=renegotiated, schedule="equal", installment_count=2,
                frequency="monthly", first_due_date=TODAY + datetime.timedelta(days=10),
            )  # fmt: skip
            draft.refresh_from_db()
            send(draft, mediator)
            meanwhile = min((ledger.outstanding * amounts[1] / 100).quantize(D("0.01")), renegotiated)
            if meanwhile > 0:
                pay(money_term(current), meanwhile, mediator)
            current = sign_all(draft, mediator)
        ledger = check()
