"""Several offenders, each their own outcome: followed, returned, completed and checked one by one."""

import datetime
from decimal import Decimal

import pytest

from agreements import follow_up, services
from agreements.ledger import case_ledger
from agreements.models import Installment, Letter, OffenderReturn
from agreements.reminders import plan_follow_up_reminders
from cases.models import Case, OutcomeCheck
from reports.periods import Period
from reports.report import outcome_report
from tests.agreements.helpers import case_in_agreement, pay, send, sign_all
from tests.agreements.helpers import letter_text as text_of
from tests.mediation.helpers import TODAY
from vom.core.errors import DomainError
from vom.notifications.models import Notification

D = Decimal


@pytest.fixture
def two(program, coordinator, mediator):
    """Kai owes $200 in two installments, Sam $100 in one."""
    case = case_in_agreement(program, coordinator, mediator, second_offender=True)
    kai, sam = case.parties.get(person__first_name="Kai"), case.parties.get(person__first_name="Sam")
    agreement = services.agreement_create(case=case, actor=mediator)
    for who, amount, count in ((kai, "200.00", 2), (sam, "100.00", 1)):
        agreement.refresh_from_db()
        services.term_add(
            agreement=agreement, expected_version=agreement.version, actor=mediator, kind="money", responsible=who,
            description=f"{who.person.first_name} repays the damage.", amount=D(amount), installment_count=count,
            frequency="monthly", first_due_date=TODAY + datetime.timedelta(days=10),
        )  # fmt: skip
    agreement.refresh_from_db()
    return sign_all(send(agreement, mediator), mediator), kai, sam


def make_late(agreement, party, days=40):
    Installment.objects.filter(term__agreement=agreement, term__responsible=party).update(
        due_date=TODAY - datetime.timedelta(days=days)
    )


@pytest.mark.django_db
def test_every_offender_signs_and_is_followed_on_their_own(two, mediator):
    agreement, kai, sam = two
    assert {s.party_id for s in agreement.signatures.all() if s.party_id} >= {kai.pk, sam.pk}
    make_late(agreement, sam)
    ledger = case_ledger(agreement.case)
    standing = {part.name: part.label for part in ledger.offenders}
    assert standing == {"Kai Lopez": "On track", "Sam Reyes": "Defaulted"}
    pay(agreement.terms.get(responsible=kai), "200.00", mediator)
    case = Case.objects.get(pk=agreement.case_id)
    assert case.stage == "follow_up"  # Kai is done, Sam is not: the case stays open
    assert {p.name: p.completed for p in case_ledger(case).offenders} == {"Kai Lopez": True, "Sam Reyes": False}


@pytest.mark.django_db
def test_one_offender_returned_while_another_completes_closes_with_a_mixed_outcome(two, mediator, coordinator):
    agreement, kai, sam = two
    make_late(agreement, sam)
    case = Case.objects.get(pk=agreement.case_id)
    with pytest.raises(DomainError) as refused:
        follow_up.case_return_to_source(case=case, expected_version=case.version, actor=coordinator,
                                        reason="No payment.", parties=[kai])  # fmt: skip
    assert refused.value.problems == ["Nothing of Kai Lopez's part is overdue: they cannot be returned."]
    case = follow_up.case_return_to_source(case=case, expected_version=case.version, actor=coordinator,
                                           reason="No payment in six weeks.", parties=[sam])  # fmt: skip
    assert case.stage == "follow_up"  # Kai's part is still followed
    assert OffenderReturn.objects.get().party == sam
    returned_letter = Letter.objects.get()
    assert (returned_letter.kind, returned_letter.party) == ("non_compliance", sam)
    text = text_of(returned_letter)
    assert "Restitution agreement not fulfilled by Sam Reyes" in text and "No payment in six weeks." in text
    assert "goes on following the other offenders" in text
    # Sam's terms are no longer followed: no reminders, no payments.
    Notification.objects.all().delete()
    make_late(agreement, kai, days=2)
    plan_follow_up_reminders()
    noticed = [str(n.context) for n in Notification.objects.filter(template="overdue_item")]
    assert noticed and all("Kai Lopez" in text and "Sam Reyes" not in text for text in noticed)
    with pytest.raises(DomainError, match="Sam Reyes was returned to the referral source"):
        pay(agreement.terms.get(responsible=sam), "10.00", mediator)

    pay(agreement.terms.get(responsible=kai), "200.00", mediator)
    case = Case.objects.get(pk=agreement.case_id)
    assert (case.stage, case.outcome) == ("closed", "mixed")
    closing = Letter.objects.get(kind="partial")
    text = text_of(closing)
    assert "Restitution agreement fulfilled in part" in text
    assert "Kai Lopez Fulfilled" in text and "Sam Reyes Returned" in text
    assert "The program holds $200.00 received and not yet forwarded" in text  # never "nothing outstanding"
    assert agreement.verification_code in text and "Dana Rivera, Program coordinator" in text
    # Each offender is one person for reoffending: their own checks at every window.
    checks = OutcomeCheck.objects.filter(case=case)
    assert sorted(checks.values_list("party_id", "months")) == sorted(
        (p.pk, m) for p in (kai, sam) for m in case.program.check_windows
    )


@pytest.mark.django_db
def test_returning_every_offender_closes_the_case_as_returned(two, coordinator):
    agreement, kai, sam = two
    make_late(agreement, kai)
    make_late(agreement, sam)
    case = Case.objects.get(pk=agreement.case_id)
    assert {p.pk for p in follow_up.offenders_behind(case)} == {kai.pk, sam.pk}
    case = follow_up.case_return_to_source(case=case, expected_version=case.version, actor=coordinator,
                                           reason="Neither has paid.")  # fmt: skip
    assert (case.stage, case.outcome) == ("closed", "returned")
    assert list(Letter.objects.values_list("kind", flat=True)) == ["non_compliance"]  # one letter, at closure


@pytest.mark.django_db
def test_the_report_counts_offenders_and_the_mixed_outcome(two, mediator, coordinator, program):
    agreement, kai, sam = two
    make_late(agreement, sam)
    case = Case.objects.get(pk=agreement.case_id)
    follow_up.case_return_to_source(case=case, expected_version=case.version, actor=coordinator, reason="Late.",
                                    parties=[sam])  # fmt: skip
    pay(agreement.terms.get(responsible=kai), "200.00", mediator)
    case.refresh_from_db()
    program.report_threshold = 1  # two offenders on one case: below the default threshold of 5
    program.save(update_fields=["report_threshold"])
    report = outcome_report(program, Period(case.referral_date, case.referral_date), TODAY)
    progress = {r.label: r.cells[0] for r in next(s for s in report.sections if s.key == "progress").rows}
    assert progress["Agreements fulfilled in part: some offenders completed, others returned"].value == 1
    assert progress["Agreements fulfilled (share of agreements that ended)"].value == 0
    assert progress["Offenders who fulfilled their part (share of offenders whose follow-up ended)"].text == "1 (50%)"
    assert progress["Offenders returned to the referral source"].text == "1 (50%)"
    restitution = {r.label: r.cells[0].value for r in next(s for s in report.sections if s.key == "restitution").rows}
    assert restitution["Money collected (share of agreed, as amended)"] == D("200.00")
    assert restitution["Money outstanding (current versions)"] == D("100.00")  # Sam's, returned but still owed


@pytest.mark.django_db
def test_the_return_page_offers_the_offenders_who_are_behind(client, two, coordinator):
    agreement, kai, sam = two
    make_late(agreement, sam)
    client.force_login(coordinator)
    page = client.get(f"/cases/{agreement.case_id}/return/").content.decode()
    assert "Sam Reyes" in page and "Kai Lopez" not in page.split("<form", 1)[1]
    case = Case.objects.get(pk=agreement.case_id)
    response = client.post(f"/cases/{case.pk}/return/", {"version": case.version, "parties": [kai.pk],
                                                         "reason": "x"})  # fmt: skip
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = client.post(f"/cases/{case.pk}/return/", {"version": case.version, "parties": [sam.pk],
                                                         "reason": "No payment."}, follow=True)  # fmt: skip
    assert "The other offenders&#x27; parts go on being followed." in response.content.decode()
    assert OffenderReturn.objects.filter(party=sam).exists()
